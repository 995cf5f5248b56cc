import { createHash, randomUUID } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestOptions,
} from 'n8n-workflow';

import { CREDENTIAL_ERROR_PREFIX, ThingSpaceAuthError } from './credentialError';
import { resolveBaseUrl } from './host';
import { LOGIN_CLAIM } from './policy';
import { refusedError } from './refusalErrors';
import { forgetRefusals, storedRefusal } from './refusals';
import { ageOf, forgetStamps } from './stamps';

/**
 * The OAuth token and the VZ-M2M session, and who may log in.
 *
 * n8n calls the credential's preAuthentication for every request whose stored session is empty, in
 * every process of the instance (main and workers), with no lock. Five failed logins lock the
 * ThingSpace account. So the instance logs in once at a time, and a refused password is not sent
 * again for FAILED_LOGIN_HOLD_MS (after REFUSALS_HELD_FOR_GOOD refusals in a row of its username, whatever
 * the passwords: until it changes), also after a restart. Both facts live in the credential's own stored
 * data (its hidden Login Record), which n8n saves after preAuthentication and every process reads from the
 * database: nothing new for users to run.
 *
 * Taking turns is a lease: a process writes its claim, reads the store again after a pause and logs in
 * only if its claim is still there; the others wait for the session it stores. The pause grows with the
 * time the claim's read and write took; a claim that took maxSettleMs or longer (a slow database, a busy
 * process) may have overwritten a claim that already passed its check, so its process does not log in on
 * it. Stamps are the writer's clock: one ahead of this process's, or not a number, counts from when this
 * process first saw it (stamps.ts). Per process, in memory: one login at a time per credential (whatever the
 * number of items), the sessions ThingSpace refused here, and the refusals seen here (refusals.ts; the Test
 * button tests the form's data, which may lack the record).
 */

/** The credential's Login Record (hidden field `loginRecord`, JSON). */
export interface LoginRecord {
	/** A process about to log in; the others wait for its session. */
	claim?: { by: string; at: number };
	/**
	 * A refused login (`login` fingerprints host, username and password): not repeated within the hold. `count`:
	 * refusals of this password in a row (1 when absent); `userCount`: of this username (`user`), whatever the password.
	 */
	refused?: {
		login: string;
		at: number;
		reason: string;
		count?: number;
		user?: string;
		userCount?: number;
	};
	/** The login of `by` failed for another reason; only that process reports it, the others may try. */
	failed?: { by: string; message: string; description: string };
	/** Set only on the way in by ensureSession: this preAuthentication writes a claim, logs in, or stores the login's outcome. */
	step?: 'claim' | 'login' | 'save';
}

/** This process, as named in a claim. A restart is another process. */
export const thisProcess = { id: randomUUID() };

/** Marks ensureSession's own calls to n8n's authenticated helper: they only write the store and are never sent. */
export const LOGIN_STEP_HEADER = 'x-n8n-thingspace-login-step';
export const STEP_SAVED = 'login record saved';
export const LOGIN_BUSY = 'another n8n process is logging in to ThingSpace';

function fingerprint(...parts: unknown[]): string {
	return createHash('sha256').update(parts.map(String).join('\u0000')).digest('hex');
}

export function keysOf(credentials: ICredentialDataDecryptedObject) {
	const baseUrl = resolveBaseUrl(credentials);
	const login = fingerprint(baseUrl, credentials.username, credentials.password);
	const user = fingerprint(baseUrl, credentials.username);
	return {
		baseUrl,
		login,
		user,
		full: fingerprint(login, credentials.appKey, credentials.appSecret),
	};
}

/** Whom the stored tokens were issued to (kept as `loginHost`): the host, and a fingerprint of all four secrets. */
export function tokenOwner(credentials: ICredentialDataDecryptedObject): string {
	const keys = keysOf(credentials);
	return `${keys.baseUrl} ${keys.full}`;
}

/**
 * The stored tokens were issued to this credential as it is now. A changed Base URL, app key or secret, username
 * or password needs a fresh login: the old session is another user's, or on another host.
 */
export function tokensBelongHere(credentials: ICredentialDataDecryptedObject): boolean {
	try {
		return credentials.loginHost === tokenOwner(credentials);
	} catch {
		return false;
	}
}

/** As after an n8n restart: a new process, nothing in memory. */
export function forgetLoginRecords(): void {
	thisProcess.id = randomUUID();
	forgetRefusals();
	forgetStamps();
}

export function loginRecordOf(credentials: ICredentialDataDecryptedObject): LoginRecord {
	try {
		const record = JSON.parse(String(credentials.loginRecord || '{}')) as unknown;
		return record && typeof record === 'object' ? (record as LoginRecord) : {};
	} catch {
		return {};
	}
}

export function liveClaim(record: LoginRecord) {
	const claim = record.claim;
	return claim && ageOf(`claim ${String(claim.by)}`, claim.at) < LOGIN_CLAIM.leaseMs
		? claim
		: undefined;
}

/** What the credential stores besides a session: the tokens emptied, and the record. */
export function storeRecord(record: LoginRecord): IDataObject {
	return { sessionToken: '', accessToken: '', loginHost: '', loginRecord: JSON.stringify(record) };
}

/**
 * The credential's authenticate calls this first: a refusal that preAuthentication just stored is this
 * request's error, and ensureSession's store writes end here, before anything is sent.
 */
export function checkLoginRecord(
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
): void {
	const record = loginRecordOf(credentials);
	const refusal = record.refused && storedRefusal(record, keysOf(credentials).login);
	if (refusal) throw refusedError(refusal);
	if (requestOptions.headers?.[LOGIN_STEP_HEADER] === undefined) return;
	if (record.failed?.by === thisProcess.id)
		throw new ThingSpaceAuthError(record.failed.message, record.failed.description);
	throw new ThingSpaceAuthError(STEP_SAVED, '');
}

/** A preAuthentication that found another process logging in: send again once ensureSession has the session. */
export function isLoginBusy(message: string | undefined): boolean {
	return message === CREDENTIAL_ERROR_PREFIX + LOGIN_BUSY;
}
