import { clock } from './clock';
import { RATE_LIMIT } from './policy';

/**
 * What ThingSpace's 429s taught about a credential's rate (pacer.ts spaces the calls by it). ThingSpace publishes
 * no rate (each contract has its own): after a 429, the calls it accepted in the window before are what it allows.
 * - A first 429 (no learned pace) never teaches less than RATE_LIMIT.firstPaceFloor: it may well be someone
 *   else's calls that filled the window, and 10 minutes at 1 call per second would be a crawl.
 * - A 429 at a learned pace lowers it by one at least, to what the window showed: every call of ours that can
 *   have arrived within it. A 429 of a call released before the pace was learned changes nothing: it is the old
 *   pace's (another worker's late start would otherwise lower it to 1 at once); nor does one whose window still
 *   holds such calls. A learned pace is not raised while it lasts.
 * - A pace that ends below the floor (another worker of the cluster took most of the window, or the contract is
 *   that low) lasts only RATE_LIMIT.keepThinPaceMs, then the rate is learned again: once the other worker is done,
 *   this one does not crawl for 10 minutes.
 * - A pace of one call per window that ThingSpace still refused is starved: another worker fills the contract. It
 *   asks once every two windows, and its first call accepted means the other worker made room: the rate is learned
 *   again at once.
 * - A rate learned again (no pace known) within a window of a thin pace's end counts a window that may still hold
 *   the other worker's last calls. Below twice the floor, it is crowded: it lasts only RATE_LIMIT.keepCrowdedPaceMs
 *   (lowered by a 429, still), then is learned once more. Kept 10 minutes, this worker finished alone at half the
 *   contract (the other one's tail was in that window).
 */
export class LearnedPace {
	private learned?: Learned;

	/** When the last thin pace ended (lapsed, or a starved one's call was accepted). */
	private thinEndedAt = -Infinity;

	/** A thin pace ended within the last window: the rate is learned again from a window the other worker may still fill. */
	get afterThin(): boolean {
		return this.now() === undefined && clock.now() - this.thinEndedAt < RATE_LIMIT.windowMs;
	}

	/** Calls per window now; undefined: not known. */
	get rate(): number | undefined {
		return this.now()?.rate;
	}

	/** ThingSpace answered `refused` with 429; `calls`: the recent calls, in release order; `fastestMs`: the fastest recent answer. */
	refused(refused: PacedCall, calls: readonly PacedCall[], fastestMs?: number): void {
		const known = this.now();
		// Every call of ours that can have been in ThingSpace's window: a busy process sends a call well after its release.
		const from = refused.releasedAt - RATE_LIMIT.windowMs;
		const inWindow = calls.filter(
			(call) =>
				call !== refused &&
				call.releasedAt <= refused.releasedAt &&
				latestArrival(call, fastestMs) > from,
		);
		// Sent at the old pace, or with such calls still in its window: the new pace is not what ThingSpace refused.
		if (known && [refused, ...inWindow].some((call) => call.releasedAt < known.at)) return;
		const accepted = inWindow.filter((call) => call.accepted !== false).length;
		const starved = known !== undefined && known.rate <= 1;
		const rate = known
			? Math.max(starved ? RATE_LIMIT.starvedPace : 1, Math.min(known.rate - 1, accepted))
			: Math.max(RATE_LIMIT.firstPaceFloor, accepted);
		const crowded =
			rate < 2 * RATE_LIMIT.firstPaceFloor && (known ? known.crowded : from < this.thinEndedAt);
		this.learned = {
			rate,
			at: clock.now(),
			lifeMs:
				rate < RATE_LIMIT.firstPaceFloor
					? RATE_LIMIT.keepThinPaceMs
					: crowded
						? RATE_LIMIT.keepCrowdedPaceMs
						: RATE_LIMIT.keepLearnedMs,
			starved,
			crowded,
		};
	}

	/** ThingSpace accepted `call`: a starved pace's first accepted call ends it. */
	accepted(call: PacedCall): void {
		const learned = this.now();
		if (learned?.starved && call.releasedAt >= learned.at) {
			this.learned = undefined;
			this.thinEndedAt = clock.now();
		}
	}

	/** The pace while it lasts; undefined: none. */
	private now(): Learned | undefined {
		const learned = this.learned;
		if (learned && stale(learned)) {
			if (learned.rate < RATE_LIMIT.firstPaceFloor) this.thinEndedAt = learned.at + learned.lifeMs;
			this.learned = undefined;
		}
		return this.learned;
	}
}

/**
 * The latest a call can have reached ThingSpace: its release plus what its answer took beyond the fastest
 * (without a fastest, its answer; not answered yet, now).
 */
export function latestArrival(call: PacedCall, fastestMs: number | undefined): number {
	const answeredAt = call.answeredAt ?? clock.now();
	if (fastestMs === undefined) return answeredAt;
	return Math.min(
		answeredAt,
		call.releasedAt + Math.max(0, answeredAt - call.releasedAt - fastestMs),
	);
}

/** A licensing call as the pace sees it: when it was released and answered, and whether ThingSpace accepted it. */
export interface PacedCall {
	releasedAt: number;
	answeredAt?: number;
	accepted?: boolean;
}

/** A rate, when it was learned or stated, and how long it holds. */
export interface Known {
	rate: number;
	at: number;
	lifeMs: number;
}

interface Learned extends Known {
	/** Learned from a 429 at a pace of one call per window. */
	starved: boolean;
	/** Learned right after a thin pace, from a window the other worker's calls may have filled. */
	crowded: boolean;
}

/** A rate is forgotten after a while: a raised contract limit is found again, a rate no run states any more lapses. */
export function stale(known: Known): boolean {
	return clock.now() - known.at > known.lifeMs;
}
