import { sleep } from 'n8n-workflow';

import { useClock, type Clock } from '../../nodes/shared/clock';
import { Pacer } from '../../nodes/shared/pacer';
import { RATE_LIMIT } from '../../nodes/shared/policy';

/** Time that passes only when every pending step has run: timers fire in order, each at its own instant. */
class VirtualClock implements Clock {
	private at = 0;

	private timers: Array<{ at: number; wake: () => void }> = [];

	/** How busy the process is, as Node's event loop utilization would say (a function: at each moment). */
	load: number | ((at: number) => number) = 0;

	now(): number {
		return this.at;
	}

	busy(): number {
		return typeof this.load === 'number' ? this.load : this.load(this.at);
	}

	async sleep(ms: number): Promise<void> {
		await new Promise<void>((wake) => this.timers.push({ at: this.at + Math.max(0, ms), wake }));
	}

	/** Runs until nothing is left to wait for. */
	async settle(): Promise<void> {
		for (;;) {
			await sleep(0);
			if (this.timers.length === 0) return;
			this.timers.sort((a, b) => a.at - b.at);
			const timer = this.timers.shift() as { at: number; wake: () => void };
			this.at = Math.max(this.at, timer.at);
			timer.wake();
		}
	}
}

/** `count` calls at the pace, each answered `answerMs` after its release (plus `extraMs(n)` for the n-th): their release times. */
async function releases(
	rate: number | undefined,
	count: number,
	answerMs: number,
	extraMs: (n: number) => number = () => 0,
	status = 200,
	load: VirtualClock['load'] = 0,
): Promise<number[]> {
	const clock = new VirtualClock();
	clock.load = load;
	useClock(clock);
	try {
		const pacer = new Pacer();
		if (rate !== undefined) pacer.give(rate);
		const released: number[] = [];
		const calls = Array.from({ length: count }, async (_, n) => {
			const slot = await pacer.slot();
			released[n] = clock.now();
			await clock.sleep(answerMs + extraMs(n));
			slot.done(status);
		});
		await clock.settle();
		await Promise.all(calls);
		return released;
	} finally {
		useClock();
	}
}

/** The most calls released within any one window. */
function mostInAWindow(released: number[], windowMs = RATE_LIMIT.windowMs): number {
	const sorted = [...released].sort((a, b) => a - b);
	return Math.max(
		...sorted.map((at, i) => sorted.filter((other, j) => j >= i && other < at + windowMs).length),
	);
}

/** The time between each release and the next, to the millisecond. */
function gaps(released: number[]): number[] {
	return released.slice(1).map((at, n) => Math.round(at - released[n]));
}

describe('Pacer: counts a call from when it can have reached ThingSpace', () => {
	it('answers that take 300 ms do not slow the pace: each call goes a window after the call 10 places before it', async () => {
		const released = await releases(10, 30, 300);
		expect(mostInAWindow(released)).toBeLessThanOrEqual(10);
		expect(released[10] - released[0]).toBeGreaterThanOrEqual(RATE_LIMIT.windowMs);
		// Once under way, each call goes a window after the call 10 places before it, not a window after that call's answer.
		for (let n = 20; n < 30; n++)
			expect(released[n] - released[n - 10]).toBeLessThanOrEqual(RATE_LIMIT.windowMs + 1);
	});

	it('a call whose answer took 150 ms more than the fastest holds the call 10 places after it by those 150 ms', async () => {
		const released = await releases(10, 21, 300, (n) => (n === 5 ? 150 : 0));
		// It may have spent the extra 150 ms on its way to ThingSpace, arriving that much later.
		expect(released[15] - released[5]).toBeGreaterThanOrEqual(RATE_LIMIT.windowMs + 150);
		expect(released[14] - released[4]).toBeLessThan(RATE_LIMIT.windowMs + 150);
	});

	it('without an accepted answer to compare with (every call answered 503), a call counts until a window after its answer', async () => {
		const released = await releases(2, 3, 300, () => 0, 503);
		expect(released[2] - released[0]).toBeGreaterThanOrEqual(300 + RATE_LIMIT.windowMs);
	});
});

describe('Pacer: while the rate is not known, a busy process spaces its calls further apart', () => {
	it(`an idle process, or one busy up to ${RATE_LIMIT.busyShare * 100} % of the time (its own sends), starts them ${RATE_LIMIT.unknownSpacingMs} ms apart`, async () => {
		expect(gaps(await releases(undefined, 4, 20))).toEqual([10, 10, 10]);
		expect(gaps(await releases(undefined, 4, 20, undefined, 200, 0.75))).toEqual([10, 10, 10]);
		// No figure (two asks in the same millisecond): as idle.
		expect(gaps(await releases(undefined, 4, 20, undefined, 200, NaN))).toEqual([10, 10, 10]);
	});

	it('one busy 95 % of the time (other executions starting: it reads each answer late) starts them 5 times as far apart', async () => {
		expect(gaps(await releases(undefined, 4, 20, undefined, 200, 0.95))).toEqual([50, 50, 50]);
	});

	it(`one busy all the time at most ${RATE_LIMIT.maxBusySpacing} times as far apart`, async () => {
		expect(gaps(await releases(undefined, 4, 20, undefined, 200, 1))).toEqual([200, 200, 200]);
	});

	it('one too busy to read answers soon keeps one call unread at a time: the first 429 is read before another call meets it', async () => {
		// Each answer read 300 ms after its call's release: the next call waits for it.
		expect(gaps(await releases(undefined, 4, 300, undefined, 200, 0.95))).toEqual([300, 300, 300]);
		// Not that busy: calls overlap.
		expect(gaps(await releases(undefined, 4, 300, undefined, 200, 0.75))).toEqual([10, 10, 10]);
	});

	it(`busy in bursts, it keeps one call unread for ${RATE_LIMIT.busyHoldMs} ms after a burst while answers come sooner: the next burst would keep the first 429 unread`, async () => {
		const hold = RATE_LIMIT.busyHoldMs;
		const burstAtStart = (at: number) => (at < 5 ? 0.95 : 0);
		// Answers in 20 ms: each call waits for the one before until the hold is over.
		const released = await releases(undefined, 20, 20, undefined, 200, burstAtStart);
		expect(gaps(released.filter((at) => at <= hold))).toEqual(Array(hold / 20).fill(20));
		expect(gaps(released.filter((at) => at >= hold)).every((gap) => gap === 10)).toBe(true);
		// Answers in 300 ms, a burst from 600 to 650 ms: the calls overlap again after it.
		const burstLater = (at: number) => (at >= 600 && at < 650 ? 0.95 : 0);
		const slow = await releases(undefined, 60, 300, undefined, 200, burstLater);
		expect(Math.max(...gaps(slow.filter((at) => at >= 650)))).toBeLessThan(100);
	});

	it('a known rate is kept whatever the load: 10 calls per window, evenly spaced', async () => {
		expect(gaps(await releases(10, 4, 20, undefined, 200, 0.9))).toEqual([103, 103, 103]);
	});
});

describe('Pacer: learning the rate again right after a thin pace', () => {
	afterEach(() => useClock());

	it('keeps one call unread for a window (the other worker may still fill it), then lets them overlap again', async () => {
		const clock = new VirtualClock();
		useClock(clock);
		const pacer = new Pacer();
		/** Runs until every timer is done. */
		const settled = async <T>(work: Promise<T>): Promise<T> => {
			await clock.settle();
			return await work;
		};
		const call = async (status: number, answerMs = 30) => {
			const slot = await pacer.slot();
			const releasedAt = clock.now();
			await clock.sleep(answerMs);
			slot.done(status);
			return releasedAt;
		};
		const pass = async (ms: number) => await settled(clock.sleep(ms));

		// A first 429 teaches the floor; a window later, two accepted and a 429 thin it to 2.
		await settled(call(429));
		expect(pacer.rate).toBe(RATE_LIMIT.firstPaceFloor);
		await pass(RATE_LIMIT.windowMs);
		await settled(Promise.all([call(200), call(200)]));
		await settled(call(429));
		expect(pacer.rate).toBe(2);

		await pass(RATE_LIMIT.keepThinPaceMs + 1);
		expect(pacer.rate).toBeUndefined();
		const unread = await settled(Promise.all([1, 2, 3, 4].map(async () => await call(200))));
		expect(gaps(unread)).toEqual([30, 30, 30]);

		await pass(RATE_LIMIT.windowMs);
		const overlapping = await settled(Promise.all([1, 2, 3, 4].map(async () => await call(200))));
		expect(Math.max(...gaps(overlapping))).toBeLessThan(30);
	});
});
