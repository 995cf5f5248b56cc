import type { IDataObject, IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { thingSpaceRequest } from '../../shared/client';
import { thingSpaceError } from '../../shared/errors';
import { readForNode, skuValue, textValue } from '../../shared/parameterValues';
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
	const defaults = await credentialDefaults(context);
	const request = readForNode(
		context.getNode(),
		() => withSkuFilter(withDefaults(requestData, defaults)),
		context.getItemIndex(),
	);
	const outcome = await thingSpaceRequest(context, request.options, {
		result: 'subscriptionList',
		send: routedSend(context, request),
	});
	if (outcome.failure)
		throw thingSpaceError(context.getNode(), outcome.failure, context.getItemIndex());
	const { accountName, subscriptionList } = outcome.body;
	if (!Array.isArray(subscriptionList)) {
		// Its type only: the text of a server's answer is quoted, redacted, by thingSpaceError alone.
		throw new NodeOperationError(
			context.getNode(),
			`ThingSpace answered License Counts with subscriptionList as ${typeof subscriptionList}, not a list`,
			{
				description:
					'Nothing was counted. Run the node again; if ThingSpace keeps answering so, ask Verizon support.',
				itemIndex: context.getItemIndex(),
			},
		);
	}
	// An account that lists no SKU still gives an item, so the nodes after it run and see that.
	if (subscriptionList.length === 0)
		return pairedItems(context, [{ accountName, subscriptionList: [] }]);
	return pairedItems(
		context,
		(subscriptionList as IDataObject[]).map((subscription) => ({ accountName, ...subscription })),
	);
}

/**
 * The SKU filter as the user meant it; empty asks for every SKU. (Kept as an undefined key: n8n sends no body
 * at all for an empty object, and ThingSpace's POST gets `{}` as before.)
 */
function withSkuFilter(request: RequestData): RequestData {
	const body = request.options.body as IDataObject;
	const given = textValue('SKU', body.skuNumber, 'SIMSec-IoT');
	body.skuNumber = given === '' ? undefined : skuValue(given).value;
	return request;
}
