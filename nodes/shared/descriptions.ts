import type { INodeProperties } from 'n8n-workflow';

/** The billing account, with the credential's Default Account Name used when left empty (action node and trigger). */
export const accountNameProperty: INodeProperties = {
	displayName: 'Account Name',
	name: 'accountName',
	type: 'string',
	default: '',
	placeholder: 'e.g. 0000123456-00001',
	description: "Billing account, with its leading zeros. Leave empty to use the credential's Default Account Name.",
};
