import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';

import { thingSpaceRequest } from '../../shared/client';
import { thingSpaceError } from '../../shared/errors';
import { credentialDefaults, withDefaults } from './credentialDefaults';
import { asItemError, pairedItems } from './itemErrors';
import { routedSend, type RequestData } from './routing';

/** Get License Counts: one output item per SKU of the account. */
export async function listLicenseCounts(
	this: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<INodeExecutionData[]> {
	return await asItemError(this, readCounts(this, requestData));
}

async function readCounts(
	context: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<INodeExecutionData[]> {
	const request = withDefaults(requestData, await credentialDefaults(context));
	const outcome = await thingSpaceRequest(context, request.options, {
		result: 'subscriptionList',
		send: routedSend(context, request),
	});
	if (outcome.failure)
		throw thingSpaceError(context.getNode(), outcome.failure, context.getItemIndex());
	const { accountName, subscriptionList } = outcome.body;
	const subscriptions = (Array.isArray(subscriptionList) ? subscriptionList : []) as IDataObject[];
	return pairedItems(
		context,
		subscriptions.map((subscription) => ({ accountName, ...subscription })),
	);
}
