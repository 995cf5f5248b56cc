import { assignParams, imei, imeis, simulatorPerTest } from './fixtures';

const badCheckDigit = (n: number) => imei(n).slice(0, 14) + String((Number(imei(n)[14]) + 1) % 10);

describe('Licensing you can check first: Dry Run and Check Availability First', () => {
	const t = simulatorPerTest({ licenses: { 'SIMSec-IoT': 5 } });
	const licensing = () => t.sim.count('assign') + t.sim.count('unassign');

	it('a dry run of 250 devices sends no licensing request and shows the 3 planned requests with their devices', async () => {
		const ids = imeis(250);
		const result = await t.harness.run(assignParams({ deviceList: ids.join(','), options: { dryRun: true } }));

		expect(result.error).toBeUndefined();
		expect(licensing()).toBe(0);
		const json = result.items[0].json as { dryRun: boolean; requestCount: number; requestIds: string[]; requests: Array<{ requestId: null; deviceCount: number; transactionId: string; devices: Array<{ deviceIds: Array<{ id: string }> }> }> };
		expect(json.dryRun).toBe(true);
		expect(json.requestCount).toBe(3);
		expect(json.requestIds).toEqual([]);
		expect(json.requests.map((request) => request.deviceCount)).toEqual([100, 100, 50]);
		expect(json.requests.every((request) => request.requestId === null && /^[0-9]-[0-9]+$/.test(request.transactionId))).toBe(true);
		expect(json.requests.flatMap((request) => request.devices.map((device) => device.deviceIds[0].id))).toEqual(ids);
	});

	it('a dry run lists every device a real run would refuse, and why, and plans the rest', async () => {
		const result = await t.harness.run(
			assignParams({ deviceList: [imei(1), badCheckDigit(2), '123', imei(3), imei(1)].join(','), options: { dryRun: true } }),
		);
		expect(licensing()).toBe(0);
		const json = result.items[0].json as { devicesRefused: Array<{ device: number; problem: string }>; requests: Array<{ deviceCount: number }> };
		expect(json.devicesRefused.map((refused) => refused.device)).toEqual([2, 3, 5]);
		expect(json.devicesRefused[0].problem).toMatch(/wrong check digit/);
		expect(json.devicesRefused[1].problem).toMatch(/has 3 digits/);
		expect(json.devicesRefused[2].problem).toMatch(/already listed as device 1/);
		expect(json.requests.map((request) => request.deviceCount)).toEqual([2]);
	});

	it('a dry run makes no login: only what the plan needs is read', async () => {
		await t.harness.run(assignParams({ deviceList: imei(4), options: { dryRun: true } }));
		expect(t.sim.count('token') + t.sim.count('login')).toBe(0);
	});

	it('Check Availability First: 10 devices with 5 available sends no assign and names both numbers', async () => {
		const result = await t.harness.run(assignParams({ deviceList: imeis(10, 100).join(','), options: { checkAvailability: true } }));

		expect(t.sim.count('subscriptions')).toBe(1);
		expect(t.sim.count('assign')).toBe(0);
		expect(result.error?.message).toBe('Not enough SIM-Secure licenses: SIMSec-IoT: 5 available, 10 asked for');
		expect(result.error?.description).toMatch(/nothing was sent/);
	});

	it('Check Availability First that gets no list of SKUs says it could not read them, and sends nothing', async () => {
		t.sim.inject({ route: 'subscriptions', status: 200, body: { accountName: '0000123456-00001', subscriptionList: {} } });
		const result = await t.harness.run(assignParams({ deviceList: imei(120), options: { checkAvailability: true } }));
		expect(result.error?.message).toBe('Check Availability First could not read the license counts: subscriptionList was object, not a list');
		expect(t.sim.count('assign')).toBe(0);
	});

	it('Check Availability First with enough left licenses every device, items combined; with Continue On Fail each item is paired', async () => {
		const ok = await t.harness.run(assignParams({ deviceList: '={{ $json.sims }}', options: { checkAvailability: true } }), imeis(5, 200).map((sims) => ({ json: { sims } })));
		expect(ok.error).toBeUndefined();
		expect(t.sim.count('subscriptions')).toBe(1);
		expect(t.sim.devicesSent('assign').size).toBe(5);
		expect(t.sim.count('assign')).toBe(1);

		const short = await t.harness.run(
			assignParams({ deviceList: '={{ $json.sims }}', options: { checkAvailability: true } }),
			imeis(2, 300).map((sims) => ({ json: { sims } })),
			{ continueOnFail: true },
		);
		expect(short.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(short.items.map((item) => (item.json as { error?: string }).error)).toEqual([
			'Not enough SIM-Secure licenses: SIMSec-IoT: 0 available, 2 asked for',
			'Not enough SIM-Secure licenses: SIMSec-IoT: 0 available, 2 asked for',
		]);
		expect(t.sim.count('assign')).toBe(1);
	});
});
