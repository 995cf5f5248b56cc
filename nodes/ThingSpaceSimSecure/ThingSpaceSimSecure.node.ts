import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { nodeBase } from '../shared/descriptions';
import { accountFields, accountOperations } from './descriptions/account/Account.resource';
import { licenseFields, licenseOperations } from './descriptions/license/License.resource';

export class ThingSpaceSimSecure implements INodeType {
	description: INodeTypeDescription = {
		...nodeBase,
		displayName: 'ThingSpace SIM-Secure',
		name: 'thingSpaceSimSecure',
		icon: { light: 'file:thingspace.svg', dark: 'file:thingspace.dark.svg' },
		group: ['transform'],
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description:
			'Assign and unassign Verizon ThingSpace SIM-Secure for IoT licenses and read license counts',
		defaults: { name: 'ThingSpace SIM-Secure' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// The host comes from the credential, set once per run by the operations' hook (withCredentialDefaults).
		requestDefaults: {
			headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
			json: true,
		},
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'License', value: 'license', description: 'SIM-Secure licenses on devices' },
					{ name: 'Account', value: 'account', description: 'License counts of a billing account' },
				],
				default: 'license',
			},
			...licenseOperations,
			...licenseFields,
			...accountOperations,
			...accountFields,
		],
	};
}
