import type { ICredentialDataDecryptedObject, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { ThingSpaceAuthError } from './credentialError';
import { PRODUCTION_BASE_URL } from './policy';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The host every call of this credential goes to. */
export function resolveBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	if (credentials.environment !== 'custom') return PRODUCTION_BASE_URL;
	return checkBaseUrl(String(credentials.baseUrl ?? '').replace(/\/+$/, ''));
}

/** The host for a node's calls; a Base URL that breaks the rules is the node's error, before any token is sent. */
export function nodeBaseUrl(
	node: INode,
	credentials: ICredentialDataDecryptedObject,
	itemIndex?: number,
): string {
	try {
		return resolveBaseUrl(credentials);
	} catch (error) {
		throw new NodeOperationError(node, (error as Error).message, {
			description: (error as ThingSpaceAuthError).description,
			itemIndex,
		});
	}
}

/** Secrets travel in headers, so a custom host must be https unless it is this machine. */
export function checkBaseUrl(baseUrl: string): string {
	let url: URL | undefined;
	try {
		url = new URL(baseUrl);
	} catch {
		url = undefined;
	}
	if (!url) {
		throw new ThingSpaceAuthError(
			`base URL "${baseUrl.slice(0, 100)}" is not a valid URL`,
			'Open the ThingSpace API credential and enter a URL such as https://thingspace.verizon.com.',
		);
	}
	if (url.protocol === 'https:') return baseUrl;
	if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return baseUrl;
	throw new ThingSpaceAuthError(
		`base URL "${baseUrl.slice(0, 100)}" must use https`,
		'Plain http is accepted only for a loopback host (127.0.0.1, localhost, [::1]), such as a local simulator. Change the Base URL in the ThingSpace API credential.',
	);
}

/** Where a 3xx wanted to send the request, for the error: its host only. */
export function redirectTarget(location: unknown, baseUrl: string): string {
	try {
		return new URL(String(location), baseUrl).host || 'an unknown host';
	} catch {
		return 'an unknown host';
	}
}
