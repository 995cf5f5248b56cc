import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { DEFAULT_MAX_CONCURRENT_REQUESTS, MAX_DEVICES_PER_REQUEST } from './constants';
import type { LicenseDevice } from './devices';
import { thingSpaceError, type Failure } from './errors';
import { licenseOutput, progressReport, type SentRequest } from './licenseResult';
import { newTransactionId } from './transactionId';
import { routedRequest, type RequestData } from './transport';

/**
 * n8n starts every item of a declarative node at once. The items of one node run meet here: their
 * devices are packed into shared requests of up to 100 per account, SKU and operation, and at most
 * K licensing requests of the run are in flight at a time.
 */

interface Joined {
	context: IExecutePaginationFunctions;
	requestData: RequestData;
	body: IDataObject;
	devices: LicenseDevice[];
}

interface Entry extends Joined {
	sent: SentRequest[];
	failure?: Failure;
	failed: LicenseDevice[];
	notSent: LicenseDevice[];
	settle: { resolve: (items: INodeExecutionData[]) => void; reject: (error: Error) => void };
}

/** Devices of one request, each with the item it came from. */
type Piece = { entry: Entry; device: LicenseDevice };

class NodeRun {
	private groups = new Map<string, Entry[]>();

	private active = 0;

	private waiting: Array<() => void> = [];

	constructor(private readonly maxInFlight: number) {}

	/** Runs a licensing request when fewer than K of this run are in flight. */
	async limit<T>(request: () => Promise<T>): Promise<T> {
		while (this.active >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
		this.active++;
		try {
			return await request();
		} finally {
			this.active--;
			this.waiting.shift()?.();
		}
	}

	/**
	 * Adds an item's devices and resolves with its output once every request carrying them is done.
	 * Items join synchronously while n8n starts them, so they are sent on the next turn of the event loop.
	 */
	async join(joined: Joined): Promise<INodeExecutionData[]> {
		const { options } = joined.requestData;
		const { accountName, skuNumber } = joined.body;
		const key = JSON.stringify([options.method, options.baseURL, options.url, accountName, skuNumber]);
		const first = this.groups.size === 0;
		return await new Promise<INodeExecutionData[]>((resolve, reject) => {
			const group = this.groups.get(key) ?? [];
			group.push({ ...joined, sent: [], failed: [], notSent: [], settle: { resolve, reject } });
			this.groups.set(key, group);
			if (first) void this.flushSoon();
		});
	}

	private async flushSoon(): Promise<void> {
		await sleep(0);
		const groups = [...this.groups.values()];
		this.groups = new Map();
		await Promise.all(groups.map(async (entries) => await this.sendGroup(entries)));
	}

	private async sendGroup(entries: Entry[]): Promise<void> {
		const pieces: Piece[] = entries.flatMap((entry) => entry.devices.map((device) => ({ entry, device })));
		const requests: Piece[][] = [];
		for (let start = 0; start < pieces.length; start += MAX_DEVICES_PER_REQUEST) {
			requests.push(pieces.slice(start, start + MAX_DEVICES_PER_REQUEST));
		}
		// Requests start in order (the limit is first come, first served), so an item whose request
		// failed sends none of its devices that have not yet gone out.
		await Promise.all(requests.map(async (request) => await this.limit(async () => await this.sendRequest(request))));
		for (const entry of entries) settle(entry);
	}

	private async sendRequest(request: Piece[]): Promise<void> {
		// An item that already failed sends nothing more: its remaining devices are reported as not sent.
		const live = request.filter(({ entry, device }) => !entry.failure || void entry.notSent.push(device));
		if (live.length === 0) return;
		const { context, requestData, body } = live[0].entry;
		const transactionId = newTransactionId();
		const retryServerErrors = context.getNodeParameter('options.retryServerErrors', false) === true;
		const outcome = await routedRequest(
			context,
			requestData,
			{
				...requestData.options,
				headers: { ...requestData.options.headers, 'X-Request-ID': transactionId },
				body: { ...body, devices: live.map(({ device }) => device) },
			},
			retryServerErrors,
		);
		for (const [entry, devices] of byEntry(live)) {
			if (outcome.failure) {
				entry.failure ??= outcome.failure;
				entry.failed.push(...devices);
			} else {
				const requestId = String(outcome.body.requestId ?? '');
				entry.sent.push({ requestId, transactionId, deviceCount: devices.length, devices });
			}
		}
	}
}

function byEntry(pieces: Piece[]): Map<Entry, LicenseDevice[]> {
	const map = new Map<Entry, LicenseDevice[]>();
	for (const { entry, device } of pieces) map.set(entry, [...(map.get(entry) ?? []), device]);
	return map;
}

function settle(entry: Entry): void {
	const { context, body, devices, sent, failure } = entry;
	if (!failure) {
		entry.settle.resolve(licenseOutput(context, body, devices.length, sent));
		return;
	}
	entry.settle.reject(
		thingSpaceError(
			context.getNode(),
			failure,
			context.getItemIndex(),
			progressReport(sent, entry.failed, entry.notSent, failure),
		),
	);
}

/** One NodeRun per node run: n8n hands every item of a run the same execute data object. */
const runs = new WeakMap<object, NodeRun>();

export function runOf(context: IExecutePaginationFunctions): NodeRun {
	const key = context.getExecuteData();
	let run = runs.get(key);
	if (!run) {
		const k = context.getNodeParameter('options.maxConcurrentRequests', DEFAULT_MAX_CONCURRENT_REQUESTS) as number;
		run = new NodeRun(Math.max(1, Math.floor(k)));
		runs.set(key, run);
	}
	return run;
}
