import type {
	DeclarativeRestApiSettings,
	IDataObject,
	IExecutePaginationFunctions,
	IExecuteSingleFunctions,
	IN8nHttpFullResponse,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Send } from '../../shared/client';
import type { FullResponse } from '../../shared/errors';
import { nodeBaseUrl } from '../../shared/host';
import { CREDENTIAL_TYPE } from '../../shared/policy';

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
	return [{ json: { statusCode: response.statusCode, headers: response.headers, body: response.body } as IDataObject }];
}

/** Sends through n8n's routing engine (its auth, proxy and timeout options) and returns the full answer. */
export function routedSend(context: IExecutePaginationFunctions, requestData: RequestData): Send {
	return async (options) => {
		const [item] = await context.makeRoutingRequest({ ...requestData, options });
		return item.json as unknown as FullResponse;
	};
}

export interface CredentialDefaults {
	baseURL: string;
	accountName: string;
	/** Host and user: whose rate limit the calls share. */
	caller: string;
}

/**
 * The credential's host and default account, read once per node run rather than as expressions
 * evaluated for every item. A plain-http custom host is refused here, before any token is sent to it.
 */
export async function credentialDefaults(context: IExecuteSingleFunctions): Promise<CredentialDefaults> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	const baseURL = nodeBaseUrl(context.getNode(), credentials, context.getItemIndex());
	return { baseURL, accountName: String(credentials.accountName ?? ''), caller: `${baseURL} ${String(credentials.username ?? '')}` };
}

/** The request with the credential's host and, when the node leaves Account Name empty, its default account. */
export function withDefaults(requestData: RequestData, defaults: CredentialDefaults): RequestData {
	const body = { ...(requestData.options.body as IDataObject) };
	const accountName = accountFor(body.accountName, defaults);
	if (accountName) body.accountName = accountName;
	else delete body.accountName;
	return { ...requestData, options: { ...requestData.options, baseURL: defaults.baseURL, body } };
}

/** The node's Account Name, else the credential's Default Account Name; '' for none (ThingSpace then takes the user's account). */
export function accountFor(given: unknown, defaults: CredentialDefaults): string {
	return given ? String(given) : defaults.accountName;
}

/**
 * With Continue On Fail, an item's error becomes its one output item, paired to its input, so that
 * the error output of "On Error: Continue (using error output)" keeps the pairing too.
 */
export async function asItemError(
	context: IExecutePaginationFunctions,
	work: Promise<INodeExecutionData[]>,
): Promise<INodeExecutionData[]> {
	try {
		return await work;
	} catch (error) {
		return [errorItem(context, error as Error)];
	}
}

/**
 * Run by an AI Agent (n8n's "…Tool" variant of this node), an error is the tool's answer: the model
 * reads it, hint included, and can correct its call. n8n 1.x would otherwise stop the whole run.
 */
export function runsAsTool(context: IExecuteSingleFunctions): boolean {
	return context.getNode().type.endsWith('Tool');
}

/** An item's error becomes its output item: Continue On Fail, or a tool's answer. */
export function keepsGoing(context: IExecuteSingleFunctions): boolean {
	return context.continueOnFail() || runsAsTool(context);
}

/** The item's error as its output item when the node keeps going; thrown otherwise. */
export function errorItem(context: IExecuteSingleFunctions, error: Error): INodeExecutionData {
	const itemIndex = context.getItemIndex();
	const failure =
		error instanceof NodeApiError || error instanceof NodeOperationError
			? error
			: new NodeOperationError(context.getNode(), error, { itemIndex });
	if (runsAsTool(context)) {
		// Readable for the model, and marked so that a workflow can route a licensing that was not done.
		const licensing = context.getNodeParameter('resource', '') === 'license' ? { licensed: false } : {};
		return { json: { ...licensing, error: failure.message, description: failure.description ?? '' }, pairedItem: { item: itemIndex } };
	}
	if (!context.continueOnFail()) throw failure;
	return { json: {}, error: failure, pairedItem: { item: itemIndex } };
}

export function pairedItems(context: IExecuteSingleFunctions, json: IDataObject[]): INodeExecutionData[] {
	const item = context.getItemIndex();
	return json.map((entry) => ({ json: entry, pairedItem: { item } }));
}
