import { sleep } from 'n8n-workflow';

import type { Clock } from '../nodes/shared/clock';

/**
 * A clock a test moves (useClock). Its time starts where the test says and moves only when the code
 * sleeps or the test advances it; a sleep of `ms` takes ms/speed of real time, so a lease or a deadline
 * of many seconds passes in milliseconds while the loopback calls still get real time to answer.
 */
export class FakeClock implements Clock {
	private at: number;

	constructor(
		start = Date.now(),
		private readonly speed = 50,
	) {
		this.at = start;
	}

	now(): number {
		return this.at;
	}

	async sleep(ms: number): Promise<void> {
		const step = Math.max(0, ms);
		const wake = this.at + step;
		await sleep(step / this.speed);
		// Sleeps that overlap do not add up.
		this.at = Math.max(this.at, wake);
	}

	advance(ms: number): void {
		this.at += ms;
	}
}
