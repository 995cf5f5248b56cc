import type {
	DeclarativeRestApiSettings,
	IDataObject,
	IExecutePaginationFunctions,
	IHttpRequestOptions,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { checkBaseUrl, forgetSession } from '../../../credentials/ThingSpaceSession';
import { CREDENTIAL_TYPE } from './constants';
import { isSessionRejected, readFailure, type Failure } from './errors';

export type RequestData = DeclarativeRestApiSettings.ResultOptions;

/** The body of a successful call, or what went wrong. */
export type Outcome = { body: IDataObject; failure?: undefined } | { failure: Failure };

/**
 * Sends one request through n8n's routing engine (credential, 401 re-login and retry) and
 * returns its outcome. ThingSpace may report an expired session with 400;
 * n8n refreshes only on 401, so that case logs in again here, once, by handing n8n the
 * credential without its session token.
 */
export async function routedRequest(
	context: IExecutePaginationFunctions,
	requestData: RequestData,
	options: RequestData['options'],
): Promise<Outcome> {
	let failure: Failure;
	try {
		const [item] = await context.makeRoutingRequest({ ...requestData, options });
		return { body: (item?.json ?? {}) as IDataObject };
	} catch (error) {
		failure = readFailure(error);
	}
	if (failure.status === 401 || !isSessionRejected(failure)) return { failure };

	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	forgetSession(credentials, String(credentials.sessionToken ?? ''));
	const reference = context.getNode().credentials?.[CREDENTIAL_TYPE];
	try {
		const response = (await context.helpers.httpRequestWithAuthentication.call(
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
		)) as { body?: IDataObject };
		return { body: response.body ?? {} };
	} catch (error) {
		return { failure: readFailure(error) };
	}
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

export function pairedItems(context: IExecutePaginationFunctions, json: IDataObject[]): INodeExecutionData[] {
	const item = context.getItemIndex();
	return json.map((entry) => ({ json: entry, pairedItem: { item } }));
}
