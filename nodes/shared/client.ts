import type {
	DeclarativeRestApiSettings,
	IAllExecuteFunctions,
	IDataObject,
	IExecuteSingleFunctions,
	IHttpRequestOptions,
} from 'n8n-workflow';
import { clock } from './clock';

import {
	failureOf,
	isServerFailure,
	isSessionRejected,
	thrownFailure,
	type Failure,
	type FullResponse,
} from './errors';
import { redirectTarget } from './host';
import type { Pace } from './pacer';
import { CREDENTIAL_TYPE, MAX_SERVER_RETRIES, RATE_LIMIT, REQUEST_TIMEOUT_MS } from './policy';
import { isLoginBusy } from './loginRecord';
import { loginsOf, secretsOf, session, stopLogins, type RunLogins } from './runLogins';
import { accessTokenBeside } from './sessionLease';
import { describeAnswer } from './redaction';

/**
 * The one way to call ThingSpace, for the action node, the trigger and the credential's helpers:
 * one send, one fresh login when the session is refused (within the run's MAX_LOGINS_PER_RUN), the
 * 429 wait, the 5xx policy, no redirects, a bounded time, and an answer that counts only when it
 * carries its result.
 */

/** The body of a successful call, or what went wrong. */
export type Outcome = { body: IDataObject; failure?: undefined } | { failure: Failure };

/** Contexts that may call ThingSpace with the credential. */
export type AuthContext = IAllExecuteFunctions &
	Pick<IExecuteSingleFunctions, 'getCredentials' | 'getNode'>;

/** A request as n8n's routing engine and request helpers take it. */
export type RequestOptions = DeclarativeRestApiSettings.HttpRequestOptions;

/** Sends one request and returns the full answer (status, headers, body), whatever its status. */
export type Send = (options: RequestOptions) => Promise<FullResponse>;

export interface CallPolicy {
	/** Send again after a 5xx, a lost answer or an answer without its result (the user accepted that it may apply twice). */
	retryServerErrors?: boolean;
	/** The field a 2xx must carry to count as done (requestId, subscriptionList); an array body when 'list'. */
	result?: string;
	/** How the first attempt goes out (the action node: through n8n's routing engine); n8n's authenticated request helper by default. */
	send?: Send;
	/** Spaces the sends under the credential's rate limit, and learns it from 429s. */
	pace?: Pace;
	/** Told how long each send waited for its place in the pace. */
	paced?: (waitedMs: number) => void;
	/** Secrets of the call besides the credential's (the trigger's shared secret): redacted from answers as theirs are. */
	secrets?: unknown[];
}

export async function thingSpaceRequest(
	context: AuthContext,
	options: RequestOptions,
	policy: CallPolicy = {},
): Promise<Outcome> {
	const request: RequestOptions = {
		...options,
		json: true,
		ignoreHttpStatusErrors: true,
		returnFullResponse: true,
		// ThingSpace never redirects; a 3xx comes from something else and must not get the tokens.
		disableFollowRedirect: true,
		timeout: Math.min(options.timeout ?? REQUEST_TIMEOUT_MS, REQUEST_TIMEOUT_MS),
	};
	let waitedMs = 0;
	let serverRetries = 0;
	const sends = { count: 0 };
	const logins = loginsOf(context);
	let inDoubt = false;
	for (let attempt = 1; ; attempt++) {
		const outcome = await sendOnce(context, request, policy, sends, logins);
		const failure = outcome.failure;
		if (!failure) return outcome;
		const earlierInDoubt = inDoubt && !isServerFailure(failure);
		inDoubt ||= isServerFailure(failure);
		let delay: number | undefined;
		if (failure.status === 429) {
			delay =
				attempt < RATE_LIMIT.maxAttempts ? rateLimitDelay(failure.retryAfter, attempt) : undefined;
			if (delay !== undefined && waitedMs + delay > RATE_LIMIT.budgetMs) delay = undefined;
		} else if (
			policy.retryServerErrors &&
			isServerFailure(failure) &&
			serverRetries < MAX_SERVER_RETRIES
		) {
			serverRetries++;
			delay = rateLimitDelay(undefined, serverRetries);
		}
		if (delay === undefined) {
			const attempts = { count: sends.count, waitedMs };
			return { failure: { ...failure, attempts, ...(earlierInDoubt && { earlierInDoubt }) } };
		}
		await clock.sleep(delay);
		waitedMs += delay;
	}
}

/**
 * Milliseconds to wait after the n-th 429: Retry-After (seconds or an HTTP date) when it makes sense,
 * else 1 s, 2 s, 4 s … (±25 %); never less than RATE_LIMIT.minWaitMs, whatever the header says.
 */
export function rateLimitDelay(
	retryAfter: string | undefined,
	attempt: number,
	now = clock.now(),
): number {
	let asked: number | undefined;
	const value = (retryAfter ?? '').trim();
	if (/^\d+(\.\d+)?$/.test(value)) asked = Number(value) * 1000;
	else if (value !== '' && !Number.isNaN(Date.parse(value))) asked = Date.parse(value) - now;
	if (asked === undefined || !Number.isFinite(asked)) {
		const base = Math.min(RATE_LIMIT.maxBackoffMs, RATE_LIMIT.minWaitMs * 2 ** (attempt - 1));
		asked = Math.round(base * (0.75 + Math.random() * 0.5));
	}
	return Math.max(RATE_LIMIT.minWaitMs, Math.ceil(asked));
}

/**
 * One send, with a session the instance holds; when ThingSpace refuses the token or session (401, or a
 * SessionToken code), one more once the instance has a new one. A run that stopped logging in sends nothing.
 */
async function sendOnce(
	context: AuthContext,
	request: RequestOptions,
	policy: CallPolicy,
	sends: { count: number },
	logins: RunLogins,
): Promise<Outcome> {
	if (logins.stopped) return { failure: logins.stopped };
	const before = await session(context, logins);
	if (before.failure) return before;
	const policySend = policy.send ?? viaHelpers(context);
	// Each send takes its place in the pace once the session is there, so a login's time is not an answer's.
	const send = async (options: RequestOptions) => {
		sends.count++;
		const slot = await policy.pace?.slot();
		if (slot) policy.paced?.(slot.waitedMs);
		let status: number | undefined;
		try {
			const response = await policySend(options);
			status = response.statusCode;
			return response;
		} finally {
			// Always told, or the calls queued behind this one would wait for ever.
			slot?.done(status);
		}
	};
	// The tokens this call carries are quoted free of them even when another login replaced them in the store meanwhile.
	const carrying = (sent: string): CallPolicy => ({
		...policy,
		secrets: [...(policy.secrets ?? []), sent, accessTokenBeside(sent)],
	});
	const outcome = await outcomeOf(
		context,
		request,
		carrying(before.session),
		async () => await send(request),
	);
	const failure = outcome.failure;
	if (!failure) logins.accepted.add(before.session);
	if (!failure || !(sessionRefused(failure) || isLoginBusy(failure.auth?.message))) return outcome;
	const after = await session(context, logins, before.session, failure);
	if (after.failure) return after;
	const retried = await outcomeOf(
		context,
		request,
		carrying(after.session),
		async () => await send(request),
	);
	const again = retried.failure;
	if (!again || !sessionRefused(again)) {
		if (!again) logins.accepted.add(after.session);
		return retried;
	}
	// A session refused before ThingSpace took any call of this run with it, once this run has logged in: new
	// sessions do not help, so the run stops logging in instead of spending its other logins on the requests in
	// flight. This request says what it met; the others say why the run stopped.
	if (logins.used > 0 && !logins.accepted.has(after.session)) stopLogins(logins, again);
	return retried;
}

/** ThingSpace refused the token or the session: a 401, or a SessionToken code. */
function sessionRefused(failure: Failure): boolean {
	return failure.status === 401 || isSessionRejected(failure);
}

function viaHelpers(context: AuthContext): Send {
	return async (options) =>
		(await context.helpers.httpRequestWithAuthentication.call(
			context,
			CREDENTIAL_TYPE,
			options as IHttpRequestOptions,
		)) as FullResponse;
}

/** Sends and reads the answer: a result, or the failure with every text free of the credential's secrets. */
async function outcomeOf(
	context: AuthContext,
	request: RequestOptions,
	policy: CallPolicy,
	send: () => Promise<FullResponse>,
): Promise<Outcome> {
	let response: FullResponse;
	try {
		response = await send();
	} catch (error) {
		return { failure: thrownFailure(error, await secretsOf(context, policy.secrets)) };
	}
	const { statusCode: status, headers, body } = response;
	if (status >= 300 && status < 400) {
		return {
			failure: {
				status,
				redirectedTo: redirectTarget(headers?.location, String(request.baseURL ?? request.url)),
			},
		};
	}
	if (status < 200 || status >= 300)
		return { failure: failureOf(response, await secretsOf(context, policy.secrets)) };
	if (hasResult(body, policy.result))
		return { body: (Array.isArray(body) ? { list: body } : body) as IDataObject };
	const unexpected = describeAnswer(
		status,
		headers,
		body,
		await secretsOf(context, policy.secrets),
	);
	return { failure: { status, unexpected } };
}

function hasResult(body: unknown, result: string | undefined): boolean {
	if (result === 'list') return Array.isArray(body);
	const object =
		body && typeof body === 'object' && !Array.isArray(body) ? (body as IDataObject) : undefined;
	if (!result) return object !== undefined;
	const value = object?.[result];
	return value !== undefined && value !== null && value !== '';
}
