import { clock } from './clock';

import { RATE_LIMIT } from './policy';

/**
 * Keeps a credential's licensing calls under ThingSpace's rate limit. ThingSpace publishes none (each
 * contract has its own), so the pace is learned: after a 429, the calls ThingSpace accepted in the
 * second before it are the rate, and from then on the calls start evenly spaced, at most that many
 * in any one window (a second and a margin). A rate the user gives is used from the first call.
 */
export class Pacer {
	/** Calls per window; undefined: not known yet, so calls are not spaced. */
	rate: number | undefined;

	/** When each recent call started, and whether ThingSpace accepted it. */
	private readonly starts: Array<{ at: number; accepted?: boolean }> = [];

	private learnedAt = 0;

	private queue: Promise<void> = Promise.resolve();

	/** Until the first paced call is answered, the next waits: that call may log in first, and calls held by a login would arrive together. */
	private firstAnswer?: Promise<void>;

	constructor(private readonly given?: number) {
		this.rate = given;
	}

	/** Waits for a free place in the window; returns the milliseconds waited and a handle to report the answer. */
	async slot(): Promise<{ waitedMs: number; done: (status: number | undefined) => void }> {
		const asked = clock.now();
		let start!: { at: number; accepted?: boolean };
		let answered: (() => void) | undefined;
		// One caller at a time decides its start, so concurrent calls queue in order.
		const turn = this.queue.then(async () => {
			const rate = this.rate;
			if (rate !== undefined && this.firstAnswer) await this.firstAnswer;
			const inWindow = this.recent(clock.now());
			if (rate !== undefined) {
				// Evenly spaced, so that latency jitter cannot bunch them up, and never more than `rate` in a window
				// (after the burst that taught the rate, the window still holds it).
				const last = inWindow[inWindow.length - 1]?.at ?? 0;
				// A fractional rate (0.5: one call every two windows) is kept by the spacing alone.
				const perWindow = Math.max(1, Math.floor(rate));
				const windowFull = inWindow.length >= perWindow ? inWindow[inWindow.length - perWindow].at + RATE_LIMIT.windowMs : 0;
				const next = Math.max(last + RATE_LIMIT.windowMs / rate, windowFull);
				if (next > clock.now()) await clock.sleep(next - clock.now());
			}
			start = { at: clock.now() };
			this.starts.push(start);
			if (rate !== undefined && this.firstAnswer === undefined) {
				this.firstAnswer = new Promise<void>((resolve) => (answered = resolve));
			}
		});
		this.queue = turn.catch(() => {});
		await turn;
		return {
			waitedMs: start.at - asked,
			done: (status) => {
				if (answered) {
					// It may have waited for a login: count it from its answer, the latest it can have reached ThingSpace.
					start.at = clock.now();
					answered();
				}
				start.accepted = status !== undefined && status >= 200 && status < 300;
				if (status === 429) this.learn(start);
			},
		};
	}

	/** After a 429: the calls accepted (or still unanswered) in the window before it are what ThingSpace allows. */
	private learn(refused: { at: number }): void {
		const from = refused.at - RATE_LIMIT.windowMs;
		const accepted = this.starts.filter((start) => start !== refused && start.accepted !== false && start.at <= refused.at && start.at >= from).length;
		const observed = Math.max(1, accepted);
		// A given rate only goes down; a learned one is replaced by the newest observation, never raised within its life.
		this.rate = Math.min(this.rate ?? observed, observed);
		this.learnedAt = clock.now();
	}

	/** A learned pace is forgotten after a while, so a raised contract limit is found again. */
	expired(now = clock.now()): boolean {
		return this.given === undefined && this.rate !== undefined && now - this.learnedAt > RATE_LIMIT.keepLearnedMs;
	}

	private recent(now: number): Array<{ at: number }> {
		while (this.starts.length > 0 && this.starts[0].at < now - RATE_LIMIT.windowMs * 2) this.starts.shift();
		return this.starts.filter((start) => start.at > now - RATE_LIMIT.windowMs);
	}
}

/** One learned pace per credential (host and username). Lifetime: the n8n process; at most MAX_PACERS. */
const pacers = new Map<string, Pacer>();
const MAX_PACERS = 1000;

export function pacerFor(key: string, given?: number): Pacer {
	if (given !== undefined && given > 0) return new Pacer(given);
	let pacer = pacers.get(key);
	if (!pacer || pacer.expired()) {
		pacer = new Pacer();
		pacers.delete(key);
		pacers.set(key, pacer);
		if (pacers.size > MAX_PACERS) pacers.delete(pacers.keys().next().value as string);
	}
	return pacer;
}

/** Forget every learned pace (tests, as after an n8n restart). */
export function resetPacers(): void {
	pacers.clear();
}
