import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';

import { thingSpaceError } from './errors';
import { asItemError, pairedItems, routedRequest, withCredentialDefaults, type RequestData } from './transport';

/** Get License Counts: one output item per SKU of the account. */
export async function listLicenseCounts(
	this: IExecutePaginationFunctions,
	requestData: RequestData,
): Promise<INodeExecutionData[]> {
	return await asItemError(this, async () => {
		const request = await withCredentialDefaults(this, requestData);
		const outcome = await routedRequest(this, request, request.options);
		if (outcome.failure) throw thingSpaceError(this.getNode(), outcome.failure, this.getItemIndex());
		const response = outcome.body;
		const subscriptions = (response.subscriptionList ?? []) as IDataObject[];
		return pairedItems(
			this,
			subscriptions.map((subscription) => ({ accountName: response.accountName, ...subscription })),
		);
	});
}
