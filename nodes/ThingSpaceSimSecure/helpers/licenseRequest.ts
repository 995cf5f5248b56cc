import type { IDataObject, IExecutePaginationFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { MAX_DEVICES_PER_REQUEST, RATE_LIMIT } from '../../shared/policy';
import { checkDevices, type RefusedDevice } from './deviceChecks';
import {
	DeviceInputError,
	devicesFromCollection,
	devicesFromList,
	type LicenseDevice,
} from './deviceInput';
import {
	booleanValue,
	numberValue,
	ParameterValueError,
	quoted,
	skuValue,
	textValue,
	wholeNumberValue,
} from '../../shared/parameterValues';
import { accountFor, type CredentialDefaults } from './credentialDefaults';
import { transactionIdProblem, transactionIds } from './transactionId';

/** The Options collection as stored: each value may come from an expression, so any type. */
type LicenseOptions = Partial<
	Record<
		| 'checkAvailability'
		| 'combineItems'
		| 'dryRun'
		| 'maxConcurrentRequests'
		| 'maxRequestsPerSecond'
		| 'retryServerErrors'
		| 'transactionId'
		| 'verifyCheckDigits',
		unknown
	>
>;

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
	/** The user's bound on this run's requests in flight; undefined: the node decides. */
	maxConcurrentRequests?: number;
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
	const operation = parameter('operation', '') as string;
	const options = (parameter('options', {}) ?? {}) as LicenseOptions;
	const itemError = (message: string, description: string) =>
		new NodeOperationError(context.getNode(), `${message} [item ${itemIndex}]`, {
			description: `${description} Nothing was sent for this item.`.trim(),
			itemIndex,
		});
	// Every value an expression can set is read as the user meant it, or refused by name, before anything is sent.
	let read: ReturnType<typeof readValues>;
	try {
		read = readValues(routedBody, options, parameter, defaults);
	} catch (error) {
		throw itemError(
			(error as Error).message,
			error instanceof ParameterValueError ? error.description : '',
		);
	}
	const { body, sku, dryRun, transactionId } = read;
	if (operation === 'unassign' && !sku.removable) {
		throw itemError(
			`${sku.name} licenses cannot be unassigned`,
			'A Lifetime license stays on the SIM for its whole life; ThingSpace removes only Flex, Flex Bundle and Intelligence bundle licenses.',
		);
	}

	// Filled only in a dry run, which lists every device a real run would refuse.
	const refused: RefusedDevice[] = [];
	let devices: LicenseDevice[];
	try {
		const listed =
			read.deviceSource === 'list'
				? devicesFromList(deviceList, read.deviceKind)
				: devicesFromCollection(parameter('devices', {}) as IDataObject);
		devices = checkDevices(listed, {
			checkDigits: read.verifyCheckDigits,
			refused: dryRun ? refused : undefined,
		});
	} catch (error) {
		throw itemError(
			(error as Error).message,
			error instanceof DeviceInputError ? error.description : '',
		);
	}

	if (transactionId !== '') {
		const requests = Math.ceil(devices.length / MAX_DEVICES_PER_REQUEST);
		const problem = transactionIds(transactionId, requests).map(transactionIdProblem).find(Boolean);
		if (problem) {
			throw itemError(
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
		combine: read.combineItems && transactionId === '',
		retryServerErrors: read.retryServerErrors,
		transactionId,
		maxConcurrentRequests: read.maxConcurrentRequests || undefined,
		dryRun,
		refused,
		checkAvailability: operation === 'assign' && read.checkAvailability,
		maxRequestsPerSecond: read.maxRequestsPerSecond > 0 ? read.maxRequestsPerSecond : undefined,
	};
}

/** The item's fields and options, each read as the user meant it (throws ParameterValueError naming the one that is not). */
function readValues(
	routedBody: IDataObject,
	options: LicenseOptions,
	parameter: ReadParameter,
	defaults: CredentialDefaults,
) {
	const accountName = accountFor(
		textValue('Account Name', routedBody.accountName, '0000123456-00001'),
		defaults,
	);
	const sku = skuValue(routedBody.skuNumber);
	const deviceSource =
		textValue('Device Source', parameter('deviceSource', 'collection'), 'list').toLowerCase() ||
		'collection';
	if (deviceSource !== 'list' && deviceSource !== 'collection') {
		throw new ParameterValueError(
			`Device Source must be "collection" or "list", not ${quoted(deviceSource)}`,
			'Choose Devices (collection) or Device List (list).',
		);
	}
	return {
		body: (accountName
			? { accountName, skuNumber: sku.value }
			: { skuNumber: sku.value }) as IDataObject,
		sku,
		deviceSource,
		// Checked with each ID against the kinds ThingSpace documents.
		deviceKind: textValue('Device ID Kind', parameter('deviceKind', 'IMEI'), 'IMEI').toUpperCase(),
		dryRun: booleanValue('Dry Run', options.dryRun, false),
		checkAvailability: booleanValue('Check Availability First', options.checkAvailability, false),
		combineItems: booleanValue('Combine Items', options.combineItems, true),
		retryServerErrors: booleanValue('Retry on Server Errors', options.retryServerErrors, false),
		verifyCheckDigits: booleanValue('Verify Check Digits', options.verifyCheckDigits, true),
		transactionId: textValue(
			'Transaction ID',
			typeof options.transactionId === 'number'
				? String(options.transactionId)
				: options.transactionId,
			'1-20250114001',
		),
		// 0: the node decides, by what ThingSpace shows (nodes/shared/inFlight.ts).
		maxConcurrentRequests: wholeNumberValue(
			'Max Requests at Once',
			options.maxConcurrentRequests,
			0,
			0,
		),
		maxRequestsPerSecond: givenRate(options.maxRequestsPerSecond),
	};
}

/**
 * Max Requests per Second: 0 (learn it), or a rate; a fraction is a rate too (0.5: one request every two seconds).
 * Below RATE_LIMIT.minGivenRate a request would wait longer than it may wait for a 429, so the run would look hung.
 */
function givenRate(value: unknown): number {
	const rate = numberValue('Max Requests per Second', value, 0, 0);
	if (rate === 0 || rate >= RATE_LIMIT.minGivenRate) return rate;
	throw new ParameterValueError(
		`Max Requests per Second must be 0 or at least ${RATE_LIMIT.minGivenRate}, not ${quoted(value)}`,
		`Give 0 to let the node learn ThingSpace's rate, or a rate of ${RATE_LIMIT.minGivenRate} (one request every ${Math.round(1 / RATE_LIMIT.minGivenRate)} s) or more.`,
	);
}
