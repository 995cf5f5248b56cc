import { useClock } from '../../nodes/shared/clock';
import { LearnedPace, type PacedCall } from '../../nodes/shared/learnedPace';
import { RATE_LIMIT } from '../../nodes/shared/policy';

const { windowMs, firstPaceFloor, keepThinPaceMs, keepCrowdedPaceMs, keepLearnedMs } = RATE_LIMIT;

/** A pace and the calls it hears of, at a time the test sets; each call answered as it is released. */
function paceAt() {
	let at = 0;
	useClock({ now: () => at, sleep: async () => {} });
	const pace = new LearnedPace();
	const calls: PacedCall[] = [];
	const answer = (status: 200 | 429) => {
		const call = { releasedAt: at, answeredAt: at, accepted: status === 200 };
		calls.push(call);
		if (status === 429) pace.refused(call, calls);
		else pace.accepted(call);
	};
	return {
		pace,
		/** `count` calls spaced `gapMs` apart, each answered `status`; time goes on past the last by the gap. */
		calls(count: number, status: 200 | 429, gapMs = 10) {
			for (let n = 0; n < count; n++) {
				answer(status);
				at += gapMs;
			}
		},
		pass(ms: number) {
			at += ms;
		},
		/** `accepted` calls accepted, then one refused: a 429 and the window before it. */
		refusedAfter(accepted: number) {
			this.calls(accepted, 200);
			this.calls(1, 429);
		},
	};
}

afterEach(() => useClock());

/** A pace thinned to `accepted` (below the floor): a first 429 teaches the floor, a later one what the window held. */
function thinned(accepted: number) {
	const t = paceAt();
	t.calls(1, 429);
	t.refusedAfter(accepted);
	expect(t.pace.rate).toBe(accepted);
	return t;
}

describe("LearnedPace: what ThingSpace's 429s teach about the rate", () => {
	it(`a first 429 teaches the calls accepted in the window before it, never fewer than ${firstPaceFloor}; kept 10 minutes`, () => {
		const t = paceAt();
		expect(t.pace.rate).toBeUndefined();
		t.refusedAfter(12);
		expect(t.pace.rate).toBe(12);
		t.pass(keepLearnedMs - 200);
		expect(t.pace.rate).toBe(12);
		t.pass(400);
		expect(t.pace.rate).toBeUndefined();

		const other = paceAt();
		other.refusedAfter(2);
		expect(other.pace.rate).toBe(firstPaceFloor);
	});

	it(`a later 429 lowers the pace to what the window held; below ${firstPaceFloor} it lasts ${keepThinPaceMs / 1000} s, then the rate is learned again`, () => {
		const t = thinned(3);
		t.pass(keepThinPaceMs - 100);
		expect(t.pace.rate).toBe(3);
		t.pass(200);
		expect(t.pace.rate).toBeUndefined();
	});

	it(`a pace of one call per window that is still refused is starved: it asks every two windows, and its first accepted call ends it`, () => {
		const t = thinned(1);
		// Refused at one call per window, then at one per two: another worker fills the contract.
		t.pass(windowMs);
		t.calls(1, 429, windowMs);
		expect(t.pace.rate).toBe(RATE_LIMIT.starvedPace);
		t.calls(2, 429, 2 * windowMs);
		expect(t.pace.rate).toBe(RATE_LIMIT.starvedPace);
		t.calls(1, 200);
		expect(t.pace.rate).toBeUndefined();
		// Learned again from what ThingSpace now accepts, for 10 minutes.
		t.refusedAfter(9);
		expect(t.pace.rate).toBe(10);
	});

	it(`a rate learned again within a window of a thin pace's end, below twice the floor, lasts ${keepCrowdedPaceMs} ms, then is learned once more for 10 minutes`, () => {
		const t = thinned(3);
		t.pass(keepThinPaceMs + 1);
		// The other worker's last calls fill the window: this one's own 6 are what it counts.
		t.refusedAfter(6);
		expect(t.pace.rate).toBe(6);
		t.pass(keepCrowdedPaceMs - 100);
		expect(t.pace.rate).toBe(6);
		t.pass(200);
		expect(t.pace.rate).toBeUndefined();
		// The other worker is done: the whole contract, kept.
		t.refusedAfter(10);
		expect(t.pace.rate).toBe(10);
		t.pass(keepLearnedMs - 200);
		expect(t.pace.rate).toBe(10);
	});

	it('a crowded pace that a 429 lowers is still crowded; the rate learned once it lapses is kept 10 minutes, below twice the floor too', () => {
		const t = thinned(3);
		t.pass(keepThinPaceMs + 1);
		t.refusedAfter(8);
		expect(t.pace.rate).toBe(8);
		t.pass(windowMs);
		t.refusedAfter(7);
		expect(t.pace.rate).toBe(7);
		t.pass(keepCrowdedPaceMs + 100);
		expect(t.pace.rate).toBeUndefined();
		// Its lapse is no thin pace's end: what is learned now lasts (else a contract of 6 would be learned every 2 s).
		t.refusedAfter(6);
		t.pass(keepLearnedMs - 200);
		expect(t.pace.rate).toBe(6);
	});

	it('a starved pace ends as a thin one does: the rate learned right after it is kept as briefly', () => {
		const t = thinned(1);
		t.pass(windowMs);
		t.calls(1, 429, windowMs);
		expect(t.pace.rate).toBe(RATE_LIMIT.starvedPace);
		t.refusedAfter(4);
		expect(t.pace.rate).toBe(firstPaceFloor);
		t.pass(keepCrowdedPaceMs + 100);
		expect(t.pace.rate).toBeUndefined();
	});

	it(`a rate learned again from a window that began after the thin pace's end, or of twice the floor or more, is kept 10 minutes`, () => {
		const later = thinned(3);
		later.pass(keepThinPaceMs + windowMs + 1);
		later.refusedAfter(6);
		later.pass(keepLearnedMs - 200);
		expect(later.pace.rate).toBe(6);

		const whole = thinned(3);
		whole.pass(keepThinPaceMs + 1);
		whole.refusedAfter(2 * firstPaceFloor);
		whole.pass(keepLearnedMs - 200);
		expect(whole.pace.rate).toBe(2 * firstPaceFloor);
	});

	it('a thin pace that is not starved waits out its lifetime, however many of its calls are accepted', () => {
		const t = thinned(1);
		t.calls(5, 200, windowMs);
		expect(t.pace.rate).toBe(1);
	});

	it('a later 429 counts the calls released before its window and answered late: a busy process may have sent them within it', () => {
		const fastestMs = 20;
		/** A pace of 8, eight calls released after it, answered `tookMs` later, then a 429 a window and 100 ms after them. */
		const lowered = (tookMs: number) => {
			let at = 0;
			useClock({ now: () => at, sleep: async () => {} });
			const pace = new LearnedPace();
			const calls: PacedCall[] = [];
			for (let n = 0; n < 8; n++)
				calls.push({ releasedAt: n, answeredAt: n + fastestMs, accepted: true });
			const first = { releasedAt: 8, answeredAt: 8 + fastestMs, accepted: false };
			calls.push(first);
			at = first.answeredAt;
			pace.refused(first, calls, fastestMs);
			expect(pace.rate).toBe(8);
			for (let n = 0; n < 8; n++)
				calls.push({ releasedAt: 100 + n, answeredAt: 100 + n + tookMs, accepted: true });
			const refused = {
				releasedAt: 107 + windowMs + 100,
				answeredAt: 107 + windowMs + 105,
				accepted: false,
			};
			calls.push(refused);
			at = refused.answeredAt;
			pace.refused(refused, calls, fastestMs);
			return pace.rate;
		};
		// Answered late: they may have arrived 280 ms after their release, inside the window. Lowered by one.
		expect(lowered(300)).toBe(7);
		// Answered at once: they arrived before the window, which held none of ours. Thin.
		expect(lowered(fastestMs)).toBe(1);
	});

	it('a 429 whose window still holds calls released before the pace was learned changes nothing; a window later, it lowers the pace', () => {
		const t = paceAt();
		t.refusedAfter(8);
		// Those 8 may have reached ThingSpace late (a busy process): the new pace is not what it refused.
		t.calls(1, 429);
		expect(t.pace.rate).toBe(8);
		t.pass(windowMs);
		t.refusedAfter(5);
		expect(t.pace.rate).toBe(5);
	});

	it('a 429 of a call released before the pace was learned changes nothing', () => {
		const t = paceAt();
		const early = { releasedAt: 0, answeredAt: 0, accepted: false };
		t.refusedAfter(8);
		expect(t.pace.rate).toBe(8);
		t.pace.refused(early, [early]);
		expect(t.pace.rate).toBe(8);
	});
});
