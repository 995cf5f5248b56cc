import type { INodeProperties } from 'n8n-workflow';

import { PATHS } from '../../../shared/policy';
import { keepFullResponse } from '../../helpers/hooks';
import { listLicenseCounts } from '../../helpers/licenseCounts';
import { accountNameField, skuOptions } from '../common';

const showCounts = { resource: ['account'], operation: ['getLicenseCounts'] };

export const accountOperations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['account'] } },
		options: [
			{
				name: 'Get License Counts',
				value: 'getLicenseCounts',
				action: 'Get sim secure license counts',
				description: 'Licenses purchased, assigned and available, one item per SKU',
				routing: {
					request: { method: 'POST', url: PATHS.licenseCounts, ignoreHttpStatusErrors: true },
					send: { paginate: true },
					operations: { pagination: listLicenseCounts },
					output: { postReceive: [keepFullResponse] },
				},
			},
		],
		default: 'getLicenseCounts',
	},
];

export const accountFields: INodeProperties[] = [
	accountNameField(showCounts),
	{
		displayName: 'SKU',
		name: 'skuFilter',
		type: 'options',
		options: [{ name: 'All SKUs', value: '', description: 'One item for each SKU the account holds' }, ...skuOptions(false)],
		default: '',
		displayOptions: { show: showCounts },
		routing: { send: { type: 'body', property: 'skuNumber', value: '={{ $value || undefined }}' } },
	},
];
