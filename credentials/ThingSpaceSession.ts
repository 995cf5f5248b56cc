import { createHash } from 'crypto';
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestHelper } from 'n8n-workflow';

/**
 * Token and session handling shared by every ThingSpace call in this n8n process.
 *
 * n8n calls the credential's preAuthentication once per request whose stored session is empty,
 * and again on every 401, with no lock between concurrent items. Left alone that is one login
 * per item, and a wrong password retried by every item locks the account after 5 tries.
 * So logins here are single-flight per credential, a fresh result is shared, and a login that
 * ThingSpace refused is not tried again with the same password for FAILED_LOGIN_HOLD_MS.
 */

export const PRODUCTION_BASE_URL = 'https://thingspace.verizon.com';

export const BASE_URL_EXPRESSION = `={{ $credentials.environment === 'custom' ? String($credentials.baseUrl).replace(/\\/+$/, '') : '${PRODUCTION_BASE_URL}' }}`;

export const FAILED_LOGIN_HOLD_MS = 15 * 60 * 1000;

/** A session this young is shared with callers that read an empty or older token. */
const SHARE_FRESH_SESSION_MS = 60 * 1000;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface ThingSpaceTokens {
	accessToken: string;
	sessionToken: string;
}

interface Obtained extends ThingSpaceTokens {
	at: number;
}

const inFlight = new Map<string, Promise<Obtained>>();
const latest = new Map<string, Obtained>();
const refusedLogins = new Map<string, { at: number; reason: string }>();

/** Starts the message of every error from the credential step, so the node can tell it from a failed call. */
export const CREDENTIAL_ERROR_PREFIX = 'ThingSpace credential: ';

/** An error with no HTTP fields, so n8n neither retries it as a 401 nor keeps the request (and its secrets) as its cause. */
export class ThingSpaceAuthError extends Error {
	description: string;

	constructor(message: string, description: string) {
		super(CREDENTIAL_ERROR_PREFIX + message);
		this.name = 'ThingSpaceAuthError';
		this.description = description;
	}
}

export function resolveBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	if (credentials.environment !== 'custom') return PRODUCTION_BASE_URL;
	return checkBaseUrl(String(credentials.baseUrl ?? '').replace(/\/+$/, ''));
}

/** Secrets travel in headers, so a custom host must be https unless it is this machine. */
export function checkBaseUrl(baseUrl: string): string {
	let url: URL | undefined;
	try {
		url = new URL(baseUrl);
	} catch {
		url = undefined;
	}
	if (!url) {
		throw new ThingSpaceAuthError(
			`base URL "${baseUrl}" is not a valid URL`,
			'Open the ThingSpace API credential and enter a URL such as https://thingspace.verizon.com.',
		);
	}
	if (url.protocol === 'https:') return baseUrl;
	if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return baseUrl;
	throw new ThingSpaceAuthError(
		`base URL "${baseUrl}" must use https`,
		'Plain http is accepted only for a loopback host (127.0.0.1, localhost, [::1]), such as a local simulator. Change the Base URL in the ThingSpace API credential.',
	);
}

function fingerprint(...parts: unknown[]): string {
	return createHash('sha256').update(parts.map(String).join('\u0000')).digest('hex');
}

/** Forget every shared session and refused login (tests, and a user who fixed the password on Verizon's side). */
export function resetSessionCache(): void {
	inFlight.clear();
	latest.clear();
	refusedLogins.clear();
}

/**
 * Returns a bearer token and a session token for these credentials, logging in only when needed.
 * `credentials.sessionToken` is the token the caller holds: empty on a cold start, or the one that was just refused.
 */
export async function obtainTokens(
	helpers: IHttpRequestHelper['helpers'],
	credentials: ICredentialDataDecryptedObject,
): Promise<ThingSpaceTokens> {
	const baseUrl = resolveBaseUrl(credentials);
	const loginKey = fingerprint(baseUrl, credentials.username, credentials.password);
	const key = fingerprint(loginKey, credentials.appKey, credentials.appSecret);

	const refused = refusedLogins.get(loginKey);
	if (refused && Date.now() - refused.at < FAILED_LOGIN_HOLD_MS) {
		const minutes = Math.ceil((FAILED_LOGIN_HOLD_MS - (Date.now() - refused.at)) / 60000);
		throw new ThingSpaceAuthError(
			`login not attempted: the last login with this UWS username and password was refused (${refused.reason}), and repeating it could lock the account`,
			`Five failed logins lock the ThingSpace account, so n8n does not send this password again for ${minutes} more minute(s). Fix the UWS Username or UWS Password in the ThingSpace API credential; a changed password is tried at once.`,
		);
	}

	const pending = inFlight.get(key);
	if (pending) return strip(await pending);

	const known = latest.get(key);
	const held = String(credentials.sessionToken ?? '');
	if (known && known.sessionToken !== held && Date.now() - known.at < SHARE_FRESH_SESSION_MS) {
		// Another item logged in moments ago, after this caller read its (empty or refused) token.
		return strip(known);
	}

	const login = logIn(helpers, baseUrl, credentials, loginKey);
	inFlight.set(key, login);
	try {
		const obtained = await login;
		latest.set(key, obtained);
		return strip(obtained);
	} finally {
		inFlight.delete(key);
	}
}

/** Called when ThingSpace reports the session expired with a status other than 401. */
export function forgetSession(credentials: ICredentialDataDecryptedObject, sessionToken: string): void {
	const key = fingerprint(
		fingerprint(resolveBaseUrl(credentials), credentials.username, credentials.password),
		credentials.appKey,
		credentials.appSecret,
	);
	if (latest.get(key)?.sessionToken === sessionToken) latest.delete(key);
}

function strip({ accessToken, sessionToken }: Obtained): ThingSpaceTokens {
	return { accessToken, sessionToken };
}

async function logIn(
	helpers: IHttpRequestHelper['helpers'],
	baseUrl: string,
	credentials: ICredentialDataDecryptedObject,
	loginKey: string,
): Promise<Obtained> {
	const basic = Buffer.from(`${String(credentials.appKey)}:${String(credentials.appSecret)}`).toString(
		'base64',
	);
	const token = await call(helpers, 'OAuth token request', {
		method: 'POST',
		url: `${baseUrl}/api/ts/v1/oauth2/token`,
		headers: {
			Authorization: `Basic ${basic}`,
			'Content-Type': 'application/x-www-form-urlencoded',
			Accept: 'application/json',
		},
		body: 'grant_type=client_credentials',
	});
	const accessToken = typeof token.body.access_token === 'string' ? token.body.access_token : '';
	if (token.statusCode !== 200 || !accessToken) {
		throw new ThingSpaceAuthError(
			`the OAuth token request refused the app key and secret (HTTP ${token.statusCode} ${explain(token.body)})`,
			'Check the App Key and App Secret in the ThingSpace API credential (thingspace.verizon.com → Account settings → Key Management). No login was attempted.',
		);
	}

	const session = await call(helpers, 'Connectivity Management login', {
		method: 'POST',
		url: `${baseUrl}/api/m2m/v1/session/login`,
		headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
		body: { username: credentials.username, password: credentials.password },
		json: true,
	});
	const sessionToken =
		typeof session.body.sessionToken === 'string' ? session.body.sessionToken : '';
	if (session.statusCode !== 200 || !sessionToken) {
		const reason = `HTTP ${session.statusCode} ${explain(session.body)}`;
		if (isPasswordRefusal(session)) {
			refusedLogins.set(loginKey, { at: Date.now(), reason });
			throw new ThingSpaceAuthError(
				`the Connectivity Management login refused the UWS username or password (${reason})`,
				'The app key and secret were accepted. Check the UWS Username and UWS Password in the ThingSpace API credential. Five failed logins lock the account, so n8n does not repeat a refused login with the same password for 15 minutes.',
			);
		}
		throw new ThingSpaceAuthError(
			`the Connectivity Management login failed (${reason})`,
			'The app key and secret were accepted; the login did not complete. Try again later; if it persists, check the credential\'s environment.',
		);
	}
	refusedLogins.delete(loginKey);
	return { accessToken, sessionToken, at: Date.now() };
}

interface Answer {
	statusCode: number;
	body: IDataObject;
}

/**
 * A 4xx from the login means the username or password was refused, except a rate limit (429) and a
 * gateway fault on the bearer token (401 900901), which say nothing about the password.
 */
function isPasswordRefusal({ statusCode, body }: Answer): boolean {
	if (statusCode < 400 || statusCode >= 500 || statusCode === 429) return false;
	return !(statusCode === 401 && body.fault !== undefined);
}

async function call(
	helpers: IHttpRequestHelper['helpers'],
	what: string,
	options: Parameters<IHttpRequestHelper['helpers']['httpRequest']>[0],
): Promise<Answer> {
	let response: { statusCode: number; body: unknown } | undefined;
	let transportProblem = '';
	try {
		response = (await helpers.httpRequest({
			...options,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as { statusCode: number; body: unknown };
	} catch (error) {
		transportProblem = (error as Error).message;
	}
	if (!response) {
		// Only the transport message: the request (with its Basic header or password) stays out of the error.
		throw new ThingSpaceAuthError(
			`could not reach ThingSpace for the ${what}`,
			`${transportProblem}. Check the credential's environment and base URL, and that this n8n can reach it.`,
		);
	}
	return { statusCode: response.statusCode, body: asObject(response.body) };
}

function asObject(body: unknown): IDataObject {
	if (body && typeof body === 'object' && !Array.isArray(body)) return body as IDataObject;
	if (Buffer.isBuffer(body)) return asObject(body.toString('utf8'));
	if (typeof body === 'string') {
		if (body.trim() === '') return {};
		try {
			const parsed: unknown = JSON.parse(body);
			if (parsed && typeof parsed === 'object') return parsed as IDataObject;
		} catch {
			// not JSON: keep the text
		}
		// An HTML or XML page from a gateway: keep its words, not its markup.
		return { text: body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300) };
	}
	return {};
}

/**
 * ThingSpace's own error code and text, whichever body shape came back: M2M `{errorCode, errorMessage}`,
 * gateway `{fault: {code, message}}`, OAuth `{error, error_description}`, or text that is not JSON.
 */
export function readFault(body: unknown): { code?: string; text?: string } {
	const object = asObject(body);
	const fault = (object.fault && typeof object.fault === 'object' ? object.fault : {}) as IDataObject;
	const code = object.errorCode ?? (typeof object.error === 'string' ? object.error : undefined) ?? fault.code;
	const text =
		object.errorMessage ?? object.error_description ?? fault.message ?? fault.description ?? object.text;
	return {
		code: code === undefined || code === null ? undefined : String(code),
		text: text === undefined || text === null ? undefined : String(text),
	};
}

function explain(body: unknown): string {
	const { code, text } = readFault(body);
	if (code === undefined && text === undefined) return 'with no error details';
	return `${code !== undefined ? `[${code}] ` : ''}${text ?? ''}`.trim().replace(/\.$/, '');
}
