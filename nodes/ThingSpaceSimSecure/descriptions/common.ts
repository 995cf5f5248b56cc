import type {
	IExecutePaginationFunctions,
	INodeExecutionData,
	INodeProperties,
	INodePropertyOptions,
	INodePropertyRouting,
} from 'n8n-workflow';

import { accountNameProperty } from '../../shared/descriptions';
import { DEVICE_ID_KINDS, SKUS } from '../../shared/policy';
import { keepFullResponse, type RequestData } from '../helpers/routing';

type OperationHook = (
	this: IExecutePaginationFunctions,
	requestData: RequestData,
) => Promise<INodeExecutionData[]>;

/**
 * Every operation: n8n's routing engine builds the item's request from the properties, then hands it to
 * the operation's pagination hook, which sends it through the ThingSpace client. The calls ignore HTTP
 * status errors and keep the full answer (keepFullResponse), so that the client decides what each answer
 * means on n8n 1.x and 2.x alike.
 */
export const operationRouting = (
	method: 'POST' | 'DELETE',
	url: string,
	hook: OperationHook,
): INodePropertyRouting => ({
	request: { method, url, ignoreHttpStatusErrors: true },
	send: { paginate: true },
	operations: { pagination: hook },
	output: { postReceive: [keepFullResponse] },
});

/** The Operation selector of a resource. */
export const operationField = (
	resource: string,
	options: INodePropertyOptions[],
	defaultValue: string,
): INodeProperties => ({
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: [resource] } },
	options,
	default: defaultValue,
});

/** The SKU of a licensing operation. */
export const skuField = (
	show: { resource: string[]; operation: string[] },
	removableOnly: boolean,
	description: string,
): INodeProperties => ({
	displayName: 'SKU',
	name: 'skuNumber',
	type: 'options',
	options: skuOptions(removableOnly),
	default: 'SIMSec-IoT',
	description,
	displayOptions: { show },
	routing: { send: { type: 'body', property: 'skuNumber' } },
});

export const skuOptions = (removableOnly: boolean): INodePropertyOptions[] =>
	SKUS.filter((sku) => !removableOnly || sku.removable).map(({ name, value, description }) => ({
		name,
		value,
		description,
	}));

export const kindOptions: INodePropertyOptions[] = DEVICE_ID_KINDS.map((kind) => ({
	name: kind,
	value: kind,
}));

/** Account name, sent only when set here or in the credential (ThingSpace needs it only for multi-account users). */
export const accountNameField = (show: {
	resource: string[];
	operation: string[];
}): INodeProperties => ({
	...accountNameProperty,
	displayOptions: { show },
	routing: {
		// An empty value is replaced by the credential's default once per run (helpers/credentialDefaults.ts withDefaults).
		send: { type: 'body', property: 'accountName' },
	},
});
