import { rememberBounded } from './bounded';
import { clock } from './clock';

import { InFlightBudget } from './inFlight';
import { LearnedPace, latestArrival, stale, type Known, type PacedCall } from './learnedPace';
import { RATE_LIMIT } from './policy';

/**
 * Keeps a credential's licensing calls under ThingSpace's rate limit. ThingSpace counts a call when it
 * arrives, some time between its release here and its answer (a slow network path, a stalled event
 * loop). A call whose answer took no longer than the fastest recent one cannot have arrived later than
 * such a call would; one that took longer may have spent all the extra on its way there. So a call stays
 * in the pace's window until a window after its release plus that extra (without an accepted answer to
 * compare with: after its answer), and never more than `rate` calls can arrive within one window, however
 * long each was in transit. Calls also start evenly spaced, so that a login or jitter does not bunch them up.
 *
 * ThingSpace publishes no rate (each contract has its own): it is learned from 429s (learnedPace.ts), or given
 * by the user. Until it is known, calls are spaced by the fastest answer time over the calls allowed in flight
 * (at least RATE_LIMIT.unknownSpacingMs; further apart, and one unread at a time, while the process is busy and
 * reads answers late; one unread, too, between its bursts and right after a thin pace), so the first 429 is
 * read before many more have gone. How many calls are in flight is measured too (inFlight.ts). One pace and
 * one in-flight budget per credential in this process, shared by all its runs, whether the rate is learned or given.
 */
export class Pacer {
	/** The user's Max Requests per Second, and when a run last stated it. */
	private given?: Known;

	/** What ThingSpace's 429s taught. */
	private readonly learned = new LearnedPace();

	/** Recent calls in release order: when each was released and answered, and whether ThingSpace accepted it. */
	private readonly calls: Call[] = [];

	private queue: Promise<void> = Promise.resolve();

	/** How many calls may be in flight, and the answer times it measures. */
	private readonly budget = new InFlightBudget();

	/** When this process was last too busy to read answers soon, while no rate was known. */
	private busyAt = -Infinity;

	/** Calls per window now: the lower of the given and the learned rate; undefined: not known, calls are not spaced. */
	get rate(): number | undefined {
		const given = this.given && !stale(this.given) ? this.given.rate : undefined;
		const learned = this.learned.rate;
		if (given === undefined || learned === undefined) return given ?? learned;
		return Math.min(given, learned);
	}

	/** The most calls of the credential in flight now. */
	get inFlightLimit(): number {
		return this.budget.limit(this.rate);
	}

	/** A run states the rate: it applies to every run of the credential while runs keep stating it. */
	give(rate: number): void {
		this.given = { rate, at: clock.now(), lifeMs: RATE_LIMIT.keepLearnedMs };
	}

	/** Waits for a free place in the window; returns the milliseconds waited and a handle to report the answer. */
	async slot(): Promise<{ waitedMs: number; done: (status: number | undefined) => void }> {
		const asked = clock.now();
		let call!: Call;
		// One caller at a time decides its release, so concurrent calls queue in order.
		const turn = this.queue.then(async () => {
			await this.placeFree();
			let answer!: () => void;
			call = {
				releasedAt: clock.now(),
				answer: () => answer(),
				answered: new Promise<void>((resolve) => (answer = resolve)),
			};
			this.calls.push(call);
		});
		this.queue = turn.catch(() => {});
		await turn;
		return {
			waitedMs: call.releasedAt - asked,
			done: (status) => {
				// The latest it can have arrived: from here on it counts.
				call.answeredAt = clock.now();
				call.accepted = status !== undefined && status >= 200 && status < 300;
				this.budget.answered(call.answeredAt - call.releasedAt, status);
				if (status === 429) this.learned.refused(call, this.calls, this.budget.fastestMs);
				else if (call.accepted) this.learned.accepted(call);
				call.answer();
			},
		};
	}

	/** Until the next call may go: a place in flight, then `rate` places after each call, a window after it can have arrived. */
	private async placeFree(): Promise<void> {
		for (;;) {
			this.forget();
			const rate = this.rate;
			const limit = this.budget.limit(rate);
			// While no rate is known, a process too busy to read answers soon (other executions starting) keeps one
			// call unread at a time: a call it released meanwhile would meet the 429 it has not read yet. So does one
			// that learns the rate again right after a thin pace: the other worker may still fill the window.
			const busy = rate === undefined ? clock.busy() : 0;
			if (busy > RATE_LIMIT.busyShare) this.busyAt = clock.now();
			const oneUnread =
				rate === undefined &&
				(busy > RATE_LIMIT.busyShare || this.betweenBursts || this.learned.afterThin);
			const inFlight = this.calls.filter((call) => call.answeredAt === undefined);
			if (inFlight.length >= (oneUnread ? 1 : limit)) {
				await Promise.race(inFlight.map((call) => call.answered));
				continue;
			}
			const last = this.calls[this.calls.length - 1];
			const fastest = this.budget.fastestMs;
			if (rate === undefined) {
				// Not known yet: `limit` calls per fastest answer time, evenly spaced, never closer than unknownSpacingMs,
				// and further apart while this process is too busy to read the first 429 soon (other executions starting).
				const spacing =
					Math.max(RATE_LIMIT.unknownSpacingMs, (fastest ?? 0) / limit) * busySpacing(busy);
				const next = last ? last.releasedAt + spacing : 0;
				if (next <= clock.now()) return;
				await clock.sleep(next - clock.now());
				continue;
			}
			let next = last ? last.releasedAt + RATE_LIMIT.windowMs / rate : 0;
			// Every call at least `rate` places back (earlier ones, under a rate that has since gone down, too).
			// A fractional rate (0.5: one call every two windows) is kept by the spacing above.
			const perWindow = Math.max(1, Math.floor(rate));
			const bound = this.calls.slice(0, Math.max(0, this.calls.length - perWindow + 1));
			const open = bound.find((call) => call.answeredAt === undefined);
			if (open) {
				await open.answered;
				continue;
			}
			for (const call of bound)
				next = Math.max(next, latestArrival(call, fastest) + RATE_LIMIT.windowMs);
			const now = clock.now();
			if (next <= now) return;
			// The rate may change while it waits (a 429, a run stating another): decide again after.
			await clock.sleep(next - now);
		}
	}

	/**
	 * Busy in bursts (n8n starting executions): calls released between two bursts meet a 429 that the next burst
	 * keeps unread. Only where answers come sooner than RATE_LIMIT.busyHoldMs: a slower answer lets as many calls go
	 * as a burst would, and one unread at a time would slow every call by all of it.
	 */
	private get betweenBursts(): boolean {
		const fastest = this.budget.fastestMs;
		return (
			fastest !== undefined &&
			fastest < RATE_LIMIT.busyHoldMs &&
			clock.now() - this.busyAt < RATE_LIMIT.busyHoldMs
		);
	}

	/** Calls answered two windows ago can no longer hold anyone back or be counted. */
	private forget(): void {
		const before = clock.now() - 2 * RATE_LIMIT.windowMs;
		while (this.calls.length > 0 && (this.calls[0].answeredAt ?? Infinity) < before)
			this.calls.shift();
	}
}

/** How many times further apart calls at an unknown rate start while the process is `busy` (0 to 1) of the time. */
function busySpacing(busy: number): number {
	if (!(busy > RATE_LIMIT.busyShare)) return 1;
	return Math.min(RATE_LIMIT.maxBusySpacing, (1 - RATE_LIMIT.busyShare) / (1 - Math.min(busy, 1)));
}

interface Call extends PacedCall {
	answered: Promise<void>;
	answer: () => void;
}

/** What a run paces its calls with: the credential's Pacer, stating the run's given rate at each call. */
export interface Pace {
	readonly rate: number | undefined;
	readonly inFlightLimit: number;
	slot: Pacer['slot'];
}

/** One pace per credential (host and username). Lifetime: the n8n process; at most MAX_ENTRIES. */
const pacers = new Map<string, Pacer>();

export function pacerFor(key: string, given?: number): Pace {
	let pacer = pacers.get(key);
	if (!pacer) {
		pacer = new Pacer();
		rememberBounded(pacers, key, pacer);
	}
	if (given === undefined || !(given > 0)) return pacer;
	const shared = pacer;
	shared.give(given);
	return {
		get rate() {
			return shared.rate;
		},
		get inFlightLimit() {
			return shared.inFlightLimit;
		},
		slot: async () => {
			shared.give(given);
			return await shared.slot();
		},
	};
}

/** Forget every pace (tests, as after an n8n restart). */
export function resetPacers(): void {
	pacers.clear();
}
