import type { Clock } from '../nodes/shared/clock';

/**
 * The one clock of a test, for the node's code and the simulator: it moves instead of waiting, to the earliest
 * sleeper's wake, once every request under way is one a simulator holds on purpose and the queued work has run.
 */
export class TestClock implements Clock {
	constructor(start?: number);
	now(): number;
	sleep(ms: number): Promise<void>;
	/** Everything the code under test slept for, in all (overlapping sleeps add up). */
	readonly slept: number;
	/** The test moves time on itself (time passing between runs); due sleepers wake. */
	advance(ms: number): void;
	/** A simulator holds a request on purpose until `promise` settles: time may move meanwhile. */
	hold(promise: Promise<unknown>): void;
	stop(): void;
}

/** Starts a new clock for the running test (test/setup.ts does, through test/time.ts, before each test). */
export function startTestTime(start?: number): TestClock;
export function stopTestTime(): void;
/** The clock of the running test; undefined when it runs in real time. */
export function testClock(): TestClock | undefined;
