import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';

import { thingSpaceRequest } from '../../shared/client';
import { thingSpaceError } from '../../shared/errors';
import { asItemError, credentialDefaults, pairedItems, routedSend, withDefaults, type RequestData } from './hooks';

/** Get License Counts: one output item per SKU of the account. */
export async function listLicenseCounts(
	this: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<INodeExecutionData[]> {
	return await asItemError(this, async () => {
		const request = withDefaults(requestData, await credentialDefaults(this));
		const outcome = await thingSpaceRequest(this, request.options, {
			result: 'subscriptionList',
			send: routedSend(this, request),
		});
		if (outcome.failure) throw thingSpaceError(this.getNode(), outcome.failure, this.getItemIndex());
		const { accountName, subscriptionList } = outcome.body;
		const subscriptions = (Array.isArray(subscriptionList) ? subscriptionList : []) as IDataObject[];
		return pairedItems(this, subscriptions.map((subscription) => ({ accountName, ...subscription })));
	});
}
