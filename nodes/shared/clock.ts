import { sleep } from 'n8n-workflow';

/**
 * The one clock of the package: what time it is, and waiting. Every wait and every stamp (the 429
 * waits, the pace, the login lease and hold, the trigger's memory) goes through it, so a test can
 * replace it (useClock) and move time instead of waiting for it.
 */
export interface Clock {
	now(): number;
	sleep(ms: number): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now(), sleep: async (ms) => await sleep(ms) };

let current: Clock = systemClock;

export const clock: Clock = {
	now: () => current.now(),
	sleep: async (ms) => await current.sleep(ms),
};

/** Replaces the clock (tests); without an argument, the system clock again. */
export function useClock(replacement?: Clock): void {
	current = replacement ?? systemClock;
}
