import { rememberBounded } from './bounded';
import { clock } from './clock';
import type { keysOf, LoginRecord } from './loginRecord';
import { FAILED_LOGIN_HOLD_MS, REFUSALS_HELD_FOR_GOOD } from './policy';
import { ageOf } from './stamps';

/**
 * The refusals of a login that hold it back: ThingSpace locks a username after five failed logins in a row, whatever
 * the passwords. Kept in the Login Record (loginRecord.ts) for every process, and here for this one.
 */

export interface Refusal {
	at: number;
	reason: string;
	/** Refusals of this login in a row. */
	count: number;
	/** Refusals of its username in a row, whatever the password (ThingSpace's lock counts those). */
	userCount: number;
}

/** Fingerprints of a login (host, username, password) and of its username (host, username). */
type RefusalKeys = Pick<ReturnType<typeof keysOf>, 'login' | 'user'>;

/** The refusals this process saw: its own logins', and those it read in the store (a later write can replace them there). */
export const refusedHere = new Map<string, Refusal>();
/** The refusals in a row of each username (host and username fingerprinted) this process saw. */
export const userRefusedHere = new Map<string, number>();

/**
 * A login with these keys succeeded, here or in any process (its session is stored; a refusal empties the session
 * in the store, so it came after this credential's refusals): ThingSpace's count starts over. A worker that only
 * reads sessions would otherwise keep a count for good. Another credential of the username may have been refused
 * after that session: the README asks for one credential per UWS user.
 */
export function loginSucceeded(keys: RefusalKeys): void {
	refusedHere.delete(keys.login);
	userRefusedHere.delete(keys.user);
}

/** A refusal still held, and for how many more milliseconds (Infinity: until the password changes). */
export interface Held extends Refusal {
	leftMs: number;
}

/** The store's refusal of this host, username and password, while its hold lasts (`userSeen`: the username's refusals known here). */
export function storedRefusal(record: LoginRecord, login: string, userSeen = 0): Held | undefined {
	const refused = record.refused;
	if (refused?.login !== login) return undefined;
	const count = countOf(refused.count);
	const userCount = Math.max(count, countOf(refused.userCount), userSeen);
	const { at, reason } = refused;
	return withinHold({ at, reason, count, userCount }, ageOf(`refused ${login}`, at));
}

const countOf = (count: unknown): number =>
	typeof count === 'number' && Number.isFinite(count) && count >= 1 ? Math.floor(count) : 1;

/** The refusals in a row so far of this login and of its username, held or not: from the store (a claim carries them on) or seen here. */
export function refusalsInARow(
	record: LoginRecord,
	keys: RefusalKeys,
): { count: number; userCount: number } {
	const stored = record.refused;
	const count = Math.max(
		stored?.login === keys.login ? countOf(stored.count) : 0,
		refusedHere.get(keys.login)?.count ?? 0,
	);
	// A record written before usernames were counted (no `user`) counts as this username's: more held, never less.
	const sameUser = stored !== undefined && (stored.user ?? keys.user) === keys.user;
	const userCount = Math.max(
		count,
		sameUser ? countOf(stored.userCount ?? stored.count) : 0,
		userRefusedHere.get(keys.user) ?? 0,
	);
	return { count, userCount };
}

/**
 * A refusal of this login within the hold, from the store (then remembered here) or seen by this process before.
 * The username's refusals known here count too, another credential's with the same username as well.
 */
export function heldRefusal(record: LoginRecord, keys: RefusalKeys): Held | undefined {
	const userSeen = refusalsInARow(record, keys).userCount;
	if (userSeen > 0) rememberBounded(userRefusedHere, keys.user, userSeen);
	const stored = storedRefusal(record, keys.login, userSeen);
	if (stored) {
		const at = Number.isFinite(stored.leftMs)
			? clock.now() - (FAILED_LOGIN_HOLD_MS - stored.leftMs)
			: clock.now();
		const { reason, count, userCount } = stored;
		rememberBounded(refusedHere, keys.login, { at, reason, count, userCount });
		return stored;
	}
	const here = refusedHere.get(keys.login);
	if (!here) return undefined;
	return withinHold(
		{ ...here, userCount: Math.max(here.userCount, userSeen) },
		clock.now() - here.at,
	);
}

/** The Login Record's entry of a refusal of these keys. */
export function refusedEntry(
	keys: RefusalKeys,
	{ at, reason, count, userCount }: Refusal,
): NonNullable<LoginRecord['refused']> {
	return { login: keys.login, user: keys.user, at, reason, count, userCount };
}

/** ThingSpace refused this login now (or is taken to have): one more in a row, counted here; the entry for the store. */
export function countRefusal(
	record: LoginRecord,
	keys: RefusalKeys,
	reason: string,
): NonNullable<LoginRecord['refused']> {
	const before = refusalsInARow(record, keys);
	const refusal = {
		at: clock.now(),
		reason,
		count: before.count + 1,
		userCount: before.userCount + 1,
	};
	rememberBounded(refusedHere, keys.login, refusal);
	rememberBounded(userRefusedHere, keys.user, refusal.userCount);
	return refusedEntry(keys, refusal);
}

/** Whether the store holds the refusal of this login (while its hold lasts). */
export const storesRefusal = (record: LoginRecord, login: string): boolean =>
	storedRefusal(record, login) !== undefined;

/** Held for good once the username was refused REFUSALS_HELD_FOR_GOOD times in a row (whatever the password): n8n never adds more. */
function withinHold(refusal: Refusal, ageMs: number): Held | undefined {
	if (refusal.userCount >= REFUSALS_HELD_FOR_GOOD) return { ...refusal, leftMs: Infinity };
	return ageMs < FAILED_LOGIN_HOLD_MS
		? { ...refusal, leftMs: FAILED_LOGIN_HOLD_MS - ageMs }
		: undefined;
}

/** As after a restart. */
export function forgetRefusals(): void {
	refusedHere.clear();
	userRefusedHere.clear();
}
