import { createHash } from 'crypto';
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestHelper, IHttpRequestOptions } from 'n8n-workflow';

import { redirectTarget, resolveBaseUrl, ThingSpaceAuthError } from './host';
import { FAILED_LOGIN_HOLD_MS, LOGIN_TIMEOUT_MS, PATHS, SHARE_FRESH_SESSION_MS } from './policy';
import { asObject, explainFault, redact } from './text';

/**
 * The OAuth token and the VZ-M2M session, obtained by the credential's preAuthentication.
 *
 * n8n calls preAuthentication once per request whose stored session is empty, and again on every 401,
 * with no lock between concurrent items. Left alone that is one login per item, and a wrong password
 * retried by every item locks the account after 5 tries. So logins are single-flight per credential,
 * a fresh result is shared, and a refused login is not repeated with the same password for FAILED_LOGIN_HOLD_MS.
 */

export interface ThingSpaceTokens extends IDataObject {
	accessToken: string;
	sessionToken: string;
	/** The Base URL that issued the tokens: they are never sent to another host. */
	loginHost: string;
}

interface Obtained {
	tokens: ThingSpaceTokens;
	at: number;
}

/** One entry per host, username and password. Lifetime: the n8n process; at most MAX_LOGINS entries. */
interface LoginState {
	refused?: { at: number; reason: string };
	pending?: { key: string; promise: Promise<Obtained> };
	latest?: { key: string; obtained: Obtained };
}

const logins = new Map<string, LoginState>();
const MAX_LOGINS = 1000;

/** The credential's secret values and stored tokens, with the Basic value they make: never in an error. */
export function credentialSecrets(credentials: ICredentialDataDecryptedObject): unknown[] {
	return [credentials.appSecret, credentials.password, credentials.accessToken, credentials.sessionToken, basicAuth(credentials)];
}

function basicAuth(credentials: ICredentialDataDecryptedObject): string {
	return Buffer.from(`${String(credentials.appKey)}:${String(credentials.appSecret)}`).toString('base64');
}

function fingerprint(...parts: unknown[]): string {
	return createHash('sha256').update(parts.map(String).join('\u0000')).digest('hex');
}

function keysOf(credentials: ICredentialDataDecryptedObject) {
	const baseUrl = resolveBaseUrl(credentials);
	const login = fingerprint(baseUrl, credentials.username, credentials.password);
	return { baseUrl, login, full: fingerprint(login, credentials.appKey, credentials.appSecret) };
}

function stateOf(key: string): LoginState {
	let state = logins.get(key);
	if (!state) {
		state = {};
		logins.set(key, state);
		if (logins.size > MAX_LOGINS) logins.delete(logins.keys().next().value as string);
	}
	return state;
}

/** Forget every shared session and refused login (tests, and a user who fixed the password on Verizon's side). */
export function resetSessionCache(): void {
	logins.clear();
}

/**
 * Returns the tokens for these credentials, logging in only when needed.
 * `credentials.sessionToken` is the token the caller holds: empty on a cold start, or the one that was just refused.
 */
export async function obtainTokens(
	helpers: IHttpRequestHelper['helpers'],
	credentials: ICredentialDataDecryptedObject,
): Promise<ThingSpaceTokens> {
	const keys = keysOf(credentials);
	const state = stateOf(keys.login);

	if (state.refused && Date.now() - state.refused.at < FAILED_LOGIN_HOLD_MS) {
		const minutes = Math.ceil((FAILED_LOGIN_HOLD_MS - (Date.now() - state.refused.at)) / 60000);
		throw new ThingSpaceAuthError(
			`login not attempted: the last login with this UWS username and password was refused (${state.refused.reason}), and repeating it could lock the account`,
			`Five failed logins lock the ThingSpace account, so n8n does not send this password again for ${minutes} more minute(s). Fix the UWS Username or UWS Password in the ThingSpace API credential; a changed password is tried at once.`,
		);
	}
	if (state.pending?.key === keys.full) return (await state.pending.promise).tokens;

	const known = state.latest?.key === keys.full ? state.latest.obtained : undefined;
	const held = String(credentials.sessionToken ?? '');
	if (known && known.tokens.sessionToken !== held && Date.now() - known.at < SHARE_FRESH_SESSION_MS) {
		// Another item logged in moments ago, after this caller read its (empty or refused) token.
		return known.tokens;
	}

	const promise = logIn(helpers, keys.baseUrl, credentials, state);
	state.pending = { key: keys.full, promise };
	try {
		const obtained = await promise;
		state.latest = { key: keys.full, obtained };
		return obtained.tokens;
	} finally {
		if (state.pending?.promise === promise) delete state.pending;
	}
}

/** Called when ThingSpace refused a session with a status other than 401: the shared one is stale too. */
export function forgetSession(credentials: ICredentialDataDecryptedObject, sessionToken: string): void {
	const state = logins.get(keysOf(credentials).login);
	if (state?.latest?.obtained.tokens.sessionToken === sessionToken) delete state.latest;
}

async function logIn(
	helpers: IHttpRequestHelper['helpers'],
	baseUrl: string,
	credentials: ICredentialDataDecryptedObject,
	state: LoginState,
): Promise<Obtained> {
	const basic = basicAuth(credentials);
	const secrets = credentialSecrets(credentials);
	const token = await call(helpers, 'OAuth token request', secrets, {
		method: 'POST',
		url: `${baseUrl}${PATHS.clientCredentials}`,
		headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
		body: 'grant_type=client_credentials',
	});
	const accessToken = typeof token.body.access_token === 'string' ? token.body.access_token : '';
	if (token.statusCode !== 200 || !accessToken) {
		throw new ThingSpaceAuthError(
			`the OAuth token request refused the app key and secret (HTTP ${token.statusCode} ${token.reason})`,
			'Check the App Key and App Secret in the ThingSpace API credential (thingspace.verizon.com → Account settings → Key Management). No login was attempted.',
		);
	}

	const session = await call(helpers, 'Connectivity Management login', [...secrets, accessToken], {
		method: 'POST',
		url: `${baseUrl}${PATHS.login}`,
		headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
		body: { username: credentials.username, password: credentials.password },
		json: true,
	});
	const sessionToken = typeof session.body.sessionToken === 'string' ? session.body.sessionToken : '';
	if (session.statusCode !== 200 || !sessionToken) {
		const reason = `HTTP ${session.statusCode} ${session.reason}`;
		if (isPasswordRefusal(session)) {
			state.refused = { at: Date.now(), reason };
			throw new ThingSpaceAuthError(
				`the Connectivity Management login refused the UWS username or password (${reason})`,
				`The app key and secret were accepted. Check the UWS Username and UWS Password in the ThingSpace API credential. Five failed logins lock the account, so n8n does not repeat a refused login with the same password for ${FAILED_LOGIN_HOLD_MS / 60000} minutes.`,
			);
		}
		throw new ThingSpaceAuthError(
			`the Connectivity Management login failed (${reason})`,
			"The app key and secret were accepted; the login did not complete. Try again later; if it persists, check the credential's environment.",
		);
	}
	delete state.refused;
	return { tokens: { accessToken, sessionToken, loginHost: baseUrl }, at: Date.now() };
}

interface Answer {
	statusCode: number;
	body: IDataObject;
	/** ThingSpace's code and text, free of secrets. */
	reason: string;
}

/**
 * A 4xx from the login means the username or password was refused, except a rate limit (429) and a
 * gateway fault on the bearer token (401 900901), which say nothing about the password.
 */
function isPasswordRefusal({ statusCode, body }: Answer): boolean {
	if (statusCode < 400 || statusCode >= 500 || statusCode === 429) return false;
	return !(statusCode === 401 && body.fault !== undefined);
}

/** One auth call: never redirected (it carries the secrets), bounded in time, its errors free of secrets. */
async function call(
	helpers: IHttpRequestHelper['helpers'],
	what: string,
	secrets: unknown[],
	options: IHttpRequestOptions,
): Promise<Answer> {
	let response: { statusCode: number; headers?: IDataObject; body: unknown } | undefined;
	let problem = '';
	try {
		response = (await helpers.httpRequest({
			...options,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			timeout: LOGIN_TIMEOUT_MS,
		})) as typeof response;
	} catch (error) {
		const { code, message } = error as { code?: string; message?: string };
		problem = /timeout|ECONNABORTED|ETIMEDOUT/i.test(`${code} ${message}`)
			? `no answer within ${LOGIN_TIMEOUT_MS / 1000} s`
			: redact(String(message ?? code ?? 'connection failed'), secrets);
	}
	if (!response) {
		// Only the transport message: the request (with its Basic header or password) stays out of the error.
		throw new ThingSpaceAuthError(
			`could not reach ThingSpace for the ${what}: ${problem}`,
			"Nothing was licensed. Check the credential's environment and base URL, and that this n8n can reach it; runs waiting on this login were released.",
		);
	}
	if (response.statusCode >= 300 && response.statusCode < 400) {
		const target = redirectTarget(response.headers?.location, String(options.url));
		throw new ThingSpaceAuthError(
			`the ${what} was redirected (HTTP ${response.statusCode} to ${target}); nothing was sent there`,
			"ThingSpace never redirects its API calls, so a proxy or a wrong Base URL answered. The app secret and password were not sent to the other host. Check the credential's environment and base URL.",
		);
	}
	const body = asObject(response.body);
	return { statusCode: response.statusCode, body, reason: redact(explainFault(body), secrets) };
}
