import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestOptions,
	INode,
} from 'n8n-workflow';

import { CREDENTIAL_ERROR_PREFIX, ThingSpaceAuthError } from './credentialError';
import { resolveBaseUrl } from './host';
import { LOGIN_STEP_HEADER, loginRecordOf, STEP_SAVED, type LoginRecord } from './loginRecord';
import { CREDENTIAL_TYPE, PATHS } from './policy';

/** The credential's store, as the session lease (sessionLease.ts) reads and writes it through n8n. */

/** What ensureSession needs of a node's or trigger's context. */
export interface SessionContext {
	getCredentials<T extends object = ICredentialDataDecryptedObject>(type: string): Promise<T>;
	getNode(): INode;
	helpers: {
		httpRequestWithAuthentication(
			this: unknown,
			type: string,
			options: IHttpRequestOptions,
			additional?: IDataObject,
		): Promise<unknown>;
	};
}

/** The credential's store as the lease uses it: what every process reads, and the steps preAuthentication stores. */
export interface LeaseStore {
	read(): Promise<ICredentialDataDecryptedObject>;
	/** Has n8n run the credential's preAuthentication with this step and store what it returns; nothing is sent. */
	store(
		credentials: ICredentialDataDecryptedObject,
		step: NonNullable<LoginRecord['step']>,
	): Promise<void>;
}

/** The store of a node's or trigger's credential, through n8n. */
export function credentialStore(context: SessionContext): LeaseStore {
	return {
		read: async () => await context.getCredentials(CREDENTIAL_TYPE),
		store: async (credentials, step) => await storeStep(context, credentials, step),
	};
}

/** Has n8n run the credential's preAuthentication with this step, and store what it returns; nothing is sent. */
async function storeStep(
	context: SessionContext,
	credentials: ICredentialDataDecryptedObject,
	step: LoginRecord['step'],
): Promise<void> {
	const reference = context.getNode().credentials?.[CREDENTIAL_TYPE];
	const data = {
		...credentials,
		sessionToken: '',
		loginRecord: JSON.stringify({ ...loginRecordOf(credentials), step }),
	};
	const stored = await context.helpers.httpRequestWithAuthentication
		.call(
			context,
			CREDENTIAL_TYPE,
			{
				method: 'POST',
				url: `${resolveBaseUrl(credentials)}${PATHS.login}`,
				headers: { [LOGIN_STEP_HEADER]: step },
				disableFollowRedirect: true,
			},
			{
				credentialsDecrypted: {
					id: reference?.id ?? '',
					name: reference?.name ?? '',
					type: CREDENTIAL_TYPE,
					data,
				},
			},
		)
		.then(
			() => false,
			(error: Error) => {
				if (error.message === CREDENTIAL_ERROR_PREFIX + STEP_SAVED) return true;
				throw error;
			},
		);
	if (!stored)
		throw new ThingSpaceAuthError(
			'the login step was sent instead of stored',
			'Report this to the node maintainers.',
		);
}
