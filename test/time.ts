import { useClock, type Clock } from '../nodes/shared/clock';
import { startTestTime, stopTestTime, testClock, type TestClock } from './testClock';

export { testClock, type TestClock };

/**
 * Every test runs on a TestClock of its own (test/setup.ts, before each test): the node's code and the
 * simulators of fixtures.ts keep time by it, so waits are moved through, not waited for.
 */
export function startTime(): void {
	useClock(startTestTime());
}

export function endTime(): void {
	useClock();
	stopTestTime();
}

/**
 * The tests of the enclosing describe block run in real time, where real timing is the point. Declare it
 * before simulatorPerTest, so that the simulator keeps real time too.
 */
export function realTime(): void {
	beforeEach(endTime);
}

/** The running test's clock. */
export function clockOfTest(): TestClock {
	const clock = testClock();
	if (!clock) throw new Error('this test runs in real time: it has no TestClock');
	return clock;
}

/** The clock of a process whose host's clock is `offsetMs` off the test's: the same time passing, other stamps. */
export function offsetClock(offsetMs: number): Clock {
	const base = clockOfTest();
	return { now: () => base.now() + offsetMs, sleep: async (ms) => await base.sleep(ms) };
}
