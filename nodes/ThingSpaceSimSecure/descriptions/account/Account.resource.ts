import type { INodeProperties } from 'n8n-workflow';

import { PATHS } from '../../../shared/policy';
import { listLicenseCounts } from '../../helpers/licenseCounts';
import { accountNameField, operationField, operationRouting, skuOptions } from '../common';

const showCounts = { resource: ['account'], operation: ['getLicenseCounts'] };

export const accountOperations: INodeProperties[] = [
	operationField(
		'account',
		[
			{
				name: 'Get License Counts',
				value: 'getLicenseCounts',
				action: 'Get sim secure license counts',
				description: 'Licenses purchased, assigned and available, one item per SKU',
				routing: operationRouting('POST', PATHS.licenseCounts, listLicenseCounts),
			},
		],
		'getLicenseCounts',
	),
];

export const accountFields: INodeProperties[] = [
	accountNameField(showCounts),
	{
		displayName: 'SKU',
		name: 'skuFilter',
		type: 'options',
		options: [
			{ name: 'All SKUs', value: '', description: 'One item for each SKU the account holds' },
			...skuOptions(false),
		],
		default: '',
		displayOptions: { show: showCounts },
		routing: { send: { type: 'body', property: 'skuNumber', value: '={{ $value || undefined }}' } },
	},
];
