import { createHash, randomBytes } from 'crypto';
import type { IDataObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { thingSpaceRequest } from '../shared/client';
import { thingSpaceError } from '../shared/errors';
import { nodeBaseUrl } from '../shared/host';
import { readForNode, textValue } from '../shared/parameterValues';
import { CREDENTIAL_TYPE, PATHS } from '../shared/policy';
import { carriesSecret } from './messages';

/** The callback service that carries SIM-Secure assign and unassign results. */
export const SERVICE_NAME = 'CarrierService';

/** The only ports ThingSpace delivers callbacks to. */
export const ALLOWED_PORTS: ReadonlyArray<[number, number]> = [
	[80, 80],
	[443, 443],
	[9001, 9006],
	[50551, 50559],
	[28200, 28220],
];

export const PORT_RULE = '80, 443, 9001–9006, 50551–50559 or 28200–28220';

/** What activation keeps in the workflow's static data (saved by n8n after activation, in plain text). */
export interface ListenerState extends IDataObject {
	/** SHA-256 (hex) of the secret generated when the user gave none: the secret itself is kept nowhere in n8n. */
	secretHash?: string;
	/** Versions before secretHash kept the generated secret itself: its hash replaces it at the next activation. */
	secret?: string;
	listenerUrl?: string;
	accountName?: string;
}

interface Listener {
	serviceName?: string;
	url?: string;
	username?: string;
	password?: string;
}

/** Throws when ThingSpace could not deliver to this URL at all. */
export function checkListenerPort(context: IHookFunctions, webhookUrl: string): void {
	let url: URL | undefined;
	try {
		url = new URL(webhookUrl);
	} catch {
		url = undefined;
	}
	const port = url ? Number(url.port || (url.protocol === 'https:' ? 443 : 80)) : NaN;
	if (url && ALLOWED_PORTS.some(([low, high]) => port >= low && port <= high)) return;
	throw new NodeOperationError(
		context.getNode(),
		`ThingSpace cannot deliver to this workflow's webhook URL ${webhookUrl}: port ${Number.isNaN(port) ? '(none)' : port} is not allowed`,
		{
			description: `ThingSpace sends callbacks only to ports ${PORT_RULE}, on a public address. Serve n8n's webhooks on one of them (e.g. through a reverse proxy on 443), set n8n's WEBHOOK_URL to that public address, and activate the workflow again.`,
		},
	);
}

export function listenerState(context: IHookFunctions): ListenerState {
	const state = context.getWorkflowStaticData('node') as ListenerState;
	// An earlier version's plain secret becomes its hash: re-registering at an upgrade could lose a working listener.
	if (state.secret !== undefined) {
		if (typeof state.secret === 'string' && state.secret && !state.secretHash)
			state.secretHash = secretHash(state.secret);
		delete state.secret;
	}
	return state;
}

export const secretHash = (secret: string): string =>
	createHash('sha256').update(secret).digest('hex');

/** The hash of the secret this node expects in every message: the user's own, or the one generated at activation. */
export function expectedSecretHash(userSecret: string, state: ListenerState): string | undefined {
	if (userSecret) return secretHash(userSecret);
	if (typeof state.secretHash === 'string' && state.secretHash) return state.secretHash;
	return typeof state.secret === 'string' && state.secret ? secretHash(state.secret) : undefined;
}

export function newSecret(): string {
	return randomBytes(24).toString('base64url');
}

/** The secret the user gave in the options ('' for none: one is generated at activation). */
export function userSecret(context: IHookFunctions | IWebhookFunctions): string {
	return String(context.getNodeParameter('options.secret', '') ?? '');
}

export async function accountOf(context: IHookFunctions): Promise<string> {
	const given = readForNode(context.getNode(), () =>
		textValue('Account Name', context.getNodeParameter('accountName', ''), '0000123456-00001'),
	);
	if (given) return given;
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	const fallback = String(credentials.accountName ?? '').trim();
	if (fallback) return fallback;
	throw new NodeOperationError(
		context.getNode(),
		'No account name: set Account Name in this node or Default Account Name in the credential',
		{
			description:
				'ThingSpace registers callback listeners per billing account (e.g. 0000123456-00001, with its leading zeros).',
		},
	);
}

/** One call to the callbacks API; a failure becomes the node's usual ThingSpace error. */
async function callbacksApi(
	context: IHookFunctions,
	method: 'GET' | 'POST' | 'DELETE',
	path: string,
	doing: string,
	body?: IDataObject,
	result?: string,
): Promise<IDataObject> {
	const baseURL = nodeBaseUrl(context.getNode(), await context.getCredentials(CREDENTIAL_TYPE));
	const outcome = await thingSpaceRequest(
		context,
		{
			baseURL,
			url: `${PATHS.callbacks}/${path}`,
			method,
			headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
			body,
		},
		// The listener's secret is in these calls' bodies and answers (username and password): never in an error.
		{ result, secrets: [userSecret(context), body?.password] },
	);
	if (outcome.failure) throw thingSpaceError(context.getNode(), outcome.failure, 0, doing);
	return outcome.body;
}

export async function findListener(
	context: IHookFunctions,
	accountName: string,
): Promise<Listener | undefined> {
	const { list } = await callbacksApi(
		context,
		'GET',
		encodeURIComponent(accountName),
		`n8n was reading the callback listeners of account ${accountName}.`,
		undefined,
		'list',
	);
	const listeners = (list ?? []) as Listener[];
	return listeners.find((listener) => listener.serviceName === SERVICE_NAME);
}

export async function registerListener(
	context: IHookFunctions,
	accountName: string,
	url: string,
	secret: string,
): Promise<void> {
	// ThingSpace echoes username and password in every message body; both carry the secret.
	await callbacksApi(
		context,
		'POST',
		encodeURIComponent(accountName),
		`n8n was registering ${url} as the ${SERVICE_NAME} listener of account ${accountName}; the account's listeners were left as they were.`,
		{ name: SERVICE_NAME, url, username: secret, password: secret },
	);
}

export async function deregisterListener(
	context: IHookFunctions,
	accountName: string,
): Promise<void> {
	await callbacksApi(
		context,
		'DELETE',
		`${encodeURIComponent(accountName)}/name/${SERVICE_NAME}`,
		`n8n was removing this workflow's ${SERVICE_NAME} listener from account ${accountName}.`,
	);
}

/** Registered here, at this URL, with the secret this node expects (`hash`: its SHA-256). */
export function isOurs(
	listener: Listener | undefined,
	url: string,
	hash: string | undefined,
): boolean {
	// Registered as every message carries it: the secret as username and password.
	return Boolean(
		listener && hash && listener.url === url && carriesSecret(listener as IDataObject, hash),
	);
}

export function refuseToReplace(
	context: IHookFunctions,
	accountName: string,
	otherUrl: string,
): NodeOperationError {
	return new NodeOperationError(
		context.getNode(),
		`Account ${accountName} already sends ${SERVICE_NAME} callbacks to ${otherUrl}`,
		{
			description: `ThingSpace keeps one ${SERVICE_NAME} listener per account, so activating this workflow would stop those callbacks from reaching ${otherUrl}. Nothing was changed. Stop the workflow or system that listens there (if it is this workflow's own production URL, deactivate this workflow to listen for test events), or turn on "Replace Existing Listener" in this node's options, then try again.`,
		},
	);
}
