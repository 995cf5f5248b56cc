import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { accountNameProperty } from '../../shared/descriptions';
import { DEVICE_ID_KINDS, SKUS } from '../../shared/policy';

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
export const accountNameField = (show: { resource: string[]; operation: string[] }): INodeProperties => ({
	...accountNameProperty,
	displayOptions: { show },
	routing: {
		// An empty value is replaced by the credential's default once per run (helpers/hooks.ts withDefaults).
		send: { type: 'body', property: 'accountName' },
	},
});
