import type {
	DeclarativeRestApiSettings,
	IDataObject,
	IExecutePaginationFunctions,
	IExecuteSingleFunctions,
	IN8nHttpFullResponse,
	INodeExecutionData,
} from 'n8n-workflow';

import type { Send } from '../../shared/client';
import type { FullResponse } from '../../shared/errors';

/** What n8n's routing engine hands an operation's hooks. */
export type RequestData = DeclarativeRestApiSettings.ResultOptions;

/**
 * postReceive of every operation: keeps the status and headers next to the body, because the calls
 * ignore HTTP status errors (n8n 1.x drops the response of a thrown error) and the client decides
 * itself what an answer means.
 */
export async function keepFullResponse(
	this: IExecuteSingleFunctions,
	_items: INodeExecutionData[],
	response: IN8nHttpFullResponse,
): Promise<INodeExecutionData[]> {
	return [
		{
			json: {
				statusCode: response.statusCode,
				headers: response.headers,
				body: response.body,
			} as IDataObject,
		},
	];
}

/** Sends through n8n's routing engine (its auth, proxy and timeout options) and returns the full answer. */
export function routedSend(context: IExecutePaginationFunctions, requestData: RequestData): Send {
	return async (options) => {
		const [item] = await context.makeRoutingRequest({ ...requestData, options });
		return item.json as unknown as FullResponse;
	};
}
