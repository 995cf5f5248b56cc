import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { DEVICE_ID_KINDS, SKUS } from '../helpers/constants';

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

/** The billing account, with the credential's Default Account Name used when left empty. */
export const accountNameProperty: INodeProperties = {
	displayName: 'Account Name',
	name: 'accountName',
	type: 'string',
	default: '',
	placeholder: '0000123456-00001',
	description:
		"Billing account, with its leading zeros. Leave empty to use the credential's Default Account Name.",
};

/** Account name, sent only when set here or in the credential (ThingSpace needs it only for multi-account users). */
export const accountNameField = (show: { resource: string[]; operation: string[] }): INodeProperties => ({
	...accountNameProperty,
	displayOptions: { show },
	routing: {
		// An empty value is replaced by the credential's default in the operation's hook (withCredentialDefaults).
		send: { type: 'body', property: 'accountName' },
	},
});
