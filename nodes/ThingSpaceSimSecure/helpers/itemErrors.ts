import type {
	IDataObject,
	IExecutePaginationFunctions,
	IExecuteSingleFunctions,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

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
export function continuesOnFail(context: IExecuteSingleFunctions): boolean {
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
		const licensing =
			context.getNodeParameter('resource', '') === 'license' ? { licensed: false } : {};
		return {
			json: { ...licensing, error: failure.message, description: failure.description ?? '' },
			pairedItem: { item: itemIndex },
		};
	}
	if (!context.continueOnFail()) throw failure;
	return { json: {}, error: failure, pairedItem: { item: itemIndex } };
}

export function pairedItems(
	context: IExecuteSingleFunctions,
	json: IDataObject[],
): INodeExecutionData[] {
	const item = context.getItemIndex();
	return json.map((entry) => ({ json: entry, pairedItem: { item } }));
}
