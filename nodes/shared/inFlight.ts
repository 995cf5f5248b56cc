import { IN_FLIGHT, RATE_LIMIT } from './policy';

/**
 * How many of a credential's licensing calls may be in flight (released, not yet answered), by measurement:
 * enough to fill the rate at the answer time ThingSpace shows (rate × answer time, plus one), never more
 * than a probe that grows with each accepted answer while answer times hold (by IN_FLIGHT.firstGrowth until
 * the first 429, then by one), halves on a 429 and steps back when answer times climb; never above
 * IN_FLIGHT.cap. While the rate is unknown, the probe
 * alone decides: it finds what ThingSpace takes, and the first 429 teaches the pace (pacer.ts).
 */
export class InFlightBudget {
	private probe: number = IN_FLIGHT.start;

	/** Since the first 429, the probe grows by one per accepted answer; before, by IN_FLIGHT.firstGrowth. */
	private refusedOnce = false;

	/** How long the last accepted calls took, from release to answer. */
	private readonly answerTimes: number[] = [];

	/** The fastest recent accepted answer; undefined before the first. */
	get fastestMs(): number | undefined {
		return this.answerTimes.length > 0 ? Math.min(...this.answerTimes) : undefined;
	}

	/** The most calls in flight now, for a rate of `rate` calls per window (undefined: not known). */
	limit(rate: number | undefined): number {
		const typical = this.answerTimes.length > 0 ? median(this.answerTimes) : undefined;
		const filling =
			rate === undefined || typical === undefined
				? Infinity
				: Math.ceil((rate * typical) / RATE_LIMIT.windowMs) + 1;
		return Math.max(1, Math.min(IN_FLIGHT.cap, this.probe, filling));
	}

	/** A call's answer: how long it took from its release, and its status (undefined: none came). */
	answered(answerMs: number, status: number | undefined): void {
		if (status === 429) {
			this.refusedOnce = true;
			this.probe = Math.max(1, Math.floor(this.probe / 2));
			return;
		}
		if (status === undefined || status < 200 || status >= 300) return;
		const fastest = this.fastestMs;
		this.answerTimes.push(answerMs);
		if (this.answerTimes.length > IN_FLIGHT.recentAnswers) this.answerTimes.shift();
		const climbing =
			fastest !== undefined && answerMs > IN_FLIGHT.climbFactor * Math.max(fastest, 1);
		this.probe = climbing
			? Math.max(1, this.probe - 1)
			: Math.min(IN_FLIGHT.cap, this.probe + (this.refusedOnce ? 1 : IN_FLIGHT.firstGrowth));
	}
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}
