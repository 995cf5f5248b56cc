import { thingSpaceRequest } from '../../shared/client';
import { fateOf } from '../../shared/errors';
import type { Pace } from '../../shared/pacer';
import { withDefaults, type CredentialDefaults } from './credentialDefaults';
import { deviceIdKey } from './deviceInput';
import type { JoinedItem } from './itemJoin';
import { deviceSlot, type Accepted, type PlanItem, type PlannedRequest } from './licensePlan';
import { addFailed, addSent, type RunTally } from './output';
import { routedSend } from './routing';

/** An item of the run, joined and planned. */
export type RunItem = JoinedItem & PlanItem;

/** What every request of a run shares. */
export interface Sending {
	defaults: CredentialDefaults;
	pace: Pace;
	/** Told how long each request waited for its place in the pace. */
	paced: (waitedMs: number) => void;
	tally: RunTally;
	/** Remembered for Retry On Fail: what ThingSpace accepted, and which devices are in doubt. */
	accepted: Accepted;
	inDoubt: Set<string>;
}

/** Sends one planned licensing request (a dry run: none) and records each device's fate for every item that named it. */
export async function sendPlanned(
	{ scope, lead, shares, transactionId }: PlannedRequest<RunItem>,
	sending: Sending,
): Promise<void> {
	const { tally } = sending;
	// A device whose items have all failed already is not sent: it is reported as not sent.
	const live = shares.filter((share) => {
		if (share.items.some((item) => !item.progress.failure)) return true;
		for (const item of share.items) item.progress.notSent.push(share.device);
		tally.notSent.push(share.device);
		return false;
	});
	if (live.length === 0) return;
	const { context, routed, request } = lead;
	if (request.dryRun) {
		for (const { device, items } of live)
			for (const item of items) addSent(item.progress, { requestId: null, transactionId }, device);
		return;
	}
	const requestData = withDefaults(routed, sending.defaults);
	const outcome = await thingSpaceRequest(
		context,
		{
			...requestData.options,
			headers: { ...requestData.options.headers, 'X-Request-ID': transactionId },
			body: { ...request.body, devices: live.map((share) => share.device) },
		},
		{
			retryServerErrors: request.retryServerErrors,
			result: 'requestId',
			send: routedSend(context, requestData),
			pace: sending.pace,
			paced: sending.paced,
		},
	);
	if (outcome.failure) {
		const doubtful = { ...outcome.failure, earlierInDoubt: true };
		for (const { device, items } of live) {
			const slots = device.deviceIds.map((id) => deviceSlot(scope, deviceIdKey(id)));
			// A device an earlier try left in doubt stays so (Retry On Fail), whatever this send met.
			const failure = slots.some((slot) => sending.inDoubt.has(slot)) ? doubtful : outcome.failure;
			const fate = fateOf(failure);
			if (fate === 'inDoubt') for (const slot of slots) sending.inDoubt.add(slot);
			tally[fate].push(device);
			for (const item of items) addFailed(item.progress, failure, device);
		}
		return;
	}
	const sent = { requestId: String(outcome.body.requestId), transactionId };
	tally.accepted.push({ requestId: sent.requestId, deviceCount: live.length });
	for (const { device, items } of live) {
		for (const id of device.deviceIds)
			sending.accepted.set(deviceSlot(scope, deviceIdKey(id)), { ...sent, device });
		for (const item of items) addSent(item.progress, sent, device);
	}
}

/** Runs at most `max()` tasks at a time (read again as each ends), in the order they were queued. */
export function limiter(max: () => number): <T>(task: () => Promise<T>) => Promise<T> {
	let active = 0;
	const waiting: Array<() => void> = [];
	return async (task) => {
		while (active >= max()) await new Promise<void>((resolve) => waiting.push(resolve));
		active++;
		try {
			return await task();
		} finally {
			active--;
			for (let free = max() - active; free > 0 && waiting.length > 0; free--) waiting.shift()?.();
		}
	};
}
