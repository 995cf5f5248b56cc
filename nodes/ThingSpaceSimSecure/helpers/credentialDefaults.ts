import type { IDataObject, IExecuteSingleFunctions } from 'n8n-workflow';

import { nodeBaseUrl } from '../../shared/host';
import { textValue } from '../../shared/parameterValues';
import { CREDENTIAL_TYPE } from '../../shared/policy';
import type { RequestData } from './routing';

export interface CredentialDefaults {
	baseURL: string;
	accountName: string;
	/** Host and user: whose rate limit the calls share. */
	caller: string;
}

/**
 * The credential's host and default account, read once per node run rather than as expressions
 * evaluated for every item. A plain-http custom host is refused here, before any token is sent to it.
 */
export async function credentialDefaults(
	context: IExecuteSingleFunctions,
): Promise<CredentialDefaults> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	const baseURL = nodeBaseUrl(context.getNode(), credentials, context.getItemIndex());
	return {
		baseURL,
		accountName: String(credentials.accountName ?? ''),
		caller: `${baseURL} ${String(credentials.username ?? '')}`,
	};
}

/** The request with the credential's host and, when the node leaves Account Name empty, its default account. */
export function withDefaults(requestData: RequestData, defaults: CredentialDefaults): RequestData {
	const body = { ...(requestData.options.body as IDataObject) };
	const accountName = accountFor(
		textValue('Account Name', body.accountName, '0000123456-00001'),
		defaults,
	);
	if (accountName) body.accountName = accountName;
	else delete body.accountName;
	return { ...requestData, options: { ...requestData.options, baseURL: defaults.baseURL, body } };
}

/** The node's Account Name, else the credential's Default Account Name; '' for none (ThingSpace then takes the user's account). */
export function accountFor(given: unknown, defaults: CredentialDefaults): string {
	return given ? String(given) : defaults.accountName;
}
