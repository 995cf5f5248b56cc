import type {
	DeclarativeRestApiSettings,
	IDataObject,
	IExecutePaginationFunctions,
	IExecuteSingleFunctions,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { checkBaseUrl, forgetSession } from '../../../credentials/ThingSpaceSession';
import { CREDENTIAL_TYPE } from './constants';
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
 * Sends one request through n8n's routing engine and returns its outcome. When ThingSpace
 * refuses the token or session (401, or a SessionToken error that some gateways send as 400),
 * the call is repeated once after a fresh login, by handing n8n the credential without its
 * session token; concurrent items share that login (see ThingSpaceSession).
 */
export async function routedRequest(
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

	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	forgetSession(credentials, String(credentials.sessionToken ?? ''));
	const reference = context.getNode().credentials?.[CREDENTIAL_TYPE];
	try {
		response = (await context.helpers.httpRequestWithAuthentication.call(
			context,
			CREDENTIAL_TYPE,
			{ ...(options as IHttpRequestOptions), returnFullResponse: true },
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

/** Refuses a plain-http custom host before any token is sent to it. */
export function checkHost(context: IExecutePaginationFunctions, requestData: RequestData): void {
	try {
		checkBaseUrl(String(requestData.options.baseURL ?? ''));
	} catch (error) {
		throw new NodeOperationError(context.getNode(), (error as Error).message, {
			description: (error as { description?: string }).description,
			itemIndex: context.getItemIndex(),
		});
	}
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
