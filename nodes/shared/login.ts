import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestHelper, IHttpRequestOptions } from 'n8n-workflow';

import { redirectTarget, ThingSpaceAuthError } from './host';
import { LOGIN_TIMEOUT_MS, PATHS } from './policy';
import { asObject, explainFault, redact } from './text';

/** The two calls of a ThingSpace login: the OAuth token (app key and secret), then the UWS session (username and password). */

export interface ThingSpaceTokens extends IDataObject {
	accessToken: string;
	sessionToken: string;
	/** The Base URL that issued the tokens: they are never sent to another host. */
	loginHost: string;
}

/** The credential's secret values and stored tokens, with the Basic value they make: never in an error. */
export function credentialSecrets(credentials: ICredentialDataDecryptedObject): unknown[] {
	return [credentials.appSecret, credentials.password, credentials.accessToken, credentials.sessionToken, basicAuth(credentials)];
}

function basicAuth(credentials: ICredentialDataDecryptedObject): string {
	return Buffer.from(`${String(credentials.appKey)}:${String(credentials.appSecret)}`).toString('base64');
}

/** ThingSpace refused the username or password: the one failure that counts towards the lock. */
export class LoginRefused extends ThingSpaceAuthError {
	constructor(readonly reason: string) {
		super(`the Connectivity Management login refused the UWS username or password (${reason})`, '');
	}
}

export async function logIn(
	helpers: IHttpRequestHelper['helpers'],
	baseUrl: string,
	credentials: ICredentialDataDecryptedObject,
): Promise<ThingSpaceTokens> {
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
		if (isPasswordRefusal(session)) throw new LoginRefused(reason);
		throw new ThingSpaceAuthError(
			`the Connectivity Management login failed (${reason})`,
			"The app key and secret were accepted; the login did not complete. Try again later; if it persists, check the credential's environment.",
		);
	}
	return { accessToken, sessionToken, loginHost: baseUrl };
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
	return { statusCode: response.statusCode, body, reason: explainFault(body, secrets) };
}
