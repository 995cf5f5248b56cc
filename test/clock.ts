import { sleep } from 'n8n-workflow';

import { useClock, type Clock } from '../nodes/shared/clock';

/**
 * A clock that moves instead of waiting: every sleep advances it at once (and yields one turn of the
 * event loop, so that answers on the wire still arrive). Installed for the tests of the enclosing
 * describe block; `now()` starts at the real time, so stamps still look real.
 */
export class MovingClock implements Clock {
	private offset = 0;

	/** Everything the code under test slept for, in all. */
	slept = 0;

	now(): number {
		return Date.now() + this.offset;
	}

	async sleep(ms: number): Promise<void> {
		const step = Math.max(0, ms);
		this.offset += step;
		this.slept += step;
		await sleep(0);
	}

	/** Moves the clock on (a process whose clock jumps, or time passing between runs). */
	advance(ms: number): void {
		this.offset += ms;
	}
}

export function movingClockPerTest(): { clock: MovingClock } {
	const context = {} as { clock: MovingClock };
	beforeEach(() => {
		context.clock = new MovingClock();
		useClock(context.clock);
	});
	afterEach(() => useClock());
	return context;
}
