import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';

import type { LicenseDevice } from './devices';
import type { Failure } from './errors';
import { isServerFailure, pairedItems } from './transport';

/** One licensing request, as an item's output lists it: only the devices of that item. */
export interface SentRequest {
	requestId: string;
	transactionId: string;
	deviceCount: number;
	devices: LicenseDevice[];
}

/** The item's output: every request that carried its devices. */
export function licenseOutput(
	context: IExecutePaginationFunctions,
	body: IDataObject,
	deviceCount: number,
	sent: SentRequest[],
): INodeExecutionData[] {
	return pairedItems(context, [
		{
			operation: context.getNodeParameter('operation') as string,
			accountName: body.accountName ?? null,
			skuNumber: body.skuNumber as string,
			deviceCount,
			requestCount: sent.length,
			requestIds: sent.map((request) => request.requestId),
			requests: sent as unknown as IDataObject[],
		},
	]);
}

/** What happened to each of the item's devices when a request that carried some of them failed. */
export function progressReport(
	sent: SentRequest[],
	failed: LicenseDevice[],
	notSent: LicenseDevice[],
	failure: Failure,
): string {
	const list = (devices: LicenseDevice[]) =>
		devices.map((device) => device.deviceIds.map((id) => `${id.kind} ${id.id}`).join(' / ')).join(', ');
	const label = failure.auth
		? 'Not sent (the credential step failed first)'
		: isServerFailure(failure)
			? 'In doubt (ThingSpace may have applied them; check before resending)'
			: 'Refused by ThingSpace';
	const lines = [
		sent.length === 0
			? 'No earlier request of this item had been accepted.'
			: `Already accepted by ThingSpace (do not send again): ${sent
					.map((request) => `requestId ${request.requestId} (${request.deviceCount} devices)`)
					.join(', ')}.`,
		`${label}: ${failed.length} devices: ${list(failed)}.`,
	];
	if (notSent.length > 0) lines.push(`Not sent: ${notSent.length} devices: ${list(notSent)}.`);
	return lines.join('\n');
}
