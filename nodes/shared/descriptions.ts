import type { INodeProperties, INodeTypeDescription } from 'n8n-workflow';

import { CREDENTIAL_TYPE } from './policy';

/** What the action node and the trigger share: version and credential. */
export const nodeBase: Pick<INodeTypeDescription, 'version' | 'credentials'> = {
	version: 1,
	credentials: [{ name: CREDENTIAL_TYPE, required: true }],
};

/** The billing account, with the credential's Default Account Name used when left empty (action node and trigger). */
export const accountNameProperty: INodeProperties = {
	displayName: 'Account Name',
	name: 'accountName',
	type: 'string',
	default: '',
	placeholder: 'e.g. 0000123456-00001',
	description:
		"Billing account, with its leading zeros. Leave empty to use the credential's Default Account Name.",
};
