import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestHelper } from 'n8n-workflow';

import { rememberBounded } from './bounded';
import { clock } from './clock';
import { CREDENTIAL_ERROR_PREFIX, ThingSpaceAuthError } from './credentialError';
import { logIn, LoginRefused, oauthToken, type ThingSpaceTokens } from './login';
import {
	keysOf,
	liveClaim,
	LOGIN_BUSY,
	loginRecordOf,
	storeRecord,
	thisProcess,
	type LoginRecord,
} from './loginRecord';
import { countRefusal, heldRefusal, loginSucceeded, refusedEntry } from './refusals';
import { notAttempted } from './refusalErrors';
import { LOGIN_CLAIM } from './policy';

/** One login at a time per credential in this process, whatever the number of items. */
const loggingIn = new Map<string, SharedLogin>();

/** A login and what its callers read: whether any of them found a stored refusal of its password. */
interface SharedLogin {
	outcome: Promise<LoginOutcome>;
	storeHolds: boolean;
}
/** What a login step of this process got (by the credential fingerprint it logged in with), until its save step stores it. */
const outcomes = new Map<string, IDataObject>();

/**
 * The OAuth tokens this process asked for as it wrote a claim (by credential fingerprint), for the login that
 * follows the claim's pause: the token call takes that pause instead of following it. It is app key and
 * secret only, which no lock counts; the password goes out only after the pause.
 */
const earlyTokens = new Map<string, { at: number; token: Promise<string> }>();

/** A login of this process with these credentials (fingerprint) whose outcome is yet to be stored. */
export const hasOutcome = (full: string): boolean => outcomes.has(full);

/** As after an n8n restart. */
export function forgetLogins(): void {
	loggingIn.clear();
	outcomes.clear();
	earlyTokens.clear();
}

/**
 * The credential's preAuthentication. n8n persists what it returns (the session, or the record) for
 * every process. Without a step (the Test button, or a request that found no session) it logs in
 * unless a login is claimed (by any process, this one too).
 */
export async function preAuthenticate(
	helpers: IHttpRequestHelper['helpers'],
	credentials: ICredentialDataDecryptedObject,
): Promise<IDataObject> {
	const keys = keysOf(credentials);
	const record = loginRecordOf(credentials);
	if (record.step === 'save') return savedOutcome(keys);
	const refusal = heldRefusal(record, keys);
	if (refusal) throw notAttempted(refusal);
	if (record.step === 'claim') {
		const token = oauthToken(helpers, keys.baseUrl, credentials);
		// A claim that loses never reads it: its failure is the login's to report, if one follows.
		token.catch(() => undefined);
		rememberBounded(earlyTokens, keys.full, { at: clock.now(), token });
		// An earlier refusal whose hold ended stays beside the claim: the next refusal counts as one more in a row.
		const { refused } = record;
		return storeRecord({
			claim: { by: thisProcess.id, at: clock.now() },
			...(refused && { refused }),
		});
	}
	const claim = liveClaim(record);
	// A live claim, this process's own too: a request that found the session emptied by that claim waits for
	// the claim's login (the client asks the lease again) instead of logging in beside it, uncounted.
	if (record.step !== 'login' && claim) {
		throw new ThingSpaceAuthError(
			LOGIN_BUSY,
			'n8n waits for its session; if this persists, run the node again.',
		);
	}
	let shared = loggingIn.get(keys.full);
	if (!shared) {
		const login = { storeHolds: false } as SharedLogin;
		// Judged once for every caller that shares this login: a refusal counts once.
		login.outcome = logIn(helpers, keys.baseUrl, credentials, earlyToken(keys.full))
			.then(
				(tokens): LoginOutcome => {
					loginSucceeded(keys);
					return { tokens };
				},
				(error: ThingSpaceAuthError) => judged(error, record, keys, login.storeHolds),
			)
			.finally(() => loggingIn.delete(keys.full));
		shared = login;
		rememberBounded(loggingIn, keys.full, shared);
	}
	shared.storeHolds ||= record.refused?.login === keys.login;
	const outcome = shared.outcome.then((result): IDataObject => {
		if ('tokens' in result) return { ...result.tokens, loginRecord: '' };
		if ('refused' in result) return storeRecord({ refused: result.refused });
		const { error } = result;
		if (record.step !== 'login') throw error;
		// Release the claim at once (the others need not wait for its lease); only this process reports why.
		const message = error.message.slice(CREDENTIAL_ERROR_PREFIX.length);
		// The refusals in a row stay: this failure does not end ThingSpace's count (a login without an answer may add to it).
		const { refused } = record;
		return storeRecord({
			failed: { by: thisProcess.id, message, description: error.description },
			...(refused && { refused }),
		});
	});
	if (record.step !== 'login' || !claim) return await outcome;
	// n8n 1.x stores all the data a preAuthentication was given, read before a login that may take seconds: a
	// password fixed meanwhile would be overwritten. So the login step stores nothing (no session key), and
	// the save step stores its outcome with the data read just before.
	rememberBounded(outcomes, keys.full, await outcome);
	return {};
}

type LoginOutcome =
	| { tokens: ThingSpaceTokens }
	| { refused: NonNullable<LoginRecord['refused']> }
	| { error: ThingSpaceAuthError };

/**
 * A failed login: ThingSpace's refusal, counted here; or, for the repeat of a password the store holds a refusal
 * of, any outcome once the password went out (no answer, a 5xx, a proxy's page), which ThingSpace may have counted
 * too. Anything else says nothing about the password.
 */
function judged(
	error: ThingSpaceAuthError,
	record: LoginRecord,
	keys: ReturnType<typeof keysOf>,
	storeHolds: boolean,
): LoginOutcome {
	const repeat = storeHolds && error.passwordSent;
	if (!(error instanceof LoginRefused) && !repeat) return { error };
	const reason =
		error instanceof LoginRefused
			? error.reason
			: `counted as refused: the repeat of a refused password got no clear answer, ${error.message.slice(CREDENTIAL_ERROR_PREFIX.length)}`;
	return { refused: countRefusal(record, keys, reason) };
}

/** The token asked for with this process's claim, once, while the claim can still be live. */
function earlyToken(full: string): Promise<string> | undefined {
	const early = earlyTokens.get(full);
	earlyTokens.delete(full);
	return early && clock.now() - early.at < LOGIN_CLAIM.leaseMs ? early.token : undefined;
}

/**
 * The save step: the outcome of this process's login with these credentials, or else a refusal of them this
 * process holds (put back, see refusalWatch.ts); nothing when they changed since (then it logs in again).
 */
function savedOutcome(keys: ReturnType<typeof keysOf>): IDataObject {
	const outcome = outcomes.get(keys.full);
	outcomes.delete(keys.full);
	if (outcome) return outcome;
	const held = heldRefusal({}, keys);
	return held ? storeRecord({ refused: refusedEntry(keys, held) }) : {};
}
