import type { LicenseDevice } from '../../nodes/ThingSpaceSimSecure/helpers/deviceInput';
import { deviceIdKey } from '../../nodes/ThingSpaceSimSecure/helpers/deviceInput';
import { deviceSlot, planLicensing, type PlanItem, type PlanMemory } from '../../nodes/ThingSpaceSimSecure/helpers/licensePlan';
import type { LicenseRequest } from '../../nodes/ThingSpaceSimSecure/helpers/licenseRequest';
import { imei, imeis } from '../fixtures';

/** The planner is plain code: items in, requests and per-item outcomes out, no n8n. */
const device = (...ids: Array<[string, string]>): LicenseDevice => ({ deviceIds: ids.map(([kind, id]) => ({ kind, id })) });
const byImei = (ids: string[]) => ids.map((id) => device(['IMEI', id]));

function item(itemIndex: number, devices: LicenseDevice[], extra: Partial<LicenseRequest> = {}): PlanItem {
	const request: LicenseRequest = {
		operation: 'assign',
		body: { accountName: '0000123456-00001', skuNumber: 'SIMSec-IoT' },
		devices,
		combine: true,
		retryServerErrors: false,
		transactionId: '',
		maxConcurrentRequests: 2,
		dryRun: false,
		refused: [],
		checkAvailability: false,
		...extra,
	};
	return { itemIndex, request, progress: { sent: [], inDoubt: [], refused: [], notSent: [] } };
}

const memory = (): PlanMemory => ({ accepted: new Map(), scopes: new Map(), inDoubt: new Set() });
const idsOf = (shares: Array<{ device: LicenseDevice }>) => shares.map((share) => share.device.deviceIds.map((id) => id.id).join('+'));

describe('licensePlan: the requests of a node run', () => {
	it('items of one account and SKU share requests of at most 100 devices, in item order', () => {
		const ids = imeis(250);
		const plan = planLicensing([item(0, byImei(ids.slice(0, 120))), item(1, byImei(ids.slice(120)))], memory());
		expect(plan.requests.map((request) => request.shares.length)).toEqual([100, 100, 50]);
		expect(plan.requests.flatMap((request) => idsOf(request.shares))).toEqual(ids);
		expect(new Set(plan.requests.map((request) => request.transactionId)).size).toBe(3);
	});

	it('another SKU, another operation, or an item not combined: requests of their own', () => {
		const plan = planLicensing(
			[
				item(0, byImei([imei(1)])),
				item(1, byImei([imei(2)]), { body: { skuNumber: 'SIMSec-IoT-Lt' } }),
				item(2, byImei([imei(3)]), { operation: 'unassign' }),
				item(3, byImei([imei(4)]), { combine: false }),
				item(4, byImei([imei(5)])),
			],
			memory(),
		);
		expect(plan.requests.map((request) => [request.lead.itemIndex, idsOf(request.shares)])).toEqual([
			[0, [imei(1), imei(5)]],
			[1, [imei(2)]],
			[2, [imei(3)]],
			[3, [imei(4)]],
		]);
	});

	it('a device named by two items goes out once, with both items', () => {
		const plan = planLicensing([item(0, byImei([imei(1), imei(2)])), item(1, byImei([imei(2), imei(3)]))], memory());
		expect(plan.requests).toHaveLength(1);
		const [request] = plan.requests;
		expect(idsOf(request.shares)).toEqual([imei(1), imei(2), imei(3)]);
		expect(request.shares[1].items.map((named) => named.itemIndex)).toEqual([0, 1]);
	});

	it('a device is all of its identifiers: an item sharing one but not all is refused, naming both items', () => {
		const plan = planLicensing(
			[item(0, [device(['ICCID', '89148000004123456785'], ['IMEI', imei(7)])]), item(1, [device(['ICCID', '89148000004123456793'], ['IMEI', imei(7)])])],
			memory(),
		);
		expect(plan.refused.map((refusal) => refusal.item.itemIndex)).toEqual([1]);
		expect(plan.refused[0].message).toMatch(new RegExp(`of item 1 shares IMEI ${imei(7)} with device .* of item 0, but not its other identifiers`));
		expect(plan.requests.flatMap((request) => request.shares.map((share) => share.items.map((named) => named.itemIndex)))).toEqual([[0]]);
	});

	it('a Transaction ID serves one item only', () => {
		const plan = planLicensing([item(0, byImei([imei(1)]), { transactionId: '1-2025001' }), item(1, byImei([imei(2)]), { transactionId: '1-2025001' })], memory());
		expect(plan.refused.map((refusal) => [refusal.item.itemIndex, refusal.message])).toEqual([
			[1, 'Transaction ID "1-2025001" is already used by another item of this run (item 0) [item 1]'],
		]);
		expect(plan.requests.map((request) => request.transactionId)).toEqual(['1-2025001']);
	});

	it('a device accepted by an earlier try (Retry On Fail) is not planned again, and counts once however many items name it', () => {
		const remembered = memory();
		const first = planLicensing([item(0, byImei([imei(1), imei(2)]))], remembered);
		for (const share of first.requests[0].shares) {
			remembered.accepted.set(deviceSlot(first.requests[0].scope, deviceIdKey(share.device.deviceIds[0])), { requestId: 'r-1', transactionId: 't-1', device: share.device });
		}
		const retry = planLicensing([item(0, byImei([imei(1), imei(3)])), item(1, byImei([imei(1)]))], remembered);
		expect(retry.requests.flatMap((request) => idsOf(request.shares))).toEqual([imei(3)]);
		expect(retry.alreadyAccepted).toBe(1);
		expect(retry.requests[0].lead.progress.sent).toEqual([{ requestId: 'r-1', transactionId: 't-1', deviceCount: 1, devices: byImei([imei(1)]), alreadySent: true }]);
	});
});
