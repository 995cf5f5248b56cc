import type { Simulator } from './simulator/thingspace-simulator';
import type { Harness } from './harness';
import { assignParams, imei, setUp } from './fixtures';

describe('Continue On Fail and On Error: one output item per input item, paired', () => {
	let sim: Simulator;
	let harness: Harness;

	beforeEach(async () => {
		({ sim, harness } = await setUp());
	});

	afterEach(async () => {
		await sim.close();
	});

	// Item 1 has a bad check digit (refused before sending), item 3 is refused by ThingSpace.
	const inputs = () => [
		{ json: { sims: imei(10) } },
		{ json: { sims: imei(11).slice(0, 14) + '0' === imei(11) ? imei(11).slice(0, 14) + '1' : imei(11).slice(0, 14) + '0' } },
		{ json: { sims: `${imei(12)},${imei(13)}` } },
		{ json: { sims: imei(14) } },
		{ json: { sims: imei(15) } },
	];

	const refuseItem3 = () =>
		sim.inject({
			route: 'assign',
			status: 400,
			body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.DeviceNotFound', errorMessage: 'Device not found.' },
			after: 2,
		});

	it('continueOnFail: every input item yields exactly one output item, result or error, in order', async () => {
		refuseItem3();
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), inputs(), { continueOnFail: true });

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(5);
		result.items.forEach((item, index) => {
			const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
			expect(paired).toEqual({ item: index });
		});
		const errors = result.items.map((item) => (item.json as { error?: string }).error);
		expect(errors[1]).toMatch(/wrong check digit/);
		expect(errors[3]).toMatch(/rejected the request as invalid/);
		expect([errors[0], errors[2], errors[4]]).toEqual([undefined, undefined, undefined]);
		expect(result.items[2].json.deviceCount).toBe(2);
		// The refused item's device was sent once (refused); the bad id was never sent.
		expect(sim.count('assign')).toBe(4);
		const sentIds = sim.requests.flatMap((request) =>
			request.route === 'assign' ? (request.body as { devices: Array<{ deviceIds: Array<{ id: string }> }> }).devices.map((device) => device.deviceIds[0].id) : [],
		);
		expect(sentIds.sort()).toEqual([imei(10), imei(12), imei(13), imei(14), imei(15)].sort());
	});

	it('onError "continueErrorOutput": failed items go to the error output, the rest to the main output, all paired', async () => {
		refuseItem3();
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), inputs(), {
			onError: 'continueErrorOutput',
		});

		expect(result.items.map((item) => (Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem))).toEqual([
			{ item: 0 },
			{ item: 2 },
			{ item: 4 },
		]);
		expect(result.errorItems.map((item) => (Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem))).toEqual([
			{ item: 1 },
			{ item: 3 },
		]);
	});

	it('without Continue On Fail the node stops with the first failed item\'s error', async () => {
		refuseItem3();
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), inputs());
		expect(result.error?.message).toMatch(/wrong check digit/);
		expect(result.error?.message).toContain('[item 1]');
	});
});
