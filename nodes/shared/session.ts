import { createHash, randomUUID } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
} from 'n8n-workflow';
import { clock } from './clock';

import { CREDENTIAL_ERROR_PREFIX, resolveBaseUrl, ThingSpaceAuthError, tokensBelongHere } from './host';
import { logIn, LoginRefused, type ThingSpaceTokens } from './login';
import { CREDENTIAL_TYPE, FAILED_LOGIN_HOLD_MS, LOGIN_CLAIM, MAX_LOGINS_PER_RUN, PATHS } from './policy';

/**
 * The OAuth token and the VZ-M2M session, and who may log in.
 *
 * n8n calls the credential's preAuthentication for every request whose stored session is empty, in
 * every process of the instance (main and workers), with no lock. Five failed logins lock the
 * ThingSpace account. So the instance logs in once at a time, and a refused password is not sent
 * again for FAILED_LOGIN_HOLD_MS, also after a restart. Both facts live in the credential's own stored
 * data (its hidden Login Record), which n8n saves after preAuthentication and every process reads
 * from the database: nothing new for users to run.
 *
 * Taking turns is a lease: a process writes its claim, reads the store again after a pause and logs in
 * only if its claim is still there; the others wait for the session it stores. The pause grows with the
 * time the claim's read and write took; a claim that took maxSettleMs or longer (a slow database, a busy
 * process) may have overwritten a claim that already passed its check, so its process does not log in on
 * it. Stamps are the writer's clock: one ahead of this process's, or not a number, counts from when this
 * process first saw it. Per process, in memory: one login at a time per credential (whatever the number
 * of items), the sessions ThingSpace refused here, and the refusals seen here (the Test button tests the
 * form's data, which may lack the record).
 */

/** The credential's Login Record (hidden field `loginRecord`, JSON). */
export interface LoginRecord {
	/** A process about to log in; the others wait for its session. */
	claim?: { by: string; at: number };
	/** A refused login (`login` fingerprints host, username and password): not repeated within the hold. */
	refused?: { login: string; at: number; reason: string };
	/** The login of `by` failed for another reason; only that process reports it, the others may try. */
	failed?: { by: string; message: string; description: string };
	/** Set only on the way in by ensureSession: this preAuthentication writes a claim, logs in, or stores the login's outcome. */
	step?: 'claim' | 'login' | 'save';
}

interface Refusal {
	at: number;
	reason: string;
}

/** This process, as named in a claim. A restart is another process. */
let processId = randomUUID();

const MAX_ENTRIES = 1000;
const refusedHere = new Map<string, Refusal>();
const loggingIn = new Map<string, Promise<ThingSpaceTokens>>();
const ensuring = new Map<string, Promise<string>>();
const rejectedHere = new Set<string>();
/** When this process first saw each stamp of the store, by its own clock. */
const firstSeen = new Map<string, number>();
/** What a login step of this process got (by the credential fingerprint it logged in with), until its save step stores it. */
const outcomes = new Map<string, IDataObject>();

/** Marks ensureSession's own calls to n8n's authenticated helper: they only write the store and are never sent. */
const LOGIN_STEP_HEADER = 'x-n8n-thingspace-login-step';
const STEP_SAVED = 'login record saved';
const LOGIN_BUSY = 'another n8n process is logging in to ThingSpace';

function fingerprint(...parts: unknown[]): string {
	return createHash('sha256').update(parts.map(String).join('\u0000')).digest('hex');
}

function keysOf(credentials: ICredentialDataDecryptedObject) {
	const baseUrl = resolveBaseUrl(credentials);
	const login = fingerprint(baseUrl, credentials.username, credentials.password);
	return { baseUrl, login, full: fingerprint(login, credentials.appKey, credentials.appSecret) };
}

function remember<T>(map: Map<string, T> | Set<string>, key: string, value?: T): void {
	if (map instanceof Set) map.add(key);
	else map.set(key, value as T);
	if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value as string);
}

/** As after an n8n restart: a new process, nothing in memory (tests; the store keeps what it holds). */
export function resetSessionCache(): void {
	processId = randomUUID();
	for (const map of [refusedHere, loggingIn, ensuring, rejectedHere, firstSeen, outcomes]) map.clear();
}

export function loginRecordOf(credentials: ICredentialDataDecryptedObject): LoginRecord {
	try {
		const record = JSON.parse(String(credentials.loginRecord || '{}')) as unknown;
		return record && typeof record === 'object' ? (record as LoginRecord) : {};
	} catch {
		return {};
	}
}

/**
 * How long ago a stamp of the store was written, by this process's clock. A stamp ahead of this clock
 * (another host's clock runs ahead) or not a finite number counts as written when this process first saw
 * it, so it lasts its stated time from then and never longer; a past stamp is taken as it is.
 */
function ageOf(what: string, stamp: unknown): number {
	const now = clock.now();
	const key = `${what}\u0000${typeof stamp}:${String(stamp)}`;
	let seen = firstSeen.get(key);
	if (seen === undefined) {
		seen = typeof stamp === 'number' && Number.isFinite(stamp) ? Math.min(stamp, now) : now;
		remember(firstSeen, key, seen);
	}
	return now - seen;
}

/** A refusal still held, and for how many more milliseconds. */
interface Held extends Refusal {
	leftMs: number;
}

/** The store's refusal of this host, username and password, while its hold lasts. */
function storedRefusal(record: LoginRecord, login: string): Held | undefined {
	const refused = record.refused;
	if (refused?.login !== login) return undefined;
	return withinHold(refused, ageOf(`refused ${login}`, refused.at));
}

/** A refusal within the hold, from the store or seen by this process. */
function heldRefusal(record: LoginRecord, login: string): Held | undefined {
	const here = refusedHere.get(login);
	return storedRefusal(record, login) ?? (here && withinHold(here, clock.now() - here.at));
}

function withinHold(refusal: Refusal, ageMs: number): Held | undefined {
	return ageMs < FAILED_LOGIN_HOLD_MS ? { ...refusal, leftMs: FAILED_LOGIN_HOLD_MS - ageMs } : undefined;
}

function liveClaim(record: LoginRecord) {
	const claim = record.claim;
	return claim && ageOf(`claim ${String(claim.by)}`, claim.at) < LOGIN_CLAIM.leaseMs ? claim : undefined;
}

const refusedError = (refusal: Refusal) =>
	new ThingSpaceAuthError(
		`the Connectivity Management login refused the UWS username or password (${refusal.reason})`,
		`The app key and secret were accepted. Check the UWS Username and UWS Password in the ThingSpace API credential. Five failed logins lock the account, so no process of this n8n repeats a refused login with the same password for ${FAILED_LOGIN_HOLD_MS / 60000} minutes.`,
	);

function notAttempted(refusal: Held): ThingSpaceAuthError {
	const minutes = Math.ceil(refusal.leftMs / 60000);
	return new ThingSpaceAuthError(
		`login not attempted: the last login with this UWS username and password was refused (${refusal.reason}), and repeating it could lock the account`,
		`Five failed logins lock the ThingSpace account, so no process of this n8n sends this password again for ${minutes} more minute(s), also after a restart. Fix the UWS Username or UWS Password in the ThingSpace API credential; a changed password is tried at once.`,
	);
}

/** What the credential stores besides a session: the tokens emptied, and the record. */
function storeRecord(record: LoginRecord): IDataObject {
	return { sessionToken: '', accessToken: '', loginHost: '', loginRecord: JSON.stringify(record) };
}

/**
 * The credential's preAuthentication. n8n persists what it returns (the session, or the record) for
 * every process. Without a step (the Test button, or a request that found no session) it logs in
 * unless another process is doing so.
 */
export async function preAuthenticate(
	helpers: IHttpRequestHelper['helpers'],
	credentials: ICredentialDataDecryptedObject,
): Promise<IDataObject> {
	const keys = keysOf(credentials);
	const record = loginRecordOf(credentials);
	if (record.step === 'save') return savedOutcome(keys.full);
	const refusal = heldRefusal(record, keys.login);
	if (refusal) throw notAttempted(refusal);
	if (record.step === 'claim') return storeRecord({ claim: { by: processId, at: clock.now() } });
	const claim = liveClaim(record);
	if (record.step !== 'login' && claim && claim.by !== processId) {
		throw new ThingSpaceAuthError(LOGIN_BUSY, 'n8n waits for its session; if this persists, run the node again.');
	}
	let pending = loggingIn.get(keys.full);
	if (!pending) {
		pending = logIn(helpers, keys.baseUrl, credentials).finally(() => loggingIn.delete(keys.full));
		remember(loggingIn, keys.full, pending);
	}
	const outcome = pending.then(
		(tokens): IDataObject => ({ ...tokens, loginRecord: '' }),
		(error: ThingSpaceAuthError) => {
			if (error instanceof LoginRefused) {
				const refused = { login: keys.login, at: clock.now(), reason: error.reason };
				remember(refusedHere, keys.login, refused);
				return storeRecord({ refused });
			}
			if (record.step !== 'login') throw error;
			// Release the claim at once (the others need not wait for its lease); only this process reports why.
			const message = error.message.slice(CREDENTIAL_ERROR_PREFIX.length);
			return storeRecord({ failed: { by: processId, message, description: error.description } });
		},
	);
	if (record.step !== 'login' || !claim) return await outcome;
	// n8n 1.x stores all the data a preAuthentication was given, read before a login that may take seconds: a
	// password fixed meanwhile would be overwritten. So the login step stores nothing (no session key), and
	// the save step stores its outcome with the data read just before.
	remember(outcomes, keys.full, await outcome);
	return {};
}

/** The save step: the outcome of the login with these credentials; nothing when they changed since (then it logs in again). */
function savedOutcome(full: string): IDataObject {
	const outcome = outcomes.get(full) ?? {};
	outcomes.delete(full);
	return outcome;
}

/**
 * The credential's authenticate calls this first: a refusal that preAuthentication just stored is this
 * request's error, and ensureSession's store writes end here, before anything is sent.
 */
export function checkLoginRecord(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): void {
	const record = loginRecordOf(credentials);
	const refusal = record.refused && storedRefusal(record, keysOf(credentials).login);
	if (refusal) throw refusedError(refusal);
	if (requestOptions.headers?.[LOGIN_STEP_HEADER] === undefined) return;
	if (record.failed?.by === processId) throw new ThingSpaceAuthError(record.failed.message, record.failed.description);
	throw new ThingSpaceAuthError(STEP_SAVED, '');
}

/** A preAuthentication that found another process logging in: send again once ensureSession has the session. */
export function isLoginBusy(message: string | undefined): boolean {
	return message === CREDENTIAL_ERROR_PREFIX + LOGIN_BUSY;
}

/** What ensureSession needs of a node's or trigger's context. */
export interface SessionContext {
	getCredentials<T extends object = ICredentialDataDecryptedObject>(type: string): Promise<T>;
	getNode(): INode;
	helpers: {
		httpRequestWithAuthentication(this: unknown, type: string, options: IHttpRequestOptions, additional?: IDataObject): Promise<unknown>;
	};
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

/**
 * Makes sure the credential's store holds a session for its host that ThingSpace has not refused here
 * (`rejected`, the session a call just had refused), logging in when needed and the run's budget allows;
 * returns that session.
 */
export async function ensureSession(context: SessionContext, logins: LoginBudget, rejected = ''): Promise<string> {
	if (rejected) remember(rejectedHere, rejected);
	const id = context.getNode().credentials?.[CREDENTIAL_TYPE]?.id ?? '';
	// A run with no login left never waits on, nor stands in for, one that may log in.
	const key = `${id}\u0000${logins.used < MAX_LOGINS_PER_RUN}`;
	for (let round = 1; ; round++) {
		let running = ensuring.get(key);
		if (!running) {
			running = sessionOfInstance(context, logins).finally(() => ensuring.delete(key));
			remember(ensuring, key, running);
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

async function sessionOfInstance(context: SessionContext, logins: LoginBudget): Promise<string> {
	const giveUpAt = clock.now() + 2 * LOGIN_CLAIM.leaseMs;
	/** This call's claim: when its write ended and how long it must last, by this process's clock. */
	let mine: { wroteAt: number; settleMs: number; late: boolean } | undefined;
	/** The credentials (fingerprint) this call logged in with. */
	let loggedInAs: string | undefined;
	for (;;) {
		const readAt = clock.now();
		const credentials = await context.getCredentials(CREDENTIAL_TYPE);
		const keys = keysOf(credentials);
		// This call's login is over: its outcome, a refusal too, is stored before anything else, for every process
		// (also when a late claim replaced this call's meanwhile).
		if (loggedInAs === keys.full && outcomes.has(keys.full)) {
			await storeStep(context, credentials, 'save');
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
			return session;
		}
		if (loggedIn) throw new ThingSpaceAuthError('the login stored no session', 'Nothing was sent. Run the node again; if it persists, report it to the node maintainers.');
		const refusal = heldRefusal(record, keys.login);
		if (refusal) throw notAttempted(refusal);
		if (claim?.by === processId && mine && !mine.late) {
			const wait = mine.wroteAt + mine.settleMs - clock.now();
			if (wait > 0) await clock.sleep(wait);
			else {
				loggedInAs = keys.full;
				logins.used++;
				await storeStep(context, credentials, 'login');
			}
		} else if (claim) {
			// Another process's claim, or this call's own claim written late: wait for its session or refusal, or its lease.
			if (clock.now() > giveUpAt) {
				throw new ThingSpaceAuthError(`${LOGIN_BUSY}, and it did not finish`, 'Nothing was sent. Run the node again; if it persists, restart the n8n workers.');
			}
			await clock.sleep(LOGIN_CLAIM.pollMs);
		} else {
			if (logins.used >= MAX_LOGINS_PER_RUN) throw new NoLoginLeft(logins.used);
			await storeStep(context, credentials, 'claim');
			// A claim that landed between this read and this write is checked by its process at least minSettleMs
			// (20 times its own window) after it landed: usually after this write, so that process sees this claim
			// and stands back. The slower this write, the longer this claim waits before its check (20 times the
			// window), so a login the other process started meanwhile has stored its result by then. A write that
			// took maxSettleMs or more may have replaced a claim checked long ago: it never leads to a login, and
			// stands in for that claim until a session or refusal appears, or for a lease.
			const wroteAt = clock.now();
			const window = wroteAt - readAt;
			const settleMs = Math.min(LOGIN_CLAIM.maxSettleMs, Math.max(LOGIN_CLAIM.minSettleMs, 20 * window));
			mine = { wroteAt, settleMs, late: window >= LOGIN_CLAIM.maxSettleMs };
		}
	}
}

/** Has n8n run the credential's preAuthentication with this step, and store what it returns; nothing is sent. */
async function storeStep(context: SessionContext, credentials: ICredentialDataDecryptedObject, step: LoginRecord['step']): Promise<void> {
	const reference = context.getNode().credentials?.[CREDENTIAL_TYPE];
	const data = { ...credentials, sessionToken: '', loginRecord: JSON.stringify({ ...loginRecordOf(credentials), step }) };
	const stored = await context.helpers.httpRequestWithAuthentication
		.call(
			context,
			CREDENTIAL_TYPE,
			{ method: 'POST', url: `${resolveBaseUrl(credentials)}${PATHS.login}`, headers: { [LOGIN_STEP_HEADER]: step }, disableFollowRedirect: true },
			{ credentialsDecrypted: { id: reference?.id ?? '', name: reference?.name ?? '', type: CREDENTIAL_TYPE, data } },
		)
		.then(
			() => false,
			(error: Error) => {
				if (error.message === CREDENTIAL_ERROR_PREFIX + STEP_SAVED) return true;
				throw error;
			},
		);
	if (!stored) throw new ThingSpaceAuthError('the login step was sent instead of stored', 'Report this to the node maintainers.');
}
