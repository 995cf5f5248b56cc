import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { thingSpaceError, type Failure } from '../../shared/errors';
import { pacerFor } from '../../shared/pacer';
import { RATE_LIMIT } from '../../shared/policy';
import { cut, firstFew } from '../../shared/redaction';
import { checkAvailability } from './availabilityCheck';
import { credentialDefaults, type CredentialDefaults } from './credentialDefaults';
import { continuesOnFail, runsAsTool } from './itemErrors';
import { failItem, joinRun, type JoinedItem } from './itemJoin';
import { planLicensing, type PlanMemory } from './licensePlan';
import { readLicenseRequest, type ReadParameter } from './licenseRequest';
import { limiter, sendPlanned, type RunItem } from './licenseSend';
import {
	earlierReport,
	emptyTally,
	licenseOutput,
	partFailedItem,
	progressReport,
	runReport,
	type Pacing,
} from './output';
import type { RequestData } from './routing';

/**
 * Assign and Unassign, the pagination hook of both operations: the items of a node run meet (itemJoin.ts),
 * then every item is read and checked, planned (licensePlan.ts), checked against the license counts when
 * asked, and sent, at most K licensing requests in flight, started in item order (licenseSend.ts).
 * Without Continue On Fail one bad item means nothing is sent, and a failed request's error tells the whole run.
 */
export async function sendLicenseRequests(
	this: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<INodeExecutionData[]> {
	return await joinRun(this, requestData, runLicensing);
}

/** A problem with an item: nothing of it is sent. */
type BadItem = { item: JoinedItem; problem: NodeOperationError };

export async function runLicensing(joined: JoinedItem[], memory: PlanMemory): Promise<void> {
	const run = joined[0].context;
	// A credential that cannot be read fails every item (itemJoin.ts catches it).
	const defaults = await credentialDefaults(run);
	const { good, bad } = readItems(joined, defaults);
	// Read before this run sends anything: what the node's earlier runs in this execution had accepted.
	const earlier = earlierReport(memory.accepted);
	const plan = planLicensing(good, memory);
	for (const { item, message, description } of plan.refused) {
		bad.push({
			item,
			problem: new NodeOperationError(item.context.getNode(), message, {
				description,
				itemIndex: item.itemIndex,
			}),
		});
	}
	const continueOnFail = continuesOnFail(run);
	if (bad.length > 0 && !continueOnFail) {
		bad.sort((a, b) => a.item.itemIndex - b.item.itemIndex);
		const error = withEarlier(badItemsError(run, bad), earlier);
		for (const item of joined) failItem(item, error);
		return;
	}
	for (const { item, problem } of bad) failItem(item, problem);
	const refused = new Set(plan.refused.map((refusal) => refusal.item));
	const planned = good.filter((item) => !refused.has(item));

	const shortage = await checkAvailability(run, plan.requests, defaults.baseURL);
	if (shortage) {
		for (const item of planned) failItem(item, withEarlier(shortage, earlier));
		return;
	}
	const tally = emptyTally();
	tally.alreadyAccepted = plan.alreadyAccepted;
	tally.earlier = earlier;
	// Items may give different limits: the strictest holds for the run. A dry run sends nothing, so it states no rate.
	const live = planned.filter((item) => !item.request.dryRun);
	const given = strictest(live.map((item) => item.request.maxRequestsPerSecond));
	const pace = pacerFor(defaults.caller, Number.isFinite(given) ? given : undefined);
	let pacedMs = 0;
	const sending = {
		defaults,
		pace,
		paced: (waitedMs: number) => (pacedMs += waitedMs),
		tally,
		accepted: memory.accepted,
		inDoubt: memory.inDoubt,
	};
	const most = strictest(planned.map((item) => item.request.maxConcurrentRequests));
	const limit = limiter(() => Math.min(most, pace.inFlightLimit));
	await Promise.all(
		plan.requests.map(
			async (request) => await limit(async () => await sendPlanned(request, sending)),
		),
	);

	const rate = pace.rate;
	const pacing =
		rate === undefined
			? undefined
			: {
					requestsPerSecond: Math.round(((rate * 1000) / RATE_LIMIT.windowMs) * 10) / 10,
					waitedMs: pacedMs,
				};
	const stopping = !continueOnFail && planned.find((item) => item.progress.failure);
	// n8n stops the run with the first failed item's error and drops every other output: that error tells the whole run.
	const runError =
		stopping &&
		thingSpaceError(
			stopping.context.getNode(),
			stopping.progress.failure as Failure,
			stopping.itemIndex,
			`${progressReport(stopping.progress)}\n\n${runReport(tally)}`,
		);
	// Asked once: each context's getNode() is a deep copy of the node.
	const asTool = runsAsTool(run);
	for (const item of planned) {
		if (runError && item.progress.failure) item.settle.reject(runError);
		else settle(item, asTool, pacing);
	}
}

/** Reads and checks every item. */
function readItems(
	joined: JoinedItem[],
	defaults: CredentialDefaults,
): { good: RunItem[]; bad: BadItem[] } {
	const good: RunItem[] = [];
	const bad: BadItem[] = [];
	const fixed = new Map<string, unknown>();
	const raw = joined[0].context.getNode().parameters;
	for (const item of joined) {
		// A parameter without an expression has one value for every item: read once, not per item.
		const parameter: ReadParameter = (name, fallback) => {
			if (fixed.has(name)) return fixed.get(name);
			const value = item.context.getNodeParameter(name, fallback);
			if (!hasExpression(raw[name])) fixed.set(name, value);
			return value;
		};
		try {
			const request = readLicenseRequest(
				item.context,
				item.routed.options.body as IDataObject,
				parameter,
				defaults,
			);
			good.push({
				...item,
				request,
				progress: { sent: [], inDoubt: [], refused: [], notSent: [] },
			});
		} catch (error) {
			bad.push({ item, problem: error as NodeOperationError });
		}
	}
	return { good, bad };
}

function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

/** The item's output: its requests, or (some of its requests failed) its error with what became of each device. */
function settle(item: RunItem, asTool: boolean, pacing?: Pacing): void {
	const { context, itemIndex, progress, request } = item;
	if (!progress.failure) {
		const json = licenseOutput(request, progress, pacing);
		// A tool's answer says whether the licensing was done (a dry run does none).
		if (asTool) json.licensed = !request.dryRun;
		item.settle.resolve([{ json, pairedItem: { item: itemIndex } }]);
		return;
	}
	const error = thingSpaceError(
		context.getNode(),
		progress.failure,
		itemIndex,
		progressReport(progress),
	);
	// What became of each device stays visible to the next node as data, not only inside the error text.
	if (continuesOnFail(context))
		item.settle.resolve([
			partFailedItem(
				error,
				progress,
				itemIndex,
				context.getNode().onError === 'continueErrorOutput',
			),
		]);
	else failItem(item, error);
}

/** Without Continue On Fail, one error for the run that names every bad item: nothing was sent. */
function badItemsError(context: IExecutePaginationFunctions, bad: BadItem[]): Error {
	const first = bad[0].problem;
	const message =
		bad.length === 1
			? first.message
			: `Items ${firstFew(
					bad.map(({ item }) => String(item.itemIndex)),
					10,
				)} have bad input, so nothing was sent. First: ${first.message}`;
	const lines = bad.map(({ problem }) => `${problem.message}: ${problem.description ?? ''}`);
	return new NodeOperationError(context.getNode(), message, {
		description: cut(
			`No item of this run was sent: fix these items, or turn on Continue On Fail to send the good ones.\n\n${lines.join('\n')}`,
			4000,
		),
		itemIndex: bad[0].item.itemIndex,
	});
}

/** A run that stops before it sends says what the node's earlier runs had applied. */
function withEarlier<E extends Error & { description?: string | null }>(
	error: E,
	earlier?: string,
): E {
	if (earlier && !error.description?.includes(earlier))
		error.description = [error.description, earlier].filter(Boolean).join('\n\n');
	return error;
}

/** The lowest limit given (undefined and 0: none); Infinity when none is. */
function strictest(values: Array<number | undefined>): number {
	return values.reduce<number>(
		(lowest, value) => (value !== undefined && value > 0 ? Math.min(lowest, value) : lowest),
		Infinity,
	);
}
