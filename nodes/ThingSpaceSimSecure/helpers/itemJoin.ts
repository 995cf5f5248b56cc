import type { IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { clock } from '../../shared/clock';
import { errorItem, continuesOnFail, runsAsTool } from './itemErrors';
import type { PlanMemory } from './licensePlan';
import type { RequestData } from './routing';

/**
 * The one place that knows how n8n's routing engine hands a declarative node its items (RoutingNode.runNode,
 * n8n-core 1.x and 2.x). Assignments and unassignments of a run are combined, so their items meet here
 * before anything is sent. What this relies on, and what happens if n8n changes it:
 * - Every item's pagination hook gets a context whose getExecuteData() is the one object of this node's
 *   execution, for all items and all tries of Retry On Fail. (If not, each item runs alone: nothing lost.)
 *   A tool call's is its agent's, shared by all its calls: each tool call (one item) is a run of its own.
 * - That object's data.main[0] holds the items the node was given; Execute Once runs the first only.
 *   (Where it is missing, the items of one event-loop turn form the run.)
 * - The engine starts every item before it waits for any: today all in one turn, or in spaced batches
 *   with its Batching option. Items that come in later turns still join, as long as they keep coming
 *   (JOIN_IDLE_MS after the last one); the same requests and outputs as when they come together.
 * A run that stays short: with Continue On Fail (or as a tool) n8n failed the missing items itself, and the
 * run goes on; without it, n8n has already failed the run at the first missing item, so nothing is sent, and
 * each item that came ends with an error saying so (the run never ends empty and successful).
 * - With Batching, the engine hands over every batch even after one failed, and only then fails the node at
 *   the first failed item. So runs go one after the other, and after a run that stopped the node (without
 *   Continue On Fail) the later batches send nothing: the error n8n shows then tells everything the node did.
 */

/** Items that joined a run, each with how to end it. */
export interface JoinedItem {
	context: IExecutePaginationFunctions;
	itemIndex: number;
	routed: RequestData;
	settle: { resolve: (items: INodeExecutionData[]) => void; reject: (error: Error) => void };
}

/** What runs the joined items; it settles every one of them. */
export type RunItems = (items: JoinedItem[], memory: PlanMemory) => Promise<void>;

/** How long a run that misses items waits for the next one, and how often it looks. */
export const JOIN_IDLE_MS = 250;
const JOIN_POLL_MS = 10;

/** Per execution and node: lives exactly as long as the execute data object n8n drops with the execution. */
interface NodeMemory extends PlanMemory {
	/** The run whose items are still joining. */
	open?: ItemJoin;
	/** The last run: the next one (a later batch) starts once it is done. */
	last?: Promise<void>;
	/** The first item of a run that ended in an error without Continue On Fail: n8n fails the node at it. */
	stoppedAt?: number;
}

const memories = new WeakMap<object, NodeMemory>();

/** The pagination hook's side of the join: the item joins the open run of its node and gets its output once that run is done. */
export function joinRun(
	context: IExecutePaginationFunctions,
	routed: RequestData,
	run: RunItems,
): Promise<INodeExecutionData[]> {
	const key = context.getExecuteData();
	let memory = memories.get(key);
	if (!memory) {
		memory = { accepted: new Map(), scopes: new Map(), inDoubt: new Set() };
		// n8n hands every tool call of an AI Agent the agent's execute data: one call's accepted devices say nothing
		// of the next (the agent may have unassigned them meanwhile), so each call is its own run, with its own memory.
		// (Asked only here: getNode() copies the node, and a run may have 10,000 items.)
		if (!runsAsTool(context)) memories.set(key, memory);
	}
	const join = (memory.open ??= new ItemJoin(memory, context, run));
	const output = new Promise<INodeExecutionData[]>((resolve, reject) => {
		join.items.push({
			context,
			itemIndex: context.getItemIndex(),
			routed,
			settle: {
				resolve,
				reject: (error) => {
					join.stopped = true;
					reject(error);
				},
			},
		});
	});
	// Handled here too: when n8n has failed the run already, nobody awaits this item's error.
	output.catch(() => {});
	return output;
}

class ItemJoin {
	readonly items: JoinedItem[] = [];

	/** An item of this run ended in an error that n8n stops the node at. */
	stopped = false;

	/** The items this run is waiting for: from its first item to the last item the node was given; undefined: not known. */
	private readonly wanted?: number;

	constructor(
		private readonly memory: NodeMemory,
		first: IExecutePaginationFunctions,
		run: RunItems,
	) {
		const firstIndex = first.getItemIndex();
		const given = itemsGiven(first);
		this.wanted = given === undefined ? undefined : Math.max(1, given - firstIndex);
		const previous = memory.last;
		memory.last = this.gather().then(async () => {
			// Items that come later (the next try of Retry On Fail, the next batch) make a new run.
			if (this.memory.open === this) delete this.memory.open;
			await previous?.catch(() => undefined);
			try {
				await this.settle(first, firstIndex, run);
			} catch (error) {
				// Every item ends, whatever went wrong: one left open would hold n8n's run forever.
				for (const item of this.items) item.settle.reject(error as Error);
			}
			if (this.stopped) this.memory.stoppedAt ??= firstIndex;
		});
	}

	/** Runs the items, or ends each with the error that says why they are not sent. */
	private async settle(
		first: IExecutePaginationFunctions,
		firstIndex: number,
		run: RunItems,
	): Promise<void> {
		const { stoppedAt } = this.memory;
		// From an item at or before the one the node stopped at, it is the next try (Retry On Fail).
		if (stoppedAt !== undefined && firstIndex <= stoppedAt) delete this.memory.stoppedAt;
		const keepsGoing = continuesOnFail(first);
		let error: Error | undefined;
		if (this.memory.stoppedAt !== undefined && !keepsGoing) error = afterStop(first);
		else if (!keepsGoing && !this.complete(first, firstIndex))
			error = missingItems(first, this.items.length, this.wanted as number);
		if (error) for (const item of this.items) item.settle.reject(error);
		else
			await run(this.items, this.memory).catch((failed: Error) =>
				this.items.forEach((item) => failItem(item, failed)),
			);
	}

	/** All the wanted items came, or (Batching) a whole batch did. */
	private complete(first: IExecutePaginationFunctions, firstIndex: number): boolean {
		if (this.wanted === undefined || this.items.length >= this.wanted) return true;
		const size = batchSize(first);
		return size !== undefined && (firstIndex + this.items.length) % size === 0;
	}

	/** Until every wanted item has come, or none came for JOIN_IDLE_MS. */
	private async gather(): Promise<void> {
		await sleep(0);
		let seen = this.items.length;
		let lastAt = clock.now();
		while (this.wanted !== undefined && this.items.length < this.wanted) {
			await clock.sleep(JOIN_POLL_MS);
			if (this.items.length > seen) [seen, lastAt] = [this.items.length, clock.now()];
			else if (clock.now() - lastAt >= JOIN_IDLE_MS) return;
		}
	}
}

/** How many items this node was given in this run (Execute Once: one); undefined where n8n does not say. */
function itemsGiven(context: IExecutePaginationFunctions): number | undefined {
	const items = context.getExecuteData()?.data?.main?.[0];
	// A tool call is one item, whatever the agent was given.
	if (!Array.isArray(items) || runsAsTool(context)) return undefined;
	// Read as n8n's engine reads it (WorkflowExecute, 1.x and 2.x): a string "true" runs every item there.
	return context.getNode().executeOnce === true ? Math.min(1, items.length) : items.length;
}

/**
 * n8n's Batching option hands items over in spaced batches of this many (as RoutingNode reads it): each batch
 * that comes alone is its own run, complete when it ends at a batch's end. Undefined: not batched.
 */
function batchSize(context: IExecutePaginationFunctions): number | undefined {
	let options: { batching?: { batch?: { batchSize?: number; batchInterval?: number } } };
	try {
		options = context.getNodeParameter('requestOptions', {}) as typeof options;
	} catch {
		// n8n reads Request Options at item 0; an expression there that fails at this item is not a batch size.
		return undefined;
	}
	const { batching } = options;
	if (!(Number(batching?.batch?.batchInterval ?? 0) > 0)) return undefined;
	const size = Number(batching?.batch?.batchSize ?? 0);
	return size > 0 ? size : 1;
}

/** A batch after one that stopped the node: n8n's engine still hands it over, and fails the node at the earlier one. */
function afterStop(context: IExecutePaginationFunctions): Error {
	return new NodeOperationError(
		context.getNode(),
		'Not sent: an earlier batch of this node ended in an error, and n8n stops the run at it',
		{
			description:
				"n8n hands the items over in batches (the Batching option) and stops the node at the first failed item, so the batches after it are not sent, and that item's error tells everything the run did. Turn on Continue On Fail to have every batch sent.",
		},
	);
}

function missingItems(context: IExecutePaginationFunctions, came: number, wanted: number): Error {
	return new NodeOperationError(
		context.getNode(),
		`n8n handed this node ${came} of its ${wanted} items, so nothing was sent`,
		{
			description:
				"n8n stops a run at an item it cannot start (an expression error, for example), and that error is the run's. If this message is the only error you see, report it to the node maintainers with your n8n version; turn on Continue On Fail to send the items that came.",
		},
	);
}

/** An item's error: its output item with Continue On Fail (or the error output), else the run's error. */
export function failItem(item: JoinedItem, error: Error): void {
	try {
		item.settle.resolve([errorItem(item.context, error)]);
	} catch (thrown) {
		item.settle.reject(thrown as Error);
	}
}
