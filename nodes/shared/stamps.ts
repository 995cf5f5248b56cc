import { rememberBounded } from './bounded';
import { clock } from './clock';

/** When this process first saw each stamp of the store, by its own clock. */
const firstSeen = new Map<string, number>();

/**
 * How long ago a stamp of the store was written, by this process's clock. A stamp ahead of this clock
 * (another host's clock runs ahead) or not a finite number counts as written when this process first saw
 * it, so it lasts its stated time from then and never longer; a past stamp is taken as it is.
 */
export function ageOf(what: string, stamp: unknown): number {
	const now = clock.now();
	const key = `${what}\u0000${typeof stamp}:${String(stamp)}`;
	let seen = firstSeen.get(key);
	if (seen === undefined) {
		seen = typeof stamp === 'number' && Number.isFinite(stamp) ? Math.min(stamp, now) : now;
		rememberBounded(firstSeen, key, seen);
	}
	return now - seen;
}

/** As after a restart. */
export function forgetStamps(): void {
	firstSeen.clear();
}
