import type {
	DeclarativeRestApiSettings,
	IAllExecuteFunctions,
	IDataObject,
	IExecutePaginationFunctions,
	IExecuteSingleFunctions,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { forgetSession, resolveBaseUrl } from '../../../credentials/ThingSpaceSession';
import { CREDENTIAL_TYPE, MAX_SERVER_RETRIES, RATE_LIMIT_BUDGET_MS } from './constants';
import { failureOf, isSessionRejected, thrownFailure, type Failure, type FullResponse } from './errors';

export type RequestData = DeclarativeRestApiSettings.ResultOptions;

/** The body of a successful call, or what went wrong. */
export type Outcome = { body: IDataObject; failure?: undefined } | { failure: Failure };

/**
 * postReceive of every operation: keeps the status and headers next to the body, because the
 * calls ignore HTTP status errors (n8n 1.x drops the response of a thrown error) and the
 * node decides itself what a failed answer means.
 */
export async function keepFullResponse(
	this: IExecuteSingleFunctions,
	_items: INodeExecutionData[],
	response: IN8nHttpFullResponse,
): Promise<INodeExecutionData[]> {
	return [{ json: { statusCode: response.statusCode, headers: response.headers, body: response.body } as IDataObject }];
}

/**
 * Sends one request and returns its outcome. A 429 means ThingSpace did not take the request, so it
 * is sent again after the wait that Retry-After asks for (seconds or an HTTP date), or an exponential
 * backoff with jitter without one, as long as the waits stay within RATE_LIMIT_BUDGET_MS. A 5xx or a
 * lost connection is sent again only when the user turned on "Retry on Server Errors".
 */
export async function routedRequest(
	context: IExecutePaginationFunctions,
	requestData: RequestData,
	options: RequestData['options'],
	retryServerErrors = false,
): Promise<Outcome> {
	return await withRetries(async () => await sendOnce(context, requestData, options), retryServerErrors);
}

/** The retry policy of routedRequest, for any way of sending one ThingSpace request. */
export async function withRetries(send: () => Promise<Outcome>, retryServerErrors = false): Promise<Outcome> {
	let waitedMs = 0;
	let serverRetries = 0;
	for (let attempt = 1; ; attempt++) {
		const outcome = await send();
		const failure = outcome.failure;
		if (!failure) return outcome;
		let delay: number | undefined;
		if (failure.status === 429) {
			delay = rateLimitDelay(failure.retryAfter, attempt);
			if (waitedMs + delay > RATE_LIMIT_BUDGET_MS) delay = undefined;
		} else if (retryServerErrors && isServerFailure(failure) && serverRetries < MAX_SERVER_RETRIES) {
			// The user accepted that an answer lost here may mean the request was applied.
			serverRetries++;
			delay = rateLimitDelay(undefined, serverRetries);
		}
		if (delay === undefined) return { failure: { ...failure, attempts: { count: attempt, waitedMs } } };
		await sleep(delay);
		waitedMs += delay;
	}
}

/** No answer, or a 5xx: ThingSpace may or may not have applied the request. */
export function isServerFailure(failure: Failure): boolean {
	return !failure.auth && (failure.status === undefined || failure.status >= 500);
}

/** Milliseconds to wait after the n-th 429: Retry-After when given, else 1 s, 2 s, 4 s … (±25 %), at most 30 s. */
export function rateLimitDelay(retryAfter: string | undefined, attempt: number, now = Date.now()): number {
	if (retryAfter !== undefined && retryAfter.trim() !== '') {
		const seconds = Number(retryAfter);
		if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
		const date = Date.parse(retryAfter);
		if (!Number.isNaN(date)) return Math.max(0, date - now);
	}
	const base = Math.min(30_000, 1000 * 2 ** (attempt - 1));
	return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * One request through n8n's routing engine. When ThingSpace refuses the token or session (401, or a
 * SessionToken error that some gateways send as 400), it is repeated once after a fresh login, by
 * handing n8n the credential without its session token; concurrent items share that login.
 */
async function sendOnce(
	context: IExecutePaginationFunctions,
	requestData: RequestData,
	options: RequestData['options'],
): Promise<Outcome> {
	let response: FullResponse;
	try {
		const [item] = await context.makeRoutingRequest({ ...requestData, options });
		response = item.json as unknown as FullResponse;
	} catch (error) {
		return { failure: thrownFailure(error) };
	}
	if (isSuccess(response)) return { body: response.body as IDataObject };
	const failure = failureOf(response);
	if (failure.status !== 401 && !isSessionRejected(failure)) return { failure };

	return await sendWithFreshSession(context, options as IHttpRequestOptions);
}

/**
 * One ThingSpace call outside the routing engine (the trigger's listener calls), with the same
 * single re-login as the node's own requests.
 */
export async function thingSpaceRequest(context: AuthContext, options: IHttpRequestOptions): Promise<Outcome> {
	const request: IHttpRequestOptions = { ...options, json: true, ignoreHttpStatusErrors: true };
	let response: FullResponse;
	try {
		response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, {
			...request,
			returnFullResponse: true,
		})) as FullResponse;
	} catch (error) {
		return { failure: thrownFailure(error) };
	}
	if (isSuccess(response)) return { body: response.body as IDataObject };
	const failure = failureOf(response);
	if (failure.status !== 401 && !isSessionRejected(failure)) return { failure };
	return await sendWithFreshSession(context, request);
}

/** Contexts that may call ThingSpace with the node's credential. */
type AuthContext = IAllExecuteFunctions & Pick<IExecuteSingleFunctions, 'getCredentials' | 'getNode'>;

/**
 * Repeats a request whose token or session ThingSpace refused, once, by handing n8n the credential
 * without its session token, so that preAuthentication logs in again; concurrent callers share that login.
 */
async function sendWithFreshSession(context: AuthContext, options: IHttpRequestOptions): Promise<Outcome> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	forgetSession(credentials, String(credentials.sessionToken ?? ''));
	const reference = context.getNode().credentials?.[CREDENTIAL_TYPE];
	let response: FullResponse;
	try {
		response = (await context.helpers.httpRequestWithAuthentication.call(
			context,
			CREDENTIAL_TYPE,
			{ ...options, returnFullResponse: true },
			{
				credentialsDecrypted: {
					id: reference?.id ?? '',
					name: reference?.name ?? '',
					type: CREDENTIAL_TYPE,
					data: { ...credentials, sessionToken: '' },
				},
			},
		)) as FullResponse;
	} catch (error) {
		return { failure: thrownFailure(error) };
	}
	return isSuccess(response) ? { body: response.body as IDataObject } : { failure: failureOf(response) };
}

function isSuccess(response: FullResponse): boolean {
	return response.statusCode >= 200 && response.statusCode < 300;
}

/**
 * The request with the credential's host and, when the node leaves Account Name empty, its default
 * account. Both are read once per node run, where expressions would be evaluated for every item (on
 * n8n 2.x twice). A plain-http custom host is refused here, before any token is sent to it.
 */
export async function withCredentialDefaults(
	context: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<RequestData> {
	let defaults: CredentialDefaults;
	try {
		defaults = await credentialDefaults(context);
	} catch (error) {
		throw new NodeOperationError(context.getNode(), (error as Error).message, {
			description: (error as { description?: string }).description,
			itemIndex: context.getItemIndex(),
		});
	}
	const body = { ...(requestData.options.body as IDataObject) };
	if (!body.accountName) {
		if (defaults.accountName) body.accountName = defaults.accountName;
		else delete body.accountName;
	}
	return { ...requestData, options: { ...requestData.options, baseURL: defaults.baseURL, body } };
}

interface CredentialDefaults {
	baseURL: string;
	accountName: string;
}

/** One reading per node run: n8n hands every item of a run the same execute data object. */
const defaultsOfRun = new WeakMap<object, Promise<CredentialDefaults>>();

async function credentialDefaults(context: IExecutePaginationFunctions): Promise<CredentialDefaults> {
	const run = context.getExecuteData();
	let pending = defaultsOfRun.get(run);
	if (!pending) {
		pending = (async () => {
			const credentials = await context.getCredentials(CREDENTIAL_TYPE);
			return { baseURL: resolveBaseUrl(credentials), accountName: String(credentials.accountName ?? '') };
		})();
		defaultsOfRun.set(run, pending);
	}
	return await pending;
}

/**
 * With Continue On Fail, an item's error becomes its one output item, paired to its input, so that
 * the error output of "On Error: Continue (using error output)" keeps the pairing too.
 */
export async function asItemError(
	context: IExecutePaginationFunctions,
	work: () => Promise<INodeExecutionData[]>,
): Promise<INodeExecutionData[]> {
	let failure: NodeApiError | NodeOperationError;
	try {
		return await work();
	} catch (error) {
		failure =
			error instanceof NodeApiError || error instanceof NodeOperationError
				? error
				: new NodeOperationError(context.getNode(), error as Error, { itemIndex: context.getItemIndex() });
	}
	if (!context.continueOnFail()) throw failure;
	return [{ json: {}, error: failure, pairedItem: { item: context.getItemIndex() } }];
}

export function pairedItems(context: IExecutePaginationFunctions, json: IDataObject[]): INodeExecutionData[] {
	const item = context.getItemIndex();
	return json.map((entry) => ({ json: entry, pairedItem: { item } }));
}
