import { sleep } from 'n8n-workflow';

import { RATE_LIMIT } from './policy';

/**
 * The one clock of the package: what time it is, waiting, and how busy the process has been lately.
 * Every wait and every stamp (the 429 waits, the pace, the login lease and hold, the trigger's memory)
 * goes through it, so a test can replace it (useClock) and move time instead of waiting for it.
 */
export interface Clock {
	now(): number;
	sleep(ms: number): Promise<void>;
	/** How busy this process has been lately: the share (0 to 1) of the last moments it spent running code rather than waiting; none: 0. */
	busy?(): number;
}

const systemClock: Clock = {
	now: () => Date.now(),
	sleep: async (ms) => await sleep(ms),
	busy: busyMeter(() => performance.eventLoopUtilization(), Date.now),
};

let current: Clock = systemClock;

export const clock: Required<Clock> = {
	now: () => current.now(),
	sleep: async (ms) => await current.sleep(ms),
	busy: () => current.busy?.() ?? 0,
};

/** Replaces the clock (tests); without an argument, the system clock again. */
export function useClock(replacement?: Clock): void {
	current = replacement ?? systemClock;
}

/** What Node's event loop reports: the milliseconds it spent running code and waiting, since the process started. */
export interface LoopTimes {
	active: number;
	idle: number;
}

/**
 * The share of the last RATE_LIMIT.busyWindowMs or a little more that the event loop spent running code: a
 * process busy with other executions reads each answer about 1 ÷ (1 − busy) times as late. Samples every half
 * window at most; no time passed: 0.
 */
export function busyMeter(read: () => LoopTimes, now: () => number): () => number {
	const windowMs = RATE_LIMIT.busyWindowMs;
	const samples = [{ at: now(), times: read() }];
	return () => {
		const latest = { at: now(), times: read() };
		if (latest.at - samples[samples.length - 1].at >= windowMs / 2) samples.push(latest);
		// The newest sample a whole window old (the oldest one kept, until there is one).
		while (samples.length > 1 && latest.at - samples[1].at >= windowMs) samples.shift();
		const active = latest.times.active - samples[0].times.active;
		const idle = latest.times.idle - samples[0].times.idle;
		return active + idle > 0 ? active / (active + idle) : 0;
	};
}
