import { imeis, assignParams, simulatorPerTest } from './fixtures';

describe('Pacing: at ThingSpace\'s rate instead of bouncing off it', () => {
	// A contract that allows 10 licensing calls per second, 429 with Retry-After: 1 beyond.
	const t = simulatorPerTest({ rateLimitPerSecond: 10 });
	const answers429 = () => t.sim.requests.filter((request) => request.route === 'assign' && request.status === 429).length;

	it('learns the rate from the first 429s: 50 requests meet at most 3 of them, each device licensed once, and the output says so', async () => {
		const ids = imeis(5000);
		const result = await t.harness.run(assignParams({ deviceList: ids.join(',') }));

		expect(result.error).toBeUndefined();
		expect(t.sim.devicesSent('assign').size).toBe(5000);
		expect([...t.sim.devicesSent('assign').values()].every((times) => times === 1)).toBe(true);
		expect(answers429()).toBeLessThanOrEqual(3);
		const { pacing } = result.items[0].json as { pacing: { requestsPerSecond: number; waitedMs: number } };
		expect(pacing.requestsPerSecond).toBeGreaterThan(8);
		expect(pacing.requestsPerSecond).toBeLessThanOrEqual(10);
		expect(pacing.waitedMs).toBeGreaterThan(0);
	}, 30_000);

	it('keeps the learned pace for the next run of the same credential: no 429 at all', async () => {
		await t.harness.run(assignParams({ deviceList: imeis(1500).join(',') }));
		t.sim.reset();
		const result = await t.harness.run(assignParams({ deviceList: imeis(2000, 2000).join(',') }));
		expect(result.error).toBeUndefined();
		expect(answers429()).toBe(0);
		expect(t.sim.devicesSent('assign').size).toBe(2000);
	}, 30_000);

	it('with Max Requests per Second set to the contract\'s rate, no 429 from the first request on', async () => {
		const result = await t.harness.run(assignParams({ deviceList: imeis(3000).join(','), options: { maxRequestsPerSecond: 10 } }));
		expect(result.error).toBeUndefined();
		expect(answers429()).toBe(0);
		expect(t.sim.devicesSent('assign').size).toBe(3000);
	}, 30_000);
});
