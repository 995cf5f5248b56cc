import { IN_FLIGHT } from '../nodes/shared/policy';
import { assignParams, imeis, simulatorPerTest } from './fixtures';

/** Max Requests at Once left at 0: the node decides how many requests are in flight, from what ThingSpace shows. */
describe('In flight by measurement, one budget per credential', () => {
	describe('a contract of 10 licensing calls per second, answers in 100 ms', () => {
		const t = simulatorPerTest({ rateLimitPerSecond: 10, latencyMs: 100 });
		const answers429 = () => t.sim.requests.filter((request) => request.route === 'assign' && request.status === 429).length;

		it('two runs at once with default options share the pace and the in-flight budget: at most 3 answers 429, each device once', async () => {
			const results = await Promise.all([
				t.harness.run(assignParams({ deviceList: imeis(1500).join(',') })),
				t.harness.run(assignParams({ deviceList: imeis(1500, 2000).join(',') })),
			]);
			expect(results.map((result) => result.error)).toEqual([undefined, undefined]);
			expect(answers429()).toBeLessThanOrEqual(3);
			const sent = t.sim.devicesSent('assign');
			expect(sent.size).toBe(3000);
			expect([...sent.values()].every((times) => times === 1)).toBe(true);
		}, 30_000);
	});

	describe('no rate limit, answers in 150 ms', () => {
		const t = simulatorPerTest({ latencyMs: 150 });

		it(`two runs at once never have more than ${IN_FLIGHT.cap} requests in flight together, and more than ${IN_FLIGHT.start} once answers come`, async () => {
			const results = await Promise.all([
				t.harness.run(assignParams({ deviceList: imeis(10000).join(',') })),
				t.harness.run(assignParams({ deviceList: imeis(10000, 20000).join(',') })),
			]);
			expect(results.map((result) => result.error)).toEqual([undefined, undefined]);
			expect(t.sim.maxInFlight('assign')).toBeLessThanOrEqual(IN_FLIGHT.cap);
			expect(t.sim.maxInFlight('assign')).toBeGreaterThan(IN_FLIGHT.start);
			expect(t.sim.devicesSent('assign').size).toBe(20000);
		}, 30_000);

		it('Max Requests at Once, when set, bounds the run', async () => {
			const result = await t.harness.run(assignParams({ deviceList: imeis(3000).join(','), options: { maxConcurrentRequests: 3 } }));
			expect(result.error).toBeUndefined();
			expect(t.sim.maxInFlight('assign')).toBeLessThanOrEqual(3);
		}, 30_000);
	});
});
