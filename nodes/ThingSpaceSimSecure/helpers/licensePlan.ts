import { MAX_DEVICES_PER_REQUEST } from '../../shared/policy';
import { identityConflict, IDENTITY_FIX, type NamedBy } from './deviceIdentity';
import { deviceIdKey, type LicenseDevice } from './deviceInput';
import type { LicenseRequest } from './licenseRequest';
import { addSent, type ItemProgress } from './output';
import { transactionIds } from './transactionId';

/**
 * The licensing plan of a node run, plain code without n8n: items in, requests and per-item outcomes out.
 * - a Transaction ID may serve one item of the run only;
 * - a device is all of its identifiers: an item whose device shares one with another device, but not all, is refused;
 * - items that go to the same account and SKU with the same options share requests of up to 100 devices
 *   (an item that is not combined is a request group of its own, with its own Transaction IDs);
 * - a device named by several items goes out once, and each of them gets the requestId that carried it;
 * - a device that ThingSpace accepted in an earlier try of this node (Retry On Fail) is not sent again.
 */

/** An item of the run, read and checked. */
export interface PlanItem {
	itemIndex: number;
	request: LicenseRequest;
	progress: ItemProgress;
}

/** A device and every item that named it. */
export interface DeviceShare<T extends PlanItem = PlanItem> {
	device: LicenseDevice;
	items: T[];
}

/** One licensing request: the item whose options it goes with (the first of its group), its devices, its Transaction ID. */
export interface PlannedRequest<T extends PlanItem = PlanItem> {
	/** Operation, account, SKU and dry run (numbered per execution): where a device counts as the same. */
	scope: number;
	lead: T;
	shares: Array<DeviceShare<T>>;
	transactionId: string;
}

/** What ThingSpace accepted for this node in this execution, by device slot. */
export type Accepted = Map<
	string,
	{ requestId: string; transactionId: string; device: LicenseDevice }
>;

/** What a node remembers for the length of an execution (all tries of Retry On Fail). */
export interface PlanMemory {
	accepted: Accepted;
	/** The device slots whose request got no clear answer (in doubt): they stay so in a later try, whatever it meets. */
	inDoubt: Set<string>;
	/** Short numbers for the scopes, so 100,000 accepted devices keep short keys. */
	scopes: Map<string, number>;
}

/** An item refused by the plan: nothing of it is sent. */
export interface ItemRefusal<T> {
	item: T;
	message: string;
	description: string;
}

export interface LicensePlan<T extends PlanItem> {
	requests: Array<PlannedRequest<T>>;
	refused: Array<ItemRefusal<T>>;
	/** Distinct devices accepted by an earlier try of this node, so not sent again. */
	alreadyAccepted: number;
}

/** Where a device identifier counts as the same one: its scope, and its kind and value (deviceIdKey). */
export const deviceSlot = (scope: number, idKey: string): string => `${scope}|${idKey}`;

export function planLicensing<T extends PlanItem>(items: T[], memory: PlanMemory): LicensePlan<T> {
	const refused: Array<ItemRefusal<T>> = [];
	const scopes = new Map<T, number>();
	const given = new Map<string, number>();
	const named = new Map<string, NamedBy>();
	for (const item of items) {
		const scope = scopeOf(item.request, memory);
		const problem = transactionIdTaken(item, given) ?? identityProblem(item, scope, memory, named);
		if (problem) refused.push({ item, ...problem });
		else scopes.set(item, scope);
	}
	const { requests, alreadyAccepted } = groupRequests([...scopes], memory);
	return { requests, refused, alreadyAccepted };
}

function scopeOf({ operation, body, dryRun }: LicenseRequest, memory: PlanMemory): number {
	// The host is the run's; the operation gives the path.
	const scopeKey = `${operation}\u0000${String(body.accountName ?? '')}\u0000${String(body.skuNumber)}\u0000${dryRun}`;
	const scope = memory.scopes.get(scopeKey) ?? memory.scopes.size;
	memory.scopes.set(scopeKey, scope);
	return scope;
}

function transactionIdTaken(
	item: PlanItem,
	given: Map<string, number>,
): { message: string; description: string } | undefined {
	const { transactionId, devices } = item.request;
	if (transactionId === '') return undefined;
	const ids = transactionIds(transactionId, Math.ceil(devices.length / MAX_DEVICES_PER_REQUEST));
	const taken = ids.find((id) => given.has(id));
	if (taken !== undefined) {
		return {
			message: `Transaction ID "${taken}" is already used by another item of this run (item ${given.get(taken)}) [item ${item.itemIndex}]`,
			description:
				'Each request needs its own Transaction ID. Leave it empty to have one generated, or make it differ per item, e.g. 1-2025{{ $itemIndex }}. Nothing was sent for this item.',
		};
	}
	ids.forEach((id) => given.set(id, item.itemIndex));
	return undefined;
}

function identityProblem(
	item: PlanItem,
	scope: number,
	memory: PlanMemory,
	named: Map<string, NamedBy>,
): { message: string; description: string } | undefined {
	const where = `item ${item.itemIndex}`;
	for (const device of item.request.devices) {
		const problem = identityConflict(device, where, (idKey) => {
			const accepted = memory.accepted.get(deviceSlot(scope, idKey));
			if (accepted)
				return {
					device: accepted.device,
					where: `an earlier try of this node (requestId ${accepted.requestId})`,
				};
			return named.get(deviceSlot(scope, idKey));
		});
		if (problem)
			return { message: `${problem} [item ${item.itemIndex}]`, description: IDENTITY_FIX };
	}
	for (const device of item.request.devices) {
		for (const id of device.deviceIds) {
			const slot = deviceSlot(scope, deviceIdKey(id));
			if (!named.has(slot)) named.set(slot, { device, where });
		}
	}
	return undefined;
}

/** Groups, one share per device, chunks of at most 100, a Transaction ID for each. */
function groupRequests<T extends PlanItem>(
	items: Array<[T, number]>,
	memory: PlanMemory,
): { requests: Array<PlannedRequest<T>>; alreadyAccepted: number } {
	const groups = new Map<string, { scope: number; lead: T; shares: Array<DeviceShare<T>> }>();
	const shareOf = new Map<string, DeviceShare<T>>();
	const accepted = new Set<string>();
	for (const [item, scope] of items) {
		const { devices, combine, retryServerErrors } = item.request;
		const key = combine ? `${scope}:${retryServerErrors}` : `${scope}#${item.itemIndex}`;
		let group = groups.get(key);
		if (!group) {
			group = { scope, lead: item, shares: [] };
			groups.set(key, group);
		}
		for (const device of devices) {
			const slots = device.deviceIds.map((id) => deviceSlot(scope, deviceIdKey(id)));
			const done = slots.map((slot) => memory.accepted.get(slot)).find(Boolean);
			const share = slots.map((slot) => shareOf.get(slot)).find(Boolean);
			if (done) {
				addSent(
					item.progress,
					{ requestId: done.requestId, transactionId: done.transactionId, alreadySent: true },
					device,
				);
				accepted.add(slots[0]);
			} else if (share) share.items.push(item);
			else {
				const fresh = { device, items: [item] };
				for (const slot of slots) shareOf.set(slot, fresh);
				group.shares.push(fresh);
			}
		}
	}
	const requests = [...groups.values()].flatMap(({ scope, lead, shares }) => {
		const chunks: Array<Array<DeviceShare<T>>> = [];
		for (let start = 0; start < shares.length; start += MAX_DEVICES_PER_REQUEST)
			chunks.push(shares.slice(start, start + MAX_DEVICES_PER_REQUEST));
		const ids = transactionIds(lead.request.transactionId, chunks.length);
		return chunks.map((chunk, index) => ({
			scope,
			lead,
			shares: chunk,
			transactionId: ids[index],
		}));
	});
	return { requests, alreadyAccepted: accepted.size };
}
