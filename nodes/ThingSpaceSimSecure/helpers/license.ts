import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { MAX_DEVICES_PER_REQUEST, SKUS } from './constants';
import {
	checkDevices,
	DeviceInputError,
	devicesFromCollection,
	devicesFromList,
	type LicenseDevice,
} from './devices';
import { thingSpaceError } from './errors';
import { claimTransactionIds, transactionIdProblem, transactionIds } from './transactionId';
import { runOf } from './combine';
import { licenseOutput, progressReport, type SentRequest } from './licenseResult';
import { asItemError, routedRequest, withCredentialDefaults, type RequestData } from './transport';

interface LicenseOptions {
	verifyCheckDigits?: boolean;
	transactionId?: string;
	combineItems?: boolean;
	retryServerErrors?: boolean;
}

/**
 * Reads the item's devices from the UI collection or the expression list and checks every id,
 * the SKU and the Transaction ID. Throws before anything is sent.
 */
function readLicenseRequest(
	context: IExecutePaginationFunctions,
	body: IDataObject,
	listed: unknown,
): LicenseDevice[] {
	const operation = context.getNodeParameter('operation') as string;
	const options = context.getNodeParameter('options', {}) as LicenseOptions;
	const fail = (message: string, description: string) =>
		new NodeOperationError(context.getNode(), `${message} [item ${context.getItemIndex()}]`, {
			description,
			itemIndex: context.getItemIndex(),
		});

	const sku = SKUS.find((known) => known.value === body.skuNumber);
	if (!sku) {
		throw fail(
			`SKU "${String(body.skuNumber)}" is not a SIM-Secure for IoT SKU`,
			`Use one of ${SKUS.map((known) => known.value).join(', ')}.`,
		);
	}
	if (operation === 'unassign' && !sku.removable) {
		throw fail(
			`${sku.name} licenses cannot be unassigned`,
			'A Lifetime license stays on the SIM for its whole life; ThingSpace removes only Flex, Flex Bundle and Intelligence bundle licenses. Nothing was sent.',
		);
	}

	let devices: LicenseDevice[];
	try {
		devices =
			context.getNodeParameter('deviceSource', 'collection') === 'list'
				? devicesFromList(listed, context.getNodeParameter('deviceKind', 'IMEI') as string)
				: devicesFromCollection(context.getNodeParameter('devices', {}) as IDataObject);
		checkDevices(devices, { checkDigits: options.verifyCheckDigits !== false });
	} catch (error) {
		const rule = error instanceof DeviceInputError ? error.description : '';
		throw new NodeOperationError(context.getNode(), `${(error as Error).message} [item ${context.getItemIndex()}]`, {
			description: `${rule} Nothing was sent for this item.`.trim(),
			itemIndex: context.getItemIndex(),
		});
	}

	const given = (options.transactionId ?? '').trim();
	if (given !== '') {
		const requests = Math.ceil(devices.length / MAX_DEVICES_PER_REQUEST);
		const ids = transactionIds(given, requests);
		const problem = ids.map(transactionIdProblem).find(Boolean);
		if (problem) {
			throw fail(
				problem,
				requests > 1
					? `These ${devices.length} devices go out as ${requests} requests, each with the given id followed by its number. Shorten the id or leave it empty to have one generated.`
					: 'Leave it empty to have one generated.',
			);
		}
		const reused = claimTransactionIds(context.getExecutionId() ?? '', ids);
		if (reused !== undefined) {
			throw fail(
				`Transaction ID "${reused}" is already used by another item of this run`,
				'Each request needs its own Transaction ID. Leave it empty to have one generated, or make it differ per item, for example 1-2025{{ $itemIndex }}.',
			);
		}
	}

	return devices;
}

/**
 * Assign and Unassign. Devices go out in requests of at most 100 (ThingSpace's limit); each item gets
 * one output item listing every request that carried its devices, with its requestId, for matching
 * the per-device callbacks. With "Combine Items" (the default), items of one run that go to the same
 * account and SKU share requests; otherwise each item's devices go out on their own.
 */
export async function sendLicenseRequests(
	this: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<INodeExecutionData[]> {
	return await asItemError(this, async () => await send(this, requestData));
}

async function send(context: IExecutePaginationFunctions, routed: RequestData): Promise<INodeExecutionData[]> {
	const requestData = await withCredentialDefaults(context, routed);
	// The Device List value travels in the body from routing; ThingSpace gets "devices" instead.
	const { deviceList, ...body } = requestData.options.body as IDataObject;
	const devices = readLicenseRequest(context, body, deviceList);
	const options = context.getNodeParameter('options', {}) as LicenseOptions;
	const given = (options.transactionId ?? '').trim();
	const run = runOf(context);
	// A given Transaction ID belongs to this item's own requests, so such an item is never combined.
	if (options.combineItems !== false && given === '') {
		return await run.join({ context, requestData, body, devices });
	}

	const chunks: LicenseDevice[][] = [];
	for (let start = 0; start < devices.length; start += MAX_DEVICES_PER_REQUEST) {
		chunks.push(devices.slice(start, start + MAX_DEVICES_PER_REQUEST));
	}
	const ids = transactionIds(given, chunks.length);
	const sent: SentRequest[] = [];
	for (const [index, chunk] of chunks.entries()) {
		const outcome = await run.limit(
			async () =>
				await routedRequest(context, requestData, {
					...requestData.options,
					headers: { ...requestData.options.headers, 'X-Request-ID': ids[index] },
					body: { ...body, devices: chunk },
				}, options.retryServerErrors === true),
		);
		if (outcome.failure) {
			throw thingSpaceError(
				context.getNode(),
				outcome.failure,
				context.getItemIndex(),
				progressReport(sent, chunk, chunks.slice(index + 1).flat(), outcome.failure),
			);
		}
		sent.push({
			requestId: String(outcome.body.requestId ?? ''),
			transactionId: ids[index],
			deviceCount: chunk.length,
			devices: chunk,
		});
	}
	return licenseOutput(context, body, devices.length, sent);
}
