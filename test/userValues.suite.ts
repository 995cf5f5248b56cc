import { assignParams, imei, imeis, simulatorPerTest } from './fixtures';
import { clockOfTest } from './time';

/** Options and fields set by expression arrive as the source had them: "true", 1, " 42 ". */
describe('Values from expressions are read as the user meant them', () => {
	const t = simulatorPerTest({ licenses: { 'SIMSec-IoT-Lt': 5 } });
	const byExpression = (name: string) => `={{ $json.${name} }}`;
	const licensing = () => t.sim.count('assign') + t.sim.count('unassign');

	it.each([true, 'true', ' TRUE ', 1, '1', 'yes', 'Yes'])('Dry Run given as %j sends nothing, also for the Lifetime SKU', async (dry) => {
		const result = await t.harness.run(
			assignParams({ skuNumber: 'SIMSec-IoT-Lt', deviceList: imei(1), options: { dryRun: byExpression('dry') } }),
			[{ json: { dry } }],
		);
		expect(result.error).toBeUndefined();
		expect(licensing()).toBe(0);
		expect(result.items[0].json.dryRun).toBe(true);
	});

	it.each([false, 'false', ' False', 0, '0', 'no', ''])('Dry Run given as %j is a real run', async (dry) => {
		const result = await t.harness.run(assignParams({ deviceList: imei(2), options: { dryRun: byExpression('dry') } }), [{ json: { dry } }]);
		expect(result.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(1);
		expect(result.items[0].json.dryRun).toBeUndefined();
	});

	it.each(['maybe', 'on', 2, '{}'])('Dry Run given as %j is refused by name before anything is sent', async (dry) => {
		const result = await t.harness.run(assignParams({ deviceList: imei(3), options: { dryRun: byExpression('dry') } }), [{ json: { dry } }]);
		expect(result.error?.message).toMatch(/^Dry Run must be true or false, not /);
		expect(result.error?.message).toContain(JSON.stringify(dry));
		expect(t.sim.count('token') + licensing()).toBe(0);
	});

	it('Check Availability First given as "true" checks, and sends nothing when short', async () => {
		const result = await t.harness.run(
			assignParams({ skuNumber: 'SIMSec-IoT-Lt', deviceList: imeis(10, 10).join(','), options: { checkAvailability: byExpression('check') } }),
			[{ json: { check: 'true' } }],
		);
		expect(t.sim.count('subscriptions')).toBe(1);
		expect(t.sim.count('assign')).toBe(0);
		expect(result.error?.message).toMatch(/Not enough SIM-Secure licenses/);
	});

	it('Check Availability First asked by a later item of a combined run checks the run', async () => {
		const result = await t.harness.run(
			assignParams({ skuNumber: 'SIMSec-IoT-Lt', deviceList: '={{ $json.sims }}', options: { checkAvailability: byExpression('check') } }),
			[{ json: { sims: imeis(3, 40).join(','), check: 'false' } }, { json: { sims: imeis(3, 50).join(','), check: 'true' } }],
		);
		expect(t.sim.count('subscriptions')).toBe(1);
		expect(t.sim.count('assign')).toBe(0);
		expect(result.error?.message).toMatch(/Not enough SIM-Secure licenses/);
	});

	it('items that give different limits: the strictest rate and number in flight hold for the run', async () => {
		const clock = clockOfTest();
		const started = clock.now();
		const result = await t.harness.run(
			assignParams({
				deviceList: '={{ $json.sims }}',
				options: { maxRequestsPerSecond: byExpression('rate'), maxConcurrentRequests: byExpression('most'), combineItems: false },
			}),
			[
				{ json: { sims: imei(60), rate: '', most: '' } },
				{ json: { sims: imei(61), rate: '0.5', most: '4' } },
				{ json: { sims: imei(62), rate: '5', most: ' 1 ' } },
			],
		);
		expect(result.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(3);
		expect(t.sim.maxInFlight('assign')).toBe(1);
		expect(result.items[0].json.pacing).toEqual(expect.objectContaining({ requestsPerSecond: 0.5 }));
		expect(clock.now() - started).toBeGreaterThanOrEqual(4000);
	});

	it('a dry run states no rate: a real run after it is not paced by it', async () => {
		const dry = await t.harness.run(assignParams({ deviceList: imei(70), options: { dryRun: true, maxRequestsPerSecond: 0.5 } }));
		expect(dry.error).toBeUndefined();
		const real = await t.harness.run(assignParams({ deviceList: imei(71) }));
		expect(real.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(1);
		expect(real.items[0].json.pacing).toBeUndefined();
	});

	it('Combine Items given as "false" sends each item on its own', async () => {
		const result = await t.harness.run(
			assignParams({ deviceList: '={{ $json.sims }}', options: { combineItems: byExpression('combine') } }),
			[{ json: { sims: imei(20), combine: 'false' } }, { json: { sims: imei(21), combine: 'false' } }],
		);
		expect(result.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(2);
	});

	it('Max Requests per Second of "0.5" is honoured: one request every two seconds, not "learn"', async () => {
		const clock = clockOfTest();
		const started = clock.now();
		const result = await t.harness.run(
			assignParams({ deviceList: imeis(300, 100).join(','), options: { maxRequestsPerSecond: byExpression('rate'), maxConcurrentRequests: ' 1 ' } }),
			[{ json: { rate: '0.5' } }],
		);
		expect(result.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(3);
		expect(result.items[0].json.pacing).toEqual(expect.objectContaining({ requestsPerSecond: 0.5 }));
		// Three requests at 0.5 per second: the last two waited about two seconds each (moved, not waited).
		expect(clock.now() - started).toBeGreaterThanOrEqual(4000);
	});

	it.each([
		['maxRequestsPerSecond', 'fast', /^Max Requests per Second must be a number, not "fast"/],
		['maxRequestsPerSecond', -1, /^Max Requests per Second must be at least 0/],
		['maxRequestsPerSecond', '0.0001', /^Max Requests per Second must be 0 or at least 0.01, not "0.0001"/],
		['maxConcurrentRequests', '2 requests', /^Max Requests at Once must be a number, not "2 requests"/],
		['maxConcurrentRequests', -1, /^Max Requests at Once must be at least 0/],
		['maxConcurrentRequests', '0.5', /^Max Requests at Once must be a whole number, not "0.5"/],
		['maxConcurrentRequests', 4.5, /^Max Requests at Once must be a whole number, not 4.5/],
	])('%s given as %j is refused by name', async (option, value, message) => {
		const result = await t.harness.run(assignParams({ deviceList: imei(4), options: { [option]: byExpression('value') } }), [{ json: { value } }]);
		expect(result.error?.message).toMatch(message);
		expect(licensing()).toBe(0);
	});

	it('Account Name, SKU, kind and Transaction ID are trimmed and read in any case', async () => {
		const result = await t.harness.run(
			assignParams({
				accountName: byExpression('account'),
				skuNumber: byExpression('sku'),
				deviceKind: byExpression('kind'),
				deviceList: imei(30),
				options: { transactionId: byExpression('id') },
			}),
			[{ json: { account: ' 0000123456-00001 ', sku: ' simsec-iot ', kind: ' imei', id: ' 1-2025 ' } }],
		);
		expect(result.error).toBeUndefined();
		const [assign] = t.sim.requests.filter((request) => request.route === 'assign');
		expect(assign.body).toEqual(expect.objectContaining({ accountName: '0000123456-00001', skuNumber: 'SIMSec-IoT' }));
		expect(assign.headers['x-request-id']).toBe('1-2025');
	});

	it.each([
		['accountName', 123456, /^Account Name must be text, not the number 123456/],
		['skuNumber', { sku: 'SIMSec-IoT' }, /^SKU must be text/],
		['skuNumber', 'SIMSec', /^SKU "SIMSec" is not a SIM-Secure for IoT SKU/],
		['deviceKind', 7, /^Device ID Kind must be text/],
	])('%s given as %j is refused by name before anything is sent', async (field, value, message) => {
		const result = await t.harness.run(assignParams({ deviceList: imei(5), [field]: byExpression('value') }), [{ json: { value } }]);
		expect(result.error?.message).toMatch(message);
		expect(t.sim.count('token') + licensing()).toBe(0);
	});
});
