import { assignParams, imei, simulatorPerTest } from './fixtures';

describe('Continue On Fail and On Error: one output item per input item, paired', () => {
	// No Flex Bundle licenses left: ThingSpace refuses any request for that SKU.
	const t = simulatorPerTest({ licenses: { 'SIMSec-IoT': 1000, 'TS-BUNDLE-KTO-SIMSEC-MRC': 0 } });

	const badCheckDigit = imei(11).slice(0, 14) + String((Number(imei(11)[14]) + 1) % 10);
	// Item 1 has a bad check digit (refused before sending); item 3 asks for a SKU with no licenses left.
	const inputs = () => [
		{ json: { sims: imei(10), sku: 'SIMSec-IoT' } },
		{ json: { sims: badCheckDigit, sku: 'SIMSec-IoT' } },
		{ json: { sims: `${imei(12)},${imei(13)}`, sku: 'SIMSec-IoT' } },
		{ json: { sims: imei(14), sku: 'TS-BUNDLE-KTO-SIMSEC-MRC' } },
		{ json: { sims: imei(15), sku: 'SIMSec-IoT' } },
	];
	const params = assignParams({ deviceList: '={{ $json.sims }}', skuNumber: '={{ $json.sku }}' });

	it('continueOnFail: every input item yields exactly one output item, result or error, in order', async () => {
		const result = await t.harness.run(params, inputs(), { continueOnFail: true });

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(5);
		result.items.forEach((item, index) => {
			const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
			expect(paired).toEqual({ item: index });
		});
		const errors = result.items.map((item) => (item.json as { error?: string }).error);
		expect(errors[1]).toMatch(/wrong check digit/);
		expect(errors[3]).toMatch(/rejected the request as invalid/);
		// A request that failed: the item carries the error and its devices by fate as data.
		expect(result.items[3].json.description).toContain('License.NotAvailable');
		expect(result.items[3].json.devicesRefused).toHaveLength(1);
		expect([errors[0], errors[2], errors[4]]).toEqual([undefined, undefined, undefined]);
		expect(result.items[2].json.deviceCount).toBe(2);
		// One shared request for the Flex items, one for the Flex Bundle item; the bad id was never sent.
		expect(t.sim.count('assign')).toBe(2);
		expect(result.items[0].json.requestIds).toEqual(result.items[4].json.requestIds);
		const sentIds = t.sim.requests.flatMap((request) =>
			request.route === 'assign' ? (request.body as { devices: Array<{ deviceIds: Array<{ id: string }> }> }).devices.map((device) => device.deviceIds[0].id) : [],
		);
		expect(sentIds.sort()).toEqual([imei(10), imei(12), imei(13), imei(14), imei(15)].sort());
	});

	it('onError "continueErrorOutput": failed items go to the error output, the rest to the main output, all paired', async () => {
		const result = await t.harness.run(params, inputs(), { onError: 'continueErrorOutput' });

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
		const result = await t.harness.run(params, inputs());
		expect(result.error?.message).toMatch(/wrong check digit/);
		expect(result.error?.message).toContain('[item 1]');
	});

	it('with "Combine Items" off, each item sends its own request, and a refused request fails only its item', async () => {
		t.sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.DeviceNotFound', errorMessage: 'Device not found.' }, after: 1 });
		const result = await t.harness.run(
			assignParams({ deviceList: '={{ $json.sims }}', options: { combineItems: false } }),
			[imei(20), imei(21), imei(22)].map((sims) => ({ json: { sims } })),
			{ continueOnFail: true },
		);
		expect(t.sim.count('assign')).toBe(3);
		expect(result.items.map((item) => (item.json as { error?: string }).error === undefined)).toEqual([true, false, true]);
	});
});
