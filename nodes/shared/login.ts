import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
} from 'n8n-workflow';

import { clock } from './clock';
import { ThingSpaceAuthError } from './credentialError';
import { redirectTarget } from './host';
import { tokenOwner } from './loginRecord';
import { LOGIN_TIMEOUT_MS, PATHS } from './policy';
import { asObject, explainFault, redact } from './redaction';

/** The two calls of a ThingSpace login: the OAuth token (app key and secret), then the UWS session (username and password). */

export interface ThingSpaceTokens extends IDataObject {
	accessToken: string;
	sessionToken: string;
	/** The Base URL that issued the tokens: they are never sent to another host. */
	loginHost: string;
}

/** The credential's secret values and stored tokens, with the Basic value they make: never in an error. */
export function credentialSecrets(credentials: ICredentialDataDecryptedObject): unknown[] {
	return [
		credentials.appSecret,
		credentials.password,
		credentials.accessToken,
		credentials.sessionToken,
		basicAuth(credentials),
	];
}

function basicAuth(credentials: ICredentialDataDecryptedObject): string {
	return Buffer.from(`${String(credentials.appKey)}:${String(credentials.appSecret)}`).toString(
		'base64',
	);
}

/** ThingSpace refused the username or password: the one failure that counts towards the lock. */
export class LoginRefused extends ThingSpaceAuthError {
	constructor(readonly reason: string) {
		super(`the Connectivity Management login refused the UWS username or password (${reason})`, '');
		this.passwordSent = true;
	}
}

/** Said of every login failure that is not a refused password: nothing is held, so a retry may log in. */
const TRANSIENT =
	'This says nothing about the password, so it is not held back (unless ThingSpace refused it before: then this answer counts as another refusal): Retry On Fail, or the next run, logs in again.';

/** The OAuth token call (app key and secret): the access token, or why there is none. */
export async function oauthToken(
	helpers: IHttpRequestHelper['helpers'],
	baseUrl: string,
	credentials: ICredentialDataDecryptedObject,
): Promise<string> {
	const basic = basicAuth(credentials);
	const secrets = credentialSecrets(credentials);
	const token = await call(helpers, 'OAuth token request', secrets, {
		method: 'POST',
		url: `${baseUrl}${PATHS.clientCredentials}`,
		headers: {
			Authorization: `Basic ${basic}`,
			'Content-Type': 'application/x-www-form-urlencoded',
			Accept: 'application/json',
		},
		body: 'grant_type=client_credentials',
	});
	const accessToken = typeof token.body.access_token === 'string' ? token.body.access_token : '';
	if (token.statusCode !== 200 || !accessToken) {
		const reason = `HTTP ${token.statusCode} ${token.reason}`;
		if (isOAuthRefusal(token)) {
			throw new ThingSpaceAuthError(
				`the OAuth token request refused the app key and secret (${reason})`,
				'Check the App Key and App Secret in the ThingSpace API credential (thingspace.verizon.com → Account settings → Key Management). No login was attempted.',
			);
		}
		throw new ThingSpaceAuthError(
			`the OAuth token request failed (${reason})`,
			`No login was attempted. ${TRANSIENT}`,
		);
	}
	return accessToken;
}

/** Both calls of a login; the OAuth token may have been asked for already (`early`, see preAuthentication.ts). */
export async function logIn(
	helpers: IHttpRequestHelper['helpers'],
	baseUrl: string,
	credentials: ICredentialDataDecryptedObject,
	early?: Promise<string>,
): Promise<ThingSpaceTokens> {
	const accessToken = await (early ?? oauthToken(helpers, baseUrl, credentials));
	const secrets = credentialSecrets(credentials);
	const session = await call(helpers, 'Connectivity Management login', [...secrets, accessToken], {
		method: 'POST',
		url: `${baseUrl}${PATHS.login}`,
		headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
		body: { username: credentials.username, password: credentials.password },
		json: true,
	}).catch((error: ThingSpaceAuthError) => {
		error.passwordSent = !unsent.has(error);
		throw error;
	});
	const sessionToken =
		typeof session.body.sessionToken === 'string' ? session.body.sessionToken : '';
	if (session.statusCode !== 200 || !sessionToken) {
		const reason = `HTTP ${session.statusCode} ${session.reason}`;
		if (isPasswordRefusal(session)) throw new LoginRefused(reason);
		const failed = new ThingSpaceAuthError(
			`the Connectivity Management login failed (${reason})`,
			`The app key and secret were accepted; the login did not complete. ${TRANSIENT} If it persists, check the credential's environment and the proxy between n8n and ThingSpace.`,
		);
		// Turned away before the login service: the gateway's fault (its rate limit, its token check), a proxy's own login.
		const { statusCode, body } = session;
		failed.passwordSent = !(
			statusCode === 407 ||
			((statusCode === 429 || statusCode === 401) && body.fault !== undefined)
		);
		throw failed;
	}
	return { accessToken, sessionToken, loginHost: tokenOwner(credentials) };
}

interface Answer {
	statusCode: number;
	body: IDataObject;
	/** ThingSpace's code and text, free of secrets. */
	reason: string;
}

/**
 * ThingSpace's own word that the username or password is wrong: HTTP 400 (or 401) with an M2M error code
 * of UWS form, `Service.CLASS.Detail` (e.g. UnifiedWebService.REQUEST_FAILED.Login.Invalid). Anything
 * else (408, 404, a proxy's 403 or HTML page, a gateway fault such as 401 900901, 429, 5xx, a body
 * without such a code) is no verdict on the password, so it is not held.
 */
function isPasswordRefusal({ statusCode, body }: Answer): boolean {
	if (statusCode !== 400 && statusCode !== 401) return false;
	return typeof body.errorCode === 'string' && /^[A-Za-z]+\.[A-Z_]+\.\S+$/.test(body.errorCode);
}

/** The OAuth server's own refusal of the app key and secret (400/401 with an OAuth `error`, or the gateway's 401 fault); anything else may pass. */
function isOAuthRefusal({ statusCode, body }: Answer): boolean {
	if (statusCode !== 400 && statusCode !== 401) return false;
	return typeof body.error === 'string' || (statusCode === 401 && body.fault !== undefined);
}

/** Auth call errors of requests that never reached ThingSpace: no connection was made, or a redirect answered. */
const unsent = new WeakSet<Error>();

/** Error codes raised before a request could leave: no address, no connection, a certificate refused. */
const NOT_SENT =
	/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|CERT_\w+|\w*SELF_SIGNED\w*|UNABLE_TO_\w+|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** How often the deadline looks whether its call has ended: a finished call leaves no long timer behind. */
const DEADLINE_TICK_MS = 1_000;

/**
 * Resolves once LOGIN_TIMEOUT_MS have passed on the package clock, or soon after the call has ended.
 * The request's own timeout is an idle timeout: an answer that trickles in byte by byte never meets it.
 */
async function deadline(ended: () => boolean): Promise<void> {
	const until = clock.now() + LOGIN_TIMEOUT_MS;
	while (!ended() && clock.now() < until)
		await clock.sleep(Math.min(DEADLINE_TICK_MS, until - clock.now()));
}

/** One auth call: never redirected (it carries the secrets), its whole answer within LOGIN_TIMEOUT_MS, its errors free of secrets. */
async function call(
	helpers: IHttpRequestHelper['helpers'],
	what: string,
	secrets: unknown[],
	options: IHttpRequestOptions,
): Promise<Answer> {
	let response: { statusCode: number; headers?: IDataObject; body: unknown } | undefined;
	let problem = '';
	let neverLeft = false;
	const abort = new AbortController();
	let ended = false;
	const late = deadline(() => ended).then(() => {
		if (ended) return undefined;
		abort.abort();
		throw Object.assign(new Error('deadline'), { code: 'ETIMEDOUT' });
	});
	try {
		const request = helpers.httpRequest({
			...options,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			timeout: LOGIN_TIMEOUT_MS,
			abortSignal: abort.signal,
		}) as Promise<typeof response>;
		response = await Promise.race([request, late.then(() => undefined)]);
	} catch (error) {
		const { code, message } = error as { code?: string; message?: string };
		neverLeft = NOT_SENT.test(String(code ?? ''));
		problem = /timeout|ECONNABORTED|ETIMEDOUT/i.test(`${code} ${message}`)
			? `no answer within ${LOGIN_TIMEOUT_MS / 1000} s`
			: redact(String(message ?? code ?? 'connection failed'), secrets);
	} finally {
		ended = true;
	}
	if (!response) {
		// Only the transport message: the request (with its Basic header or password) stays out of the error.
		const unreached = new ThingSpaceAuthError(
			`could not reach ThingSpace for the ${what}: ${problem}`,
			`Nothing was licensed; runs waiting on this login were released. ${TRANSIENT} If it persists, check the credential's environment and base URL, and that this n8n can reach it.`,
		);
		if (neverLeft) unsent.add(unreached);
		throw unreached;
	}
	if (response.statusCode >= 300 && response.statusCode < 400) {
		const target = redirectTarget(response.headers?.location, String(options.url));
		const redirected = new ThingSpaceAuthError(
			`the ${what} was redirected (HTTP ${response.statusCode} to ${target}); nothing was sent there`,
			"ThingSpace never redirects its API calls, so a proxy or a wrong Base URL answered. The app secret and password were not sent to the other host. Check the credential's environment and base URL.",
		);
		unsent.add(redirected);
		throw redirected;
	}
	const body = asObject(response.body);
	return { statusCode: response.statusCode, body, reason: explainFault(body, secrets) };
}
