import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { PATHS, PRODUCTION_BASE_URL } from '../nodes/shared/policy';
import { checkLoginRecord, tokensBelongHere } from '../nodes/shared/loginRecord';
import { preAuthenticate } from '../nodes/shared/preAuthentication';

const BASE_URL_EXPRESSION = `={{ $credentials.environment === 'custom' ? String($credentials.baseUrl).replace(/\\/+$/, '') : '${PRODUCTION_BASE_URL}' }}`;

export class ThingSpaceApi implements ICredentialType {
	name = 'thingSpaceApi';

	displayName = 'ThingSpace API';

	icon: Icon = {
		light: 'file:../nodes/ThingSpaceSimSecure/thingspace.svg',
		dark: 'file:../nodes/ThingSpaceSimSecure/thingspace.dark.svg',
	};

	documentationUrl =
		'https://thingspace.verizon.com/resources/documentation/connectivity/Getting_Started/Getting_Credentials/';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{ name: 'Production', value: 'production', description: 'https://thingspace.verizon.com' },
				{
					name: 'Custom URL',
					value: 'custom',
					description: 'Another ThingSpace host, such as a simulator for testing',
				},
			],
			default: 'production',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://thingspace.example.com',
			description:
				'Host that serves /api/ts/v1 and /api/m2m/v1. Must use https, except for a loopback host (127.0.0.1, localhost, [::1]).',
			displayOptions: { show: { environment: ['custom'] } },
			required: true,
		},
		{
			displayName: 'App Key',
			name: 'appKey',
			type: 'string',
			default: '',
			description: 'ThingSpace app key: thingspace.verizon.com → Account settings → Key Management',
			required: true,
		},
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The secret that belongs to the app key, from the same Key Management page',
			required: true,
		},
		{
			displayName: 'UWS Username',
			name: 'username',
			type: 'string',
			default: '',
			description:
				'Connectivity Management (UWS) API user of the billing account. Five failed logins lock it, so check it before saving.',
			required: true,
		},
		{
			displayName: 'UWS Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Default Account Name',
			name: 'accountName',
			type: 'string',
			default: '',
			placeholder: 'e.g. 0000123456-00001',
			description:
				'Billing account used when a node leaves its account name empty. Keep the leading zeros.',
		},
		// Filled by preAuthentication and kept in n8n's credential store; empty means "log in first".
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
		},
		// The Base URL that issued both tokens: after a change of host, nothing stored is sent to the new one.
		{
			displayName: 'Login Host',
			name: 'loginHost',
			type: 'hidden',
			default: '',
		},
		// Read by every n8n process (main, workers): who is logging in now, and a refused password's hold. A password
		// field, so n8n does not hand it (with ThingSpace's words about a refused login) to whoever may read the credential.
		{
			displayName: 'Login Record',
			name: 'loginRecord',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return await preAuthenticate(this.helpers, credentials);
	}

	// A refused login, or a login step that only writes the store, ends here (loginRecord.ts). Tokens go only to the
	// host that issued them; without them ThingSpace answers 401 and the node logs in afresh.
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		checkLoginRecord(credentials, requestOptions);
		if (!tokensBelongHere(credentials)) return requestOptions;
		return {
			...requestOptions,
			headers: {
				...requestOptions.headers,
				Authorization: `Bearer ${String(credentials.accessToken)}`,
				'VZ-M2M-Token': String(credentials.sessionToken),
			},
		};
	}

	// preAuthentication always runs during a test, so this checks token, login and account access.
	test: ICredentialTestRequest = {
		request: {
			baseURL: BASE_URL_EXPRESSION,
			url: PATHS.licenseCounts,
			method: 'POST',
			disableFollowRedirect: true,
			body: '={{ $credentials.accountName ? { accountName: $credentials.accountName } : {} }}',
			json: true,
		},
	};
}
