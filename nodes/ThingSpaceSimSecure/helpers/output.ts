import type { IDataObject, INodeExecutionData, NodeApiError } from 'n8n-workflow';

import type { Failure } from '../../shared/errors';
import { fateOf } from '../../shared/errors';
import { firstFew } from '../../shared/redaction';
import type { LicenseDevice } from './deviceInput';
import type { LicenseRequest } from './licenseRequest';
import type { Accepted } from './licensePlan';

/** One licensing request, as an item's output lists it: only the devices of that item. */
export interface SentRequest {
	/** ThingSpace's requestId; null in a dry run, where nothing was sent. */
	requestId: string | null;
	transactionId: string;
	deviceCount: number;
	devices: LicenseDevice[];
	/** Accepted by an earlier try of this node in the same execution (Retry On Fail): not sent again. */
	alreadySent?: boolean;
}

/** What became of an item's devices. */
export interface ItemProgress {
	sent: SentRequest[];
	failure?: Failure;
	inDoubt: LicenseDevice[];
	refused: LicenseDevice[];
	notSent: LicenseDevice[];
}

/** How the run was spaced under ThingSpace's rate limit: the rate used and the time its requests waited in all. */
export interface Pacing extends IDataObject {
	requestsPerSecond: number;
	waitedMs: number;
}

/** The item's output: every request that carried its devices (in a dry run: that would carry them). */
export function licenseOutput(
	request: LicenseRequest,
	progress: ItemProgress,
	pacing?: Pacing,
): IDataObject {
	const output: IDataObject = {
		operation: request.operation,
		accountName: request.body.accountName ?? null,
		skuNumber: request.body.skuNumber as string,
		deviceCount: request.devices.length,
		requestCount: progress.sent.length,
		requestIds: progress.sent.flatMap((sent) => (sent.requestId === null ? [] : [sent.requestId])),
		requests: progress.sent as unknown as IDataObject[],
	};
	if (pacing) output.pacing = pacing;
	if (!request.dryRun) return output;
	return { dryRun: true, ...output, devicesRefused: request.refused as unknown as IDataObject[] };
}

/** Records a device of the item in a request: accepted by ThingSpace, or planned in a dry run. */
export function addSent(
	progress: ItemProgress,
	sent: Omit<SentRequest, 'deviceCount' | 'devices'>,
	device: LicenseDevice,
): void {
	let request = progress.sent.find((known) => known.transactionId === sent.transactionId);
	if (!request) {
		request = {
			requestId: sent.requestId,
			transactionId: sent.transactionId,
			deviceCount: 0,
			devices: [],
		};
		if (sent.alreadySent) request.alreadySent = true;
		progress.sent.push(request);
	}
	request.devices.push(device);
	request.deviceCount++;
}

/** Records a device of the item that went out in a failed request. */
export function addFailed(progress: ItemProgress, failure: Failure, device: LicenseDevice): void {
	progress.failure ??= failure;
	progress[fateOf(failure)].push(device);
}

const idsOf = (device: LicenseDevice) =>
	device.deviceIds.map((id) => `${id.kind} ${id.id}`).join(' / ');

/** What happened to each of the item's devices when a request that carried some of them failed (bounded). */
export function progressReport(progress: ItemProgress): string {
	const list = (devices: LicenseDevice[]) => firstFew(devices.map(idsOf));
	const { sent, inDoubt, refused, notSent } = progress;
	const lines = [
		sent.length === 0
			? 'No request of this item had been accepted.'
			: `Already accepted by ThingSpace (do not send again): ${firstFew(
					sent.map((request) => `requestId ${request.requestId} (${request.deviceCount} devices)`),
				)}.`,
	];
	if (refused.length > 0)
		lines.push(`Refused by ThingSpace: ${refused.length} devices: ${list(refused)}.`);
	if (inDoubt.length > 0)
		lines.push(
			`In doubt (ThingSpace may have applied them; check before resending): ${inDoubt.length} devices: ${list(inDoubt)}.`,
		);
	if (notSent.length > 0) lines.push(`Not sent: ${notSent.length} devices: ${list(notSent)}.`);
	return lines.join('\n');
}

/** What became of the devices of a whole node run, counted once each whichever items named them. */
export interface RunTally {
	accepted: Array<{ requestId: string; deviceCount: number }>;
	/** Accepted by an earlier try of this node (Retry On Fail), so not sent again. */
	alreadyAccepted: number;
	/** What earlier runs of this node in the execution had accepted (earlierReport). */
	earlier?: string;
	inDoubt: LicenseDevice[];
	refused: LicenseDevice[];
	notSent: LicenseDevice[];
}

export const emptyTally = (): RunTally => ({
	accepted: [],
	alreadyAccepted: 0,
	inDoubt: [],
	refused: [],
	notSent: [],
});

/** A run's requestIds in an error: every one up to this many (100,000 devices), then how many more. */
const LISTED_REQUEST_IDS = 1000;

/** The whole run, for the error that stops it: n8n then drops every other item's output, so this is all the user gets. */
export function runReport(tally: RunTally): string {
	const list = (devices: LicenseDevice[]) => firstFew(devices.map(idsOf));
	const { accepted, inDoubt, refused, notSent } = tally;
	const devices = accepted.reduce((sum, request) => sum + request.deviceCount, 0);
	const lines = [
		accepted.length === 0
			? 'The whole run (all items): no request was accepted.'
			: `The whole run (all items): ${devices} devices accepted by ThingSpace in ${accepted.length} requests (do not send them again): requestIds ${firstFew(
					accepted.map((request) => request.requestId),
					LISTED_REQUEST_IDS,
				)}.`,
	];
	if (tally.alreadyAccepted > 0)
		lines.push(
			`${tally.alreadyAccepted} devices were accepted by an earlier try of this node and not sent again.`,
		);
	if (tally.earlier) lines.push(tally.earlier);
	lines.push(
		inDoubt.length === 0
			? 'No device is in doubt.'
			: `${inDoubt.length} devices in doubt (ThingSpace may have applied them; check before resending): ${list(inDoubt)}.`,
	);
	if (refused.length > 0)
		lines.push(`${refused.length} devices refused by ThingSpace: ${list(refused)}.`);
	if (notSent.length > 0) lines.push(`${notSent.length} devices not sent: ${list(notSent)}.`);
	return lines.join('\n');
}

/** What ThingSpace accepted in earlier runs of this node in the execution (tries of Retry On Fail, batches): a run that stops says it too. */
export function earlierReport(accepted: Accepted): string | undefined {
	const devices = new Set<LicenseDevice>();
	const requestIds = new Set<string>();
	for (const { requestId, device } of accepted.values()) {
		devices.add(device);
		requestIds.add(requestId);
	}
	if (requestIds.size === 0) return undefined;
	return `Earlier in this execution (an earlier try or batch of this node): ${devices.size} devices accepted by ThingSpace in ${requestIds.size} requests (do not send them again): requestIds ${firstFew([...requestIds], LISTED_REQUEST_IDS)}.`;
}

/**
 * The error item of an item whose requests failed (some may have been accepted before). n8n replaces the
 * $json of an item that carries an error object with {error}, so this one carries the error as data:
 * on the regular output the lists sit beside `error`; n8n's error output (1.x and 2.x) routes an
 * item only when `error` is its one field, so there they sit inside it.
 */
export function partFailedItem(
	error: NodeApiError,
	progress: ItemProgress,
	itemIndex: number,
	errorOutput: boolean,
): INodeExecutionData {
	const devices = (list: LicenseDevice[]) => list as unknown as IDataObject[];
	const lists = {
		// Some devices were accepted, but the licensing the item asked for was not all done.
		licensed: false,
		acceptedRequestIds: progress.sent.map((sent) => sent.requestId),
		// Each accepted request with the item's devices it carried.
		requests: progress.sent as unknown as IDataObject[],
		devicesInDoubt: devices(progress.inDoubt),
		devicesRefused: devices(progress.refused),
		devicesNotSent: devices(progress.notSent),
	};
	const json = errorOutput
		? {
				error: {
					message: error.message,
					description: error.description ?? '',
					httpCode: error.httpCode ?? null,
					...lists,
				},
			}
		: {
				error: error.message,
				description: error.description ?? '',
				httpCode: error.httpCode ?? null,
				...lists,
			};
	return { json, pairedItem: { item: itemIndex } };
}
