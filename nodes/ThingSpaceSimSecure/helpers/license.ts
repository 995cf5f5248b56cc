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
import { asItemError, checkHost, pairedItems, routedRequest, type RequestData } from './transport';

interface LicenseOptions {
	verifyCheckDigits?: boolean;
	transactionId?: string;
}

/**
 * Reads the item's devices from the UI collection or the expression list and checks every id,
 * the SKU and the Transaction ID. Throws before anything is sent.
 */
function readLicenseRequest(context: IExecutePaginationFunctions, body: IDataObject): LicenseDevice[] {
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
				? devicesFromList(
						context.getNodeParameter('deviceList', ''),
						context.getNodeParameter('deviceKind', 'IMEI') as string,
					)
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

interface SentRequest {
	requestId: string;
	transactionId: string;
	deviceCount: number;
	devices: LicenseDevice[];
}

/**
 * Sends the item's devices as consecutive requests of at most 100 (ThingSpace's limit) and returns
 * one item listing every request with its requestId and devices, for matching the per-device callbacks.
 * If a request fails, the error lists the requests already accepted and the devices not licensed.
 */
export async function sendLicenseRequests(
	this: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<INodeExecutionData[]> {
	return await asItemError(this, async () => await send(this, requestData));
}

async function send(context: IExecutePaginationFunctions, requestData: RequestData): Promise<INodeExecutionData[]> {
	checkHost(context, requestData);
	const body = requestData.options.body as IDataObject;
	const devices = readLicenseRequest(context, body);
	const chunks: LicenseDevice[][] = [];
	for (let start = 0; start < devices.length; start += MAX_DEVICES_PER_REQUEST) {
		chunks.push(devices.slice(start, start + MAX_DEVICES_PER_REQUEST));
	}
	const options = context.getNodeParameter('options', {}) as LicenseOptions;
	const ids = transactionIds((options.transactionId ?? '').trim(), chunks.length);

	const sent: SentRequest[] = [];
	for (const [index, chunk] of chunks.entries()) {
		const outcome = await routedRequest(context, requestData, {
			...requestData.options,
			headers: { ...requestData.options.headers, 'X-Request-ID': ids[index] },
			body: { ...body, devices: chunk },
		});
		if (outcome.failure) {
			throw thingSpaceError(
				context.getNode(),
				outcome.failure,
				context.getItemIndex(),
				progressReport(sent, chunk, chunks.slice(index + 1).flat(), outcome.failure.status),
			);
		}
		sent.push({
			requestId: String(outcome.body.requestId ?? ''),
			transactionId: ids[index],
			deviceCount: chunk.length,
			devices: chunk,
		});
	}

	return pairedItems(context, [
		{
			operation: context.getNodeParameter('operation') as string,
			accountName: body.accountName ?? null,
			skuNumber: body.skuNumber as string,
			deviceCount: devices.length,
			requestCount: sent.length,
			requestIds: sent.map((request) => request.requestId),
			requests: sent as unknown as IDataObject[],
		},
	]);
}

/** What happened to each of the item's devices when one of its requests failed. */
function progressReport(
	sent: SentRequest[],
	failed: LicenseDevice[],
	notSent: LicenseDevice[],
	status: number | undefined,
): string {
	const list = (devices: LicenseDevice[]) =>
		devices.map((device) => device.deviceIds.map((id) => `${id.kind} ${id.id}`).join(' / ')).join(', ');
	const inDoubt = status === undefined || status >= 500;
	const lines = [
		sent.length === 0
			? 'No earlier request of this item had been accepted.'
			: `Already accepted by ThingSpace (do not send again): ${sent
					.map((request) => `requestId ${request.requestId} (${request.deviceCount} devices)`)
					.join(', ')}.`,
		`${inDoubt ? 'In doubt (ThingSpace may have applied them; check before resending)' : 'Refused by ThingSpace'}: ${failed.length} devices: ${list(failed)}.`,
	];
	if (notSent.length > 0) lines.push(`Not sent: ${notSent.length} devices: ${list(notSent)}.`);
	return lines.join('\n');
}
