import { RATE_LIMIT } from '../nodes/shared/policy';
import { anotherProcess } from './anotherProcess';
import { imeis, assignParams, simulatorPerTest } from './fixtures';
import type { Simulator } from './simulator/thingspace-simulator';
import { clockOfTest, realTime } from './time';

/** The most licensing calls ThingSpace accepted within any one second, by their arrival as the simulator saw it. */
function mostArrivalsInASecond(sim: Simulator): number {
	const arrivals = sim.requests.filter((request) => request.route === 'assign' && request.status === 200).map((request) => request.at);
	return Math.max(0, ...arrivals.map((at) => arrivals.filter((other) => other >= at && other < at + 1000).length));
}

/** Per second, as the node's output reports a pace of `rate` calls per window. */
const perSecond = (rate: number) => Math.round(((rate * 1000) / RATE_LIMIT.windowMs) * 10) / 10;

/** The contract of these tests: 10 licensing calls per second, 429 with Retry-After: 1 beyond. */
const CONTRACT = { rateLimitPerSecond: 10 };

const answers429 = (sim: Simulator) => sim.requests.filter((request) => request.route === 'assign' && request.status === 429).length;

/** From the first licensing call's arrival to the last's, over the rate floor (the accepted calls ÷ `rate` per second). */
function wallOverRateFloor(sim: Simulator, rate: number): number {
	const assigns = sim.requests.filter((request) => request.route === 'assign');
	const accepted = assigns.length - answers429(sim);
	return (assigns[assigns.length - 1].at - assigns[0].at) / ((accepted / rate) * 1000);
}

// On the test's clock, which the simulator's rate limit keeps too: minutes of pacing pass in milliseconds.
describe('Pacing: at ThingSpace\'s rate instead of bouncing off it', () => {
	const t = simulatorPerTest(CONTRACT);

	it('learns the rate from the first 429s: 50 requests meet at most 3 of them, each device licensed once, and the output says so', async () => {
		const ids = imeis(5000);
		const result = await t.harness.run(assignParams({ deviceList: ids.join(',') }));

		expect(result.error).toBeUndefined();
		expect(t.sim.devicesSent('assign').size).toBe(5000);
		expect([...t.sim.devicesSent('assign').values()].every((times) => times === 1)).toBe(true);
		expect(answers429(t.sim)).toBeLessThanOrEqual(3);
		const { pacing } = result.items[0].json as { pacing: { requestsPerSecond: number; waitedMs: number } };
		expect(pacing.requestsPerSecond).toBeGreaterThan(8);
		expect(pacing.requestsPerSecond).toBeLessThanOrEqual(10);
		expect(pacing.waitedMs).toBeGreaterThan(0);
	});

	it('keeps the learned pace for the next run of the same credential: no 429 at all', async () => {
		await t.harness.run(assignParams({ deviceList: imeis(1500).join(',') }));
		t.sim.reset();
		const result = await t.harness.run(assignParams({ deviceList: imeis(2000, 2000).join(',') }));
		expect(result.error).toBeUndefined();
		expect(answers429(t.sim)).toBe(0);
		expect(t.sim.devicesSent('assign').size).toBe(2000);
	});

	it('with Max Requests per Second set to the contract\'s rate, no 429 from the first request on', async () => {
		const result = await t.harness.run(assignParams({ deviceList: imeis(3000).join(','), options: { maxRequestsPerSecond: 10 } }));
		expect(result.error).toBeUndefined();
		expect(answers429(t.sim)).toBe(0);
		expect(t.sim.devicesSent('assign').size).toBe(3000);
	});

	it('calls held in transit (every third 150 ms) still arrive at most 10 in any second: no 429 at the contract\'s rate', async () => {
		t.sim.delay({ route: 'assign', ms: 150, after: 1, every: 3, times: Infinity });
		const result = await t.harness.run(
			assignParams({ deviceList: imeis(1500).join(','), options: { maxRequestsPerSecond: 10, maxConcurrentRequests: 4 } }),
		);

		expect(result.error).toBeUndefined();
		expect(answers429(t.sim)).toBe(0);
		expect(mostArrivalsInASecond(t.sim)).toBeLessThanOrEqual(10);
		expect(t.sim.devicesSent('assign').size).toBe(1500);
	});

	it('two runs of the credential at once, each with Max Requests per Second 10, share that rate: no 429', async () => {
		const options = { maxRequestsPerSecond: 10, maxConcurrentRequests: 4 };
		const results = await Promise.all([
			t.harness.run(assignParams({ deviceList: imeis(800).join(','), options })),
			t.harness.run(assignParams({ deviceList: imeis(800, 1000).join(','), options })),
		]);

		expect(results.map((result) => result.error)).toEqual([undefined, undefined]);
		expect(answers429(t.sim)).toBe(0);
		expect(mostArrivalsInASecond(t.sim)).toBeLessThanOrEqual(10);
		expect(t.sim.devicesSent('assign').size).toBe(1600);
	});
});

// Queue mode: each worker keeps its own pace (docs/design.md). A worker that starts later finds the window taken
// by the first one and is squeezed to a pace of 1 or 2; kept 10 minutes, that pace crawled on after the first
// worker was done (25 to 52 s for these 10 s of work, by the offset); so it lasts 7 s (docs/design.md says how tuned).
// At 1,000 ms the first worker has learned the whole contract alone, and the second one's single call per window
// is refused until the first is done: starved, it learns the rate again at its first accepted call (1.68× without).
// At 0 ms the second worker's thin pace lapses while the first one's last calls are still in ThingSpace's window:
// the rate it learns then is kept two windows, then learned once more (1.24× when it was kept 10 minutes).
describe('Pacing: two workers of a cluster sharing one contract', () => {
	const t = simulatorPerTest({ ...CONTRACT, latencyMs: 20 });

	for (const [laterMs, most] of [[0, 1.2], [800, 1.35], [1000, 1.35]]) {
		it(`10 runs of 500 devices on each, the second worker starting ${laterMs} ms later: each device once, at most 6 answers 429, at most ${most}× the rate floor`, async () => {
			const second = await anotherProcess(t.harness);
			const runs = Array.from({ length: 10 }, (_, k) => t.harness.run(assignParams({ deviceList: imeis(500, k * 1000).join(',') })));
			await clockOfTest().sleep(laterMs);
			runs.push(...Array.from({ length: 10 }, (_, k) => second.run(assignParams({ deviceList: imeis(500, 100000 + k * 1000).join(',') }))));
			const results = await Promise.all(runs);

			expect(results.filter((result) => result.error)).toEqual([]);
			expect(t.sim.devicesSent('assign').size).toBe(10000);
			expect([...t.sim.devicesSent('assign').values()].every((times) => times === 1)).toBe(true);
			expect(answers429(t.sim)).toBeLessThanOrEqual(6);
			expect(wallOverRateFloor(t.sim, CONTRACT.rateLimitPerSecond)).toBeLessThanOrEqual(most);
		});
	}
});

// The price of the short low pace: a contract below the floor, alone, is learned again every few seconds.
describe(`Pacing: a contract below ${RATE_LIMIT.firstPaceFloor} calls per second`, () => {
	const t = simulatorPerTest({ rateLimitPerSecond: 3, latencyMs: 20 });

	it('60 requests at 3 per second: each device once, at most 10 answers 429, at most 1.2× the rate floor', async () => {
		const result = await t.harness.run(assignParams({ deviceList: imeis(6000).join(',') }));

		expect(result.error).toBeUndefined();
		expect(t.sim.devicesSent('assign').size).toBe(6000);
		expect([...t.sim.devicesSent('assign').values()].every((times) => times === 1)).toBe(true);
		expect(answers429(t.sim)).toBeLessThanOrEqual(10);
		expect(wallOverRateFloor(t.sim, 3)).toBeLessThanOrEqual(1.2);
	});
});

// In real time, where it is the point: however long a call is in transit (a slow path, a busy machine), it reaches
// ThingSpace before its answer comes back, so counted from its answer no window can hold more than the rate. What
// is asserted is what the pace guarantees, whatever this machine's load: no 429, nothing lost or sent twice.
describe('Pacing in real time: calls held in transit', () => {
	realTime();
	const t = simulatorPerTest(CONTRACT);

	it('every third held 150 ms, two runs at once: the calls still arrive at most 10 in any second, no 429, each device once', async () => {
		t.sim.delay({ route: 'assign', ms: 150, after: 1, every: 3, times: Infinity });
		const options = { maxRequestsPerSecond: 10, maxConcurrentRequests: 4 };
		const results = await Promise.all([
			t.harness.run(assignParams({ deviceList: imeis(600).join(','), options })),
			t.harness.run(assignParams({ deviceList: imeis(600, 1000).join(','), options })),
		]);

		expect(results.map((result) => result.error)).toEqual([undefined, undefined]);
		expect(answers429(t.sim)).toBe(0);
		expect(mostArrivalsInASecond(t.sim)).toBeLessThanOrEqual(10);
		expect(t.sim.devicesSent('assign').size).toBe(1200);
		expect([...t.sim.devicesSent('assign').values()].every((times) => times === 1)).toBe(true);
	}, 30_000);
});

describe('Pacing: a single 429 on the very first call', () => {
	// No rate limit here but the one 429: only the pace the node learns from it is at stake.
	const t = simulatorPerTest();

	it(`teaches no pace below ${RATE_LIMIT.firstPaceFloor} calls per window, and it is forgotten after ${RATE_LIMIT.keepLearnedMs / 60000} minutes`, async () => {
		t.sim.inject({ route: 'assign', status: 429, headers: { 'Retry-After': '1' }, body: {} });
		const result = await t.harness.run(assignParams({ deviceList: imeis(1000).join(',') }));

		expect(result.error).toBeUndefined();
		expect(t.sim.devicesSent('assign').size).toBe(1000);
		expect(result.items[0].json.pacing).toMatchObject({ requestsPerSecond: perSecond(RATE_LIMIT.firstPaceFloor) });

		clockOfTest().advance(RATE_LIMIT.keepLearnedMs + 1);
		const later = await t.harness.run(assignParams({ deviceList: imeis(200, 5000).join(',') }));
		expect(later.error).toBeUndefined();
		expect(later.items[0].json.pacing).toBeUndefined();
	});
});
