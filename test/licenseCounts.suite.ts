import { Harness, simulatorCredentials } from './harness';
import { assignParams, imeis, simulatorPerTest } from './fixtures';

describe('Account: Get License Counts', () => {
	const t = simulatorPerTest({ licenses: { 'SIMSec-IoT': 1000, 'SIMSec-IoT-Lt': 500 } });

	it('returns one item per SKU with purchased, assigned and available counts', async () => {
		await t.harness.run(assignParams({ deviceList: imeis(3).join(',') }));
		const result = await t.harness.run({ resource: 'account', operation: 'getLicenseCounts' });

		expect(result.error).toBeUndefined();
		const [request] = t.sim.requests.filter((entry) => entry.route === 'subscriptions');
		expect(request.body).toEqual({ accountName: '0000123456-00001' });
		const flex = result.items.find((item) => item.json.skuNumber === 'SIMSec-IoT');
		expect(flex?.json).toMatchObject({
			accountName: '0000123456-00001',
			licenseType: 'Flexible',
			licensePurchased: 1000,
			licenseAssigned: 3,
			licenseAvailable: 997,
		});
		expect(result.items.length).toBe(4);
		expect(result.items.every((item) => JSON.stringify(item.pairedItem) === JSON.stringify({ item: 0 }))).toBe(true);
	});

	it('asks for one SKU and a given account', async () => {
		const result = await t.harness.run({
			resource: 'account',
			operation: 'getLicenseCounts',
			accountName: '0000123456-00001',
			skuFilter: 'SIMSec-IoT-Lt',
		});
		const [request] = t.sim.requests.filter((entry) => entry.route === 'subscriptions');
		expect(request.body).toEqual({ accountName: '0000123456-00001', skuNumber: 'SIMSec-IoT-Lt' });
		expect(result.items.map((item) => item.json.skuNumber)).toEqual(['SIMSec-IoT-Lt']);
		expect(result.items[0].json.licenseAvailable).toBe(500);
	});

	it.each([{}, 'none', 7])('a subscriptionList that is not a list (%j) is an error, not an empty success', async (subscriptionList) => {
		t.sim.inject({ route: 'subscriptions', status: 200, body: { accountName: '0000123456-00001', subscriptionList } });
		const result = await t.harness.run({ resource: 'account', operation: 'getLicenseCounts' });
		expect(result.error?.message).toMatch(/^ThingSpace answered License Counts with subscriptionList as \w+, not a list/);
	});

	it('an account that lists no SKU gives one item that says so', async () => {
		t.sim.inject({ route: 'subscriptions', status: 200, body: { accountName: '0000123456-00001', subscriptionList: [] } });
		const result = await t.harness.run({ resource: 'account', operation: 'getLicenseCounts' });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([{ accountName: '0000123456-00001', subscriptionList: [] }]);
	});

	it('Account Name and SKU given by expression are trimmed and read in any case; blank asks for every SKU', async () => {
		await t.harness.run({ resource: 'account', operation: 'getLicenseCounts', accountName: '={{ $json.account }}', skuFilter: '={{ $json.sku }}' }, [
			{ json: { account: ' 0000123456-00001 ', sku: ' simsec-iot-lt ' } },
			{ json: { account: '', sku: '  ' } },
		]);
		const bodies = t.sim.requests.filter((entry) => entry.route === 'subscriptions').map((entry) => entry.body);
		expect(bodies).toEqual([{ accountName: '0000123456-00001', skuNumber: 'SIMSec-IoT-Lt' }, { accountName: '0000123456-00001' }]);
	});

	it.each([
		['accountName', 1234560000, /^Account Name must be text, not the number 1234560000/],
		['skuFilter', 'SIMSec', /^SKU "SIMSec" is not a SIM-Secure for IoT SKU/],
	])('%s given as %j is refused by name before anything is asked', async (field, value, message) => {
		const result = await t.harness.run({ resource: 'account', operation: 'getLicenseCounts', [field]: '={{ $json.value }}' }, [{ json: { value } }]);
		expect(result.error?.message).toMatch(message);
		expect(t.sim.count('subscriptions')).toBe(0);
	});

	it('maps an unknown account to a 404 error naming the account rule', async () => {
		const result = await t.harness.run({ resource: 'account', operation: 'getLicenseCounts', accountName: '9999999999-00001' });
		expect(result.error?.message).toMatch(/could not find the account/);
		expect(result.error?.description).toContain('AccountNotFound');
	});

	it("sends no account name when neither the node nor the credential has one (ThingSpace then uses the user's only account)", async () => {
		const harness = new Harness(simulatorCredentials(t.sim, { accountName: '' }));
		const result = await harness.run({ resource: 'account', operation: 'getLicenseCounts' });

		const [request] = t.sim.requests.filter((entry) => entry.route === 'subscriptions');
		expect(request.body).toEqual({});
		expect(result.error).toBeUndefined();
	});

	it("the node's Account Name wins over the credential's default, item by item", async () => {
		await t.harness.run({ resource: 'account', operation: 'getLicenseCounts', accountName: '={{ $json.account }}' }, [
			{ json: { account: '' } },
			{ json: { account: '9999999999-00001' } },
		]);
		const bodies = t.sim.requests.filter((entry) => entry.route === 'subscriptions').map((entry) => entry.body);
		expect(bodies).toEqual([{ accountName: '0000123456-00001' }, { accountName: '9999999999-00001' }]);
	});
});
