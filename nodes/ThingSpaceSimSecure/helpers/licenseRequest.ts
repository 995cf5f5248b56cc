import type { IDataObject, IExecutePaginationFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { DEFAULT_MAX_CONCURRENT_REQUESTS, MAX_DEVICES_PER_REQUEST, SKUS } from '../../shared/policy';
import {
	checkDevices,
	DeviceInputError,
	devicesFromCollection,
	devicesFromList,
	type LicenseDevice,
	type RefusedDevice,
} from './devices';
import { accountFor, type CredentialDefaults } from './hooks';
import { transactionIdProblem, transactionIds } from './transactionId';

interface LicenseOptions {
	checkAvailability?: boolean;
	combineItems?: boolean;
	dryRun?: boolean;
	maxConcurrentRequests?: number;
	maxRequestsPerSecond?: number;
	retryServerErrors?: boolean;
	transactionId?: string;
	verifyCheckDigits?: boolean;
}

/** One item of Assign or Unassign, read and checked: what it asks ThingSpace to do. */
export interface LicenseRequest {
	operation: string;
	/** accountName (when known) and skuNumber, as the licensing body carries them. */
	body: IDataObject;
	devices: LicenseDevice[];
	combine: boolean;
	retryServerErrors: boolean;
	/** The user's Transaction ID, or '' to have one generated per request. */
	transactionId: string;
	maxConcurrentRequests: number;
	/** Plan and show, send nothing. */
	dryRun: boolean;
	/** A dry run's devices that a real run would refuse, and why. */
	refused: RefusedDevice[];
	/** Assign: read the license counts first, send nothing when they do not cover the run. */
	checkAvailability: boolean;
	/** The contract's rate, when the user knows it; undefined: learn it from ThingSpace's 429s. */
	maxRequestsPerSecond?: number;
}

/** A node parameter of the item (a node run reads the ones without expressions once for all items). */
export type ReadParameter = (name: string, fallback: unknown) => unknown;

/**
 * Reads the item's devices from the UI collection or the expression list and checks every ID, the SKU
 * and the Transaction ID. Throws an error that names the item, the field and the rule.
 */
export function readLicenseRequest(
	context: IExecutePaginationFunctions,
	routedBody: IDataObject,
	parameter: ReadParameter,
	defaults: CredentialDefaults,
): LicenseRequest {
	const itemIndex = context.getItemIndex();
	// The Device List value travels in the body from routing; ThingSpace gets "devices" instead, and the
	// credential's Default Account Name when the node leaves Account Name empty.
	const deviceList = routedBody.deviceList;
	const accountName = accountFor(routedBody.accountName, defaults);
	const body: IDataObject = accountName ? { accountName, skuNumber: routedBody.skuNumber } : { skuNumber: routedBody.skuNumber };
	const operation = parameter('operation', '') as string;
	const options = parameter('options', {}) as LicenseOptions;
	const fail = (message: string, description: string) =>
		new NodeOperationError(context.getNode(), `${message} [item ${itemIndex}]`, {
			description: `${description} Nothing was sent for this item.`.trim(),
			itemIndex,
		});

	const sku = SKUS.find((known) => known.value === body.skuNumber);
	if (!sku) {
		throw fail(
			`SKU "${String(body.skuNumber).slice(0, 60)}" is not a SIM-Secure for IoT SKU`,
			`Use one of ${SKUS.map((known) => known.value).join(', ')}.`,
		);
	}
	if (operation === 'unassign' && !sku.removable) {
		throw fail(
			`${sku.name} licenses cannot be unassigned`,
			'A Lifetime license stays on the SIM for its whole life; ThingSpace removes only Flex, Flex Bundle and Intelligence bundle licenses.',
		);
	}

	const dryRun = options.dryRun === true;
	// Filled only in a dry run, which lists every device a real run would refuse.
	const refused: RefusedDevice[] = [];
	let devices: LicenseDevice[];
	try {
		const listed =
			parameter('deviceSource', 'collection') === 'list'
				? devicesFromList(deviceList, parameter('deviceKind', 'IMEI') as string)
				: devicesFromCollection(parameter('devices', {}) as IDataObject);
		devices = checkDevices(listed, { checkDigits: options.verifyCheckDigits !== false, refused: dryRun ? refused : undefined });
	} catch (error) {
		throw fail((error as Error).message, error instanceof DeviceInputError ? error.description : '');
	}

	const transactionId = (options.transactionId ?? '').trim();
	if (transactionId !== '') {
		const requests = Math.ceil(devices.length / MAX_DEVICES_PER_REQUEST);
		const problem = transactionIds(transactionId, requests).map(transactionIdProblem).find(Boolean);
		if (problem) {
			throw fail(
				problem,
				requests > 1
					? `These ${devices.length} devices go out as ${requests} requests, each with the given ID followed by its number. Shorten the ID or leave it empty to have one generated.`
					: 'Leave it empty to have one generated.',
			);
		}
	}

	return {
		operation,
		body,
		devices,
		// A given Transaction ID belongs to this item's own requests, so such an item is never combined.
		combine: options.combineItems !== false && transactionId === '',
		retryServerErrors: options.retryServerErrors === true,
		transactionId,
		maxConcurrentRequests: Math.max(1, Math.floor(options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS)),
		dryRun,
		refused,
		checkAvailability: operation === 'assign' && options.checkAvailability === true,
		maxRequestsPerSecond: (options.maxRequestsPerSecond ?? 0) > 0 ? Math.floor(options.maxRequestsPerSecond as number) : undefined,
	};
}
