import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { rememberBounded } from './bounded';
import { clock } from './clock';
import { ThingSpaceAuthError } from './credentialError';
import { credentialStore, type LeaseStore, type SessionContext } from './credentialStore';
import {
	forgetLoginRecords,
	keysOf,
	liveClaim,
	LOGIN_BUSY,
	loginRecordOf,
	thisProcess,
	tokensBelongHere,
} from './loginRecord';
import { heldRefusal, loginSucceeded } from './refusals';
import { notAttempted } from './refusalErrors';
import { CREDENTIAL_TYPE, LOGIN_CLAIM, MAX_LOGINS_PER_RUN } from './policy';
import { forgetLogins, hasOutcome } from './preAuthentication';
import { restoreRefusal, watchRefusal } from './refusalWatch';

/**
 * The node's and trigger's side of the session: a session in the credential's store that ThingSpace has
 * not refused here, taking turns to log in with every process of the instance (loginRecord.ts says how).
 */

const ensuring = new Map<string, Promise<string>>();
/** The sessions ThingSpace refused here. */
const rejectedHere = new Set<string>();
/** The access token stored beside each session handed out: errors stay free of both, also once a login replaced them. */
const tokenBeside = new Map<string, string>();

/** The access token that was stored with `session`. */
export const accessTokenBeside = (session: string): string | undefined => tokenBeside.get(session);

/** As after an n8n restart: a new process, nothing in memory (tests; the store keeps what it holds). */
export function resetSessionCache(): void {
	forgetLoginRecords();
	forgetLogins();
	ensuring.clear();
	rejectedHere.clear();
	tokenBeside.clear();
}

/** The logins a node run has started (client.ts keeps one per run); ensureSession starts none beyond MAX_LOGINS_PER_RUN. */
export interface LoginBudget {
	used: number;
}

/** The run has logged in MAX_LOGINS_PER_RUN times and would need another login. */
export class NoLoginLeft extends ThingSpaceAuthError {
	constructor(readonly used: number) {
		super(
			`login not attempted: this run has already logged in ${used} times, the most one run may`,
			'Nothing more was sent. Run the node again; if every run ends like this, check the ThingSpace API credential.',
		);
	}
}

/** Every read of the store took maxSettleMs or more until the lease gave up: this process never took a turn. */
const storeTooSlow = (readMs: number) =>
	new ThingSpaceAuthError(
		`login not attempted: n8n's credential store answered too slowly (a read took ${Math.round(readMs)} ms) to take a turn to log in`,
		`Nothing was sent. A process logs in only after reading the credential in under ${LOGIN_CLAIM.maxSettleMs / 1000} s, so that no two log in at once. Check the load of n8n's database and of this n8n process, then run the node again.`,
	);

/**
 * Makes sure the credential's store holds a session for its host that ThingSpace has not refused here
 * (`rejected`, the session a call just had refused), logging in when needed and the run's budget allows;
 * returns that session.
 */
export async function ensureSession(
	context: SessionContext,
	logins: LoginBudget,
	rejected = '',
): Promise<string> {
	if (rejected) rememberBounded(rejectedHere, rejected);
	const id = context.getNode().credentials?.[CREDENTIAL_TYPE]?.id ?? '';
	// A run with no login left never waits on, nor stands in for, one that may log in.
	const key = `${id}\u0000${logins.used < MAX_LOGINS_PER_RUN}`;
	for (let round = 1; ; round++) {
		let running = ensuring.get(key);
		if (!running) {
			running = leaseSession(credentialStore(context), logins).finally(() => ensuring.delete(key));
			rememberBounded(ensuring, key, running);
		}
		const session = await running;
		// A caller that joined late may have seen this very session refused: then once more.
		if (!rejectedHere.has(session) || round === 2) return session;
	}
}

function storedSession(credentials: ICredentialDataDecryptedObject): string | undefined {
	const session = String(credentials.sessionToken ?? '');
	return session && tokensBelongHere(credentials) ? session : undefined;
}

/** The lease: a session from the store, or this process's turn to log in, or another's login waited for. */
export async function leaseSession(store: LeaseStore, logins: LoginBudget): Promise<string> {
	const giveUpAt = clock.now() + 2 * LOGIN_CLAIM.leaseMs;
	/** This call's claim: when its write ended and how long it must last, by this process's clock. */
	let mine: { wroteAt: number; settleMs: number; late: boolean } | undefined;
	/** The credentials (fingerprint) this call logged in with. */
	let loggedInAs: string | undefined;
	for (;;) {
		const readAt = clock.now();
		const credentials = await store.read();
		const keys = keysOf(credentials);
		// This call's login is over: its outcome, a refusal too, is stored before anything else, for every process
		// (also when a late claim replaced this call's meanwhile).
		if (loggedInAs === keys.full && hasOutcome(keys.full)) {
			// A refusal is reported once no claim written from an older read can replace it unseen.
			await store.store(credentials, 'save').catch(async (error: Error) => {
				if (heldRefusal({}, keys)) await watchRefusal(store, keys.login);
				throw error;
			});
			continue;
		}
		// Credentials changed in the editor since this call's login (a password fixed): that login is void.
		if (loggedInAs !== keys.full) loggedInAs = undefined;
		const loggedIn = loggedInAs !== undefined;
		const record = loginRecordOf(credentials);
		const claim = liveClaim(record);
		const session = storedSession(credentials);
		// The session of this call's own login is ThingSpace's latest word, even one it refused before: it is
		// used, and if refused again the request ends; it never starts another login here.
		if (session && (loggedIn || !rejectedHere.has(session))) {
			rejectedHere.delete(session);
			loginSucceeded(keys);
			rememberBounded(tokenBeside, session, String(credentials.accessToken ?? ''));
			return session;
		}
		if (loggedIn)
			throw new ThingSpaceAuthError(
				'the login stored no session',
				'Nothing was sent. Run the node again; if it persists, report it to the node maintainers.',
			);
		const refusal = heldRefusal(record, keys);
		if (refusal) {
			await restoreRefusal(store, credentials);
			throw notAttempted(refusal);
		}
		if (claim?.by === thisProcess.id && mine && !mine.late) {
			const wait = mine.wroteAt + mine.settleMs - clock.now();
			if (wait > 0) await clock.sleep(wait);
			else {
				loggedInAs = keys.full;
				logins.used++;
				await store.store(credentials, 'login');
			}
		} else if (claim) {
			// Another process's claim, or this call's own claim written late: wait for its session or refusal, or its lease.
			if (clock.now() > giveUpAt) {
				throw new ThingSpaceAuthError(
					`${LOGIN_BUSY}, and it did not finish`,
					'Nothing was sent. Run the node again; if it persists, restart the n8n workers.',
				);
			}
			await clock.sleep(LOGIN_CLAIM.pollMs);
		} else {
			if (logins.used >= MAX_LOGINS_PER_RUN) throw new NoLoginLeft(logins.used);
			// A claim from a read that took maxSettleMs would be late, and could replace what was stored meanwhile: read again.
			if (clock.now() - readAt >= LOGIN_CLAIM.maxSettleMs) {
				if (clock.now() > giveUpAt) throw storeTooSlow(clock.now() - readAt);
				continue;
			}
			await store.store(credentials, 'claim');
			// A claim that landed between this read and this write is checked by its process at least minSettleMs
			// after it landed: after this write, so that process sees this claim and stands back, unless this read and
			// write took longer than minSettleMs. Such a claim pauses maxSettleMs: a login the other process started
			// meanwhile has stored its result by then. A write that took maxSettleMs or more may have replaced a claim
			// checked long ago: it never leads to a login, and stands in for that claim until a session or refusal
			// appears, or for a lease.
			const wroteAt = clock.now();
			const window = wroteAt - readAt;
			const settleMs =
				window < LOGIN_CLAIM.minSettleMs ? LOGIN_CLAIM.minSettleMs : LOGIN_CLAIM.maxSettleMs;
			mine = { wroteAt, settleMs, late: window >= LOGIN_CLAIM.maxSettleMs };
		}
	}
}
