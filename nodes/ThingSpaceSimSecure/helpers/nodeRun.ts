import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { thingSpaceRequest } from '../../shared/client';
import { fateOf, thingSpaceError, type Failure } from '../../shared/errors';
import { pacerFor, type Pace } from '../../shared/pacer';
import { MAX_DEVICES_PER_REQUEST, PATHS, RATE_LIMIT } from '../../shared/policy';
import { quoted } from '../../shared/parameterValues';
import { cut, firstFew } from '../../shared/text';
import { identityConflict, IDENTITY_FIX, type NamedBy } from './deviceIdentity';
import { deviceIdKey, type LicenseDevice } from './devices';
import { credentialDefaults, errorItem, keepsGoing, routedSend, runsAsTool, withDefaults, type CredentialDefaults, type RequestData } from './hooks';
import { readLicenseRequest, type LicenseRequest, type ReadParameter } from './licenseRequest';
import {
	addFailed,
	addSent,
	emptyTally,
	licenseOutput,
	partFailedItem,
	progressReport,
	runReport,
	type ItemProgress,
	type Pacing,
} from './output';
import { transactionIds } from './transactionId';

/**
 * The one send path of Assign and Unassign. n8n starts every item of a declarative node in the same
 * turn of the event loop, so the items of a node run meet here before anything is sent:
 * - every item is read and checked first; without Continue On Fail one bad item means nothing is sent;
 * - items that go to the same account and SKU with the same options share requests of up to 100
 *   devices (an item that is not combined is a group of its own, with its own Transaction IDs);
 * - a device named by several items goes out once, and each of them gets the requestId that carried it;
 * - a device that ThingSpace accepted in an earlier try of this node (Retry On Fail) is not sent again;
 * - at most K licensing requests of the run are in flight, started in item order.
 */

interface Entry {
	context: IExecutePaginationFunctions;
	itemIndex: number;
	routed: RequestData;
	request?: LicenseRequest;
	/** Operation, account, SKU and dry run, numbered per node memory: where a device counts as the same. */
	scope?: number;
	problem?: Error;
	progress: ItemProgress;
	settle: { resolve: (items: INodeExecutionData[]) => void; reject: (error: Error) => void };
}

/** A device and every item that named it. */
interface Piece {
	device: LicenseDevice;
	entries: Entry[];
}

interface Group {
	/** Operation, host, account and SKU (numbered per node memory): where a device counts as the same. */
	scope: number;
	first: Entry;
	pieces: Piece[];
}

interface Planned {
	group: Group;
	pieces: Piece[];
	transactionId: string;
}

/** What ThingSpace accepted for this node in this execution, by scope and device ID. */
type Accepted = Map<string, { requestId: string; transactionId: string; device: LicenseDevice }>;

/**
 * Per execution and node: n8n hands every item, and every try of Retry On Fail, the same execute
 * data object, and drops it with the execution, so this memory lives exactly that long.
 */
interface NodeMemory {
	/** The node run whose items are still joining (one turn of the event loop). */
	open?: NodeRun;
	accepted: Accepted;
	/** Short numbers for the scopes, so 100,000 accepted devices keep short keys. */
	scopes: Map<string, number>;
}

const memories = new WeakMap<object, NodeMemory>();

/** Assign and Unassign: the item joins its node run and gets its output once the run is done. */
export function sendLicenseRequests(this: IExecutePaginationFunctions, requestData: RequestData): Promise<INodeExecutionData[]> {
	const key = this.getExecuteData();
	let memory = memories.get(key);
	if (!memory) {
		memory = { accepted: new Map(), scopes: new Map() };
		memories.set(key, memory);
	}
	const run = (memory.open ??= new NodeRun(memory, this));
	return run.join(this, requestData);
}

class NodeRun {
	private readonly entries: Entry[] = [];

	private readonly defaults: Promise<CredentialDefaults>;

	/** The credential's pace, and how long this run's requests waited for it. */
	private pace?: Pace;

	private pacedMs = 0;

	/** The credential's host and default account, once read. */
	private credential?: CredentialDefaults;

	/** Every device of the run by its fate, for the error when the run stops. */
	private readonly tally = emptyTally();

	constructor(
		private readonly memory: NodeMemory,
		private readonly first: IExecutePaginationFunctions,
	) {
		this.defaults = credentialDefaults(first);
		this.defaults.catch(() => {}); // read in flush()
		void this.flushSoon();
	}

	join(context: IExecutePaginationFunctions, routed: RequestData): Promise<INodeExecutionData[]> {
		return new Promise<INodeExecutionData[]>((resolve, reject) => {
			this.entries.push({
				context,
				itemIndex: context.getItemIndex(),
				routed,
				progress: { sent: [], inDoubt: [], refused: [], notSent: [] },
				settle: { resolve, reject },
			});
		});
	}

	private async flushSoon(): Promise<void> {
		await sleep(0);
		// Items that come later (the next try of Retry On Fail) make a new node run.
		if (this.memory.open === this) delete this.memory.open;
		try {
			await this.flush();
		} catch (error) {
			for (const entry of this.entries) fail(entry, error as Error);
		}
	}

	private async flush(): Promise<void> {
		const defaults = await this.defaults;
		this.credential = defaults;
		this.read(defaults);
		this.checkIdentities();
		const continueOnFail = keepsGoing(this.first);
		if (!continueOnFail && this.someItemsMissing()) {
			// n8n failed an item before it reached this node (an expression error); the run has failed already.
			for (const entry of this.entries) entry.settle.resolve([]);
			return;
		}
		const bad = this.entries.filter((entry) => entry.problem);
		if (bad.length > 0 && !continueOnFail) {
			const error = badItemsError(this.first, bad);
			for (const entry of this.entries) fail(entry, error);
			return;
		}
		for (const entry of bad) fail(entry, entry.problem as Error);

		const good = this.entries.filter((entry) => entry.request);
		const planned = this.plan(good);
		const shortage = await checkAvailability(this.first, planned, defaults.baseURL);
		if (shortage) {
			for (const entry of good) fail(entry, shortage);
			return;
		}
		this.pace = pacerFor(defaults.caller, good[0]?.request?.maxRequestsPerSecond);
		const limit = limiter(good[0]?.request?.maxConcurrentRequests ?? 1);
		await Promise.all(planned.map(async (request) => await limit(async () => await this.send(request))));
		const rate = this.pace.rate;
		const pacing = rate === undefined ? undefined : { requestsPerSecond: Math.round(((rate * 1000) / RATE_LIMIT.windowMs) * 10) / 10, waitedMs: this.pacedMs };
		const stopping = !continueOnFail && good.find((entry) => entry.progress.failure);
		if (!stopping) {
			for (const entry of good) settle(entry, pacing);
			return;
		}
		// n8n stops the run with the first failed item's error and drops every other output: that error tells the whole run.
		const { context, itemIndex, progress } = stopping;
		const error = thingSpaceError(context.getNode(), progress.failure as Failure, itemIndex, `${progressReport(progress)}\n\n${runReport(this.tally)}`);
		for (const entry of good) {
			if (entry.progress.failure) entry.settle.reject(error);
			else settle(entry, pacing);
		}
	}

	/** Reads and checks every item; a Transaction ID may serve one item of the run only. */
	private read(defaults: CredentialDefaults): void {
		const given = new Map<string, number>();
		const fixed = new Map<string, unknown>();
		const raw = this.first.getNode().parameters;
		for (const entry of this.entries) {
			// A parameter without an expression has one value for every item: read once, not per item.
			const parameter: ReadParameter = (name, fallback) => {
				if (fixed.has(name)) return fixed.get(name);
				const value = entry.context.getNodeParameter(name, fallback);
				if (!hasExpression(raw[name])) fixed.set(name, value);
				return value;
			};
			try {
				entry.request = readLicenseRequest(entry.context, entry.routed.options.body as IDataObject, parameter, defaults);
			} catch (error) {
				entry.problem = error as Error;
				continue;
			}
			const { transactionId, devices } = entry.request;
			if (transactionId === '') continue;
			const ids = transactionIds(transactionId, Math.ceil(devices.length / MAX_DEVICES_PER_REQUEST));
			const taken = ids.find((id) => given.has(id));
			if (taken !== undefined) {
				entry.problem = new NodeOperationError(
					entry.context.getNode(),
					`Transaction ID "${taken}" is already used by another item of this run (item ${given.get(taken)}) [item ${entry.itemIndex}]`,
					{
						description:
							'Each request needs its own Transaction ID. Leave it empty to have one generated, or make it differ per item, e.g. 1-2025{{ $itemIndex }}. Nothing was sent for this item.',
						itemIndex: entry.itemIndex,
					},
				);
				delete entry.request;
				continue;
			}
			ids.forEach((id) => given.set(id, entry.itemIndex));
		}
	}

	/** A device is all of its identifiers: an item whose device shares one with another device, but not all, is refused. */
	private checkIdentities(): void {
		const named = new Map<string, NamedBy>();
		for (const entry of this.entries) {
			const request = entry.request;
			if (!request) continue;
			const scope = this.scopeOf(request);
			entry.scope = scope;
			const where = `item ${entry.itemIndex}`;
			let problem: string | undefined;
			for (const device of request.devices) {
				problem = identityConflict(device, where, (idKey) => {
					const accepted = this.memory.accepted.get(`${scope}|${idKey}`);
					if (accepted) return { device: accepted.device, where: `an earlier try of this node (requestId ${accepted.requestId})` };
					return named.get(`${scope}|${idKey}`);
				});
				if (problem) break;
			}
			if (problem) {
				entry.problem = new NodeOperationError(entry.context.getNode(), `${problem} [item ${entry.itemIndex}]`, {
					description: IDENTITY_FIX,
					itemIndex: entry.itemIndex,
				});
				delete entry.request;
				continue;
			}
			for (const device of request.devices) {
				for (const id of device.deviceIds) {
					const key = `${scope}|${deviceIdKey(id)}`;
					if (!named.has(key)) named.set(key, { device, where });
				}
			}
		}
	}

	private scopeOf({ operation, body, dryRun }: LicenseRequest): number {
		// The host is the run's; the operation gives the path.
		const scopeKey = `${operation}\u0000${String(body.accountName ?? '')}\u0000${String(body.skuNumber)}\u0000${dryRun}`;
		const scope = this.memory.scopes.get(scopeKey) ?? this.memory.scopes.size;
		this.memory.scopes.set(scopeKey, scope);
		return scope;
	}

	private someItemsMissing(): boolean {
		const { batching } = this.first.getNodeParameter('requestOptions', {}) as { batching?: { batch?: { batchInterval?: number } } };
		// With n8n's batching option, items arrive in several turns, each its own node run.
		if ((batching?.batch?.batchInterval ?? 0) > 0) return false;
		// The items this run of the node got ("Execute Once" gives it only the first). n8n-core 1.x and 2.x keep
		// them on the item's context; where they are not found, nothing is held back.
		const items = (this.first as unknown as { inputData?: { main?: unknown[][] } }).inputData?.main?.[0];
		return Array.isArray(items) && this.entries.length < items.length;
	}

	/** Groups, one piece per device, chunks of at most 100, a Transaction ID for each. */
	private plan(entries: Entry[]): Planned[] {
		const groups = new Map<string, Group>();
		const pieceOf = new Map<string, Piece>();
		for (const entry of entries) {
			const { devices, combine, retryServerErrors } = entry.request as LicenseRequest;
			const scope = entry.scope as number;
			const key = combine ? `${scope}:${retryServerErrors}` : `${scope}#${entry.itemIndex}`;
			let group = groups.get(key);
			if (!group) {
				group = { scope, first: entry, pieces: [] };
				groups.set(key, group);
			}
			for (const device of devices) {
				const keys = device.deviceIds.map((id) => `${scope}|${deviceIdKey(id)}`);
				let done: { requestId: string; transactionId: string } | undefined;
				let named: Piece | undefined;
				for (const k of keys) {
					done ??= this.memory.accepted.get(k);
					named ??= pieceOf.get(k);
				}
				if (done) {
					addSent(entry.progress, { requestId: done.requestId, transactionId: done.transactionId, alreadySent: true }, device);
					this.tally.alreadyAccepted++;
				}
				else if (named) named.entries.push(entry);
				else {
					const piece: Piece = { device, entries: [entry] };
					for (const k of keys) pieceOf.set(k, piece);
					group.pieces.push(piece);
				}
			}
		}
		return [...groups.values()].flatMap((group) => {
			const chunks: Piece[][] = [];
			for (let start = 0; start < group.pieces.length; start += MAX_DEVICES_PER_REQUEST) {
				chunks.push(group.pieces.slice(start, start + MAX_DEVICES_PER_REQUEST));
			}
			const ids = transactionIds((group.first.request as LicenseRequest).transactionId, chunks.length);
			return chunks.map((pieces, index) => ({ group, pieces, transactionId: ids[index] }));
		});
	}

	private async send({ group, pieces, transactionId }: Planned): Promise<void> {
		// A device whose items have all failed already is not sent: it is reported as not sent.
		const live = pieces.filter((piece) => {
			if (piece.entries.some((entry) => !entry.progress.failure)) return true;
			for (const entry of piece.entries) entry.progress.notSent.push(piece.device);
			this.tally.notSent.push(piece.device);
			return false;
		});
		if (live.length === 0) return;
		const { context, routed, request } = group.first as Required<Entry>;
		const requestData = withDefaults(routed, this.credential as CredentialDefaults);
		if (request.dryRun) {
			for (const { device, entries } of live) for (const entry of entries) addSent(entry.progress, { requestId: null, transactionId }, device);
			return;
		}
		const outcome = await thingSpaceRequest(
			context,
			{
				...requestData.options,
				headers: { ...requestData.options.headers, 'X-Request-ID': transactionId },
				body: { ...request.body, devices: live.map((piece) => piece.device) },
			},
			{
				retryServerErrors: request.retryServerErrors,
				result: 'requestId',
				send: routedSend(context, requestData),
				pace: this.pace,
				paced: (waitedMs) => (this.pacedMs += waitedMs),
			},
		);
		if (outcome.failure) this.tally[fateOf(outcome.failure)].push(...live.map((piece) => piece.device));
		else this.tally.accepted.push({ requestId: String(outcome.body.requestId), deviceCount: live.length });
		for (const { device, entries } of live) {
			if (outcome.failure) {
				for (const entry of entries) addFailed(entry.progress, outcome.failure, device);
				continue;
			}
			const sent = { requestId: String(outcome.body.requestId), transactionId };
			for (const id of device.deviceIds) this.memory.accepted.set(`${group.scope}|${deviceIdKey(id)}`, { ...sent, device });
			for (const entry of entries) addSent(entry.progress, sent, device);
		}
	}
}

/**
 * Check Availability First: one License Counts call per account before the first licensing request;
 * when a SKU has fewer licenses available than the run's devices of that SKU, nothing is sent.
 */
async function checkAvailability(context: IExecutePaginationFunctions, planned: Planned[], baseURL: string): Promise<Error | undefined> {
	const wanted = new Map<string, { accountName: unknown; bySku: Map<string, number> }>();
	if (!planned.some(({ group }) => group.first.request?.checkAvailability)) return undefined;
	for (const { group, pieces } of planned) {
		const { request } = group.first as Required<Entry>;
		if (request.dryRun || request.operation !== 'assign') continue;
		const key = String(request.body.accountName ?? '');
		const account = wanted.get(key) ?? { accountName: request.body.accountName, bySku: new Map<string, number>() };
		const sku = String(request.body.skuNumber);
		account.bySku.set(sku, (account.bySku.get(sku) ?? 0) + pieces.length);
		wanted.set(key, account);
	}
	const short: string[] = [];
	for (const { accountName, bySku } of wanted.values()) {
		const outcome = await thingSpaceRequest(
			context,
			{
				baseURL,
				url: PATHS.licenseCounts,
				method: 'POST',
				headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
				body: accountName ? { accountName } : {},
			},
			{ result: 'subscriptionList' },
		);
		if (outcome.failure) {
			return thingSpaceError(context.getNode(), outcome.failure, 0, 'Check Availability First could not read the license counts, so no licensing request was sent.');
		}
		const list = (Array.isArray(outcome.body.subscriptionList) ? outcome.body.subscriptionList : []) as IDataObject[];
		for (const [sku, asked] of bySku) {
			const entry = list.find((subscription) => subscription?.skuNumber === sku);
			// A SKU the account does not list has none available; a count that is not a number is no count at all.
			const available = entry === undefined ? 0 : licenseCount(entry.licenseAvailable);
			if (available === undefined) {
				return new NodeOperationError(context.getNode(), `Check Availability First could not read the license count of ${sku}: licenseAvailable was ${quoted(entry?.licenseAvailable)}`, {
					description: 'ThingSpace answered License Counts without a number of available licenses, so no licensing request was sent. Run Get License Counts to see the answer, or turn the option off.',
					itemIndex: 0,
				});
			}
			if (available < asked) short.push(`${sku}: ${available} available, ${asked} asked for`);
		}
	}
	if (short.length === 0) return undefined;
	return new NodeOperationError(context.getNode(), `Not enough SIM-Secure licenses: ${short.join('; ')}`, {
		description:
			'Check Availability First compared the license counts with the devices of this run, so nothing was sent. Buy more licenses, send fewer devices, or turn the option off to license as many as ThingSpace accepts (the rest then fail one by one in the callbacks).',
		itemIndex: 0,
	});
}

/** A whole number of licenses (a number, or digits as text), or undefined. */
function licenseCount(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
	return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

function settle(entry: Entry, pacing?: Pacing): void {
	const { context, itemIndex, progress } = entry;
	const request = entry.request as LicenseRequest;
	if (!progress.failure) {
		const json = licenseOutput(request, progress, pacing);
		// A tool's answer says whether the licensing was done (a dry run does none).
		if (runsAsTool(context)) json.licensed = !request.dryRun;
		entry.settle.resolve([{ json, pairedItem: { item: itemIndex } }]);
		return;
	}
	const error = thingSpaceError(context.getNode(), progress.failure, itemIndex, progressReport(progress));
	// What became of each device stays visible to the next node as data, not only inside the error text.
	if (keepsGoing(context)) {
		const errorOutput = context.getNode().onError === 'continueErrorOutput';
		entry.settle.resolve([partFailedItem(error, progress, itemIndex, errorOutput)]);
	}
	else fail(entry, error);
}

/** An item's error: its output item with Continue On Fail (or the error output), else the run's error. */
function fail(entry: Entry, error: Error): void {
	try {
		entry.settle.resolve([errorItem(entry.context, error)]);
	} catch (thrown) {
		entry.settle.reject(thrown as Error);
	}
}

/** Without Continue On Fail, one error for the run that names every bad item: nothing was sent. */
function badItemsError(context: IExecutePaginationFunctions, bad: Entry[]): Error {
	const first = bad[0].problem as NodeOperationError;
	const message =
		bad.length === 1
			? first.message
			: `Items ${firstFew(bad.map((entry) => String(entry.itemIndex)), 10)} have bad input, so nothing was sent. First: ${first.message}`;
	const lines = bad.map(({ problem }) => `${problem?.message}: ${(problem as NodeOperationError).description ?? ''}`);
	return new NodeOperationError(context.getNode(), message, {
		description: cut(
			`No item of this run was sent: fix these items, or turn on Continue On Fail to send the good ones.\n\n${lines.join('\n')}`,
			4000,
		),
		itemIndex: bad[0].itemIndex,
	});
}

function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

/** Runs at most `max` tasks at a time, in the order they were queued. */
function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
	let active = 0;
	const waiting: Array<() => void> = [];
	return async (task) => {
		while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
		active++;
		try {
			return await task();
		} finally {
			active--;
			waiting.shift()?.();
		}
	};
}
