import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { CREDENTIAL_ERROR_PREFIX, readFault } from '../../../credentials/ThingSpaceSession';

/** What went wrong with one ThingSpace call. */
export interface Failure {
	status?: number;
	code?: string;
	text?: string;
	retryAfter?: string;
	/** Transport error code (ECONNRESET, ETIMEDOUT…) when no answer came back. */
	network?: string;
	/** How often the request was sent, and how long the node waited between attempts. */
	attempts?: { count: number; waitedMs: number };
	/** The credential step (token or login) failed; its own message says which and why. */
	auth?: { message: string; description?: string };
}

/** A ThingSpace answer as n8n returns it with returnFullResponse. */
export interface FullResponse {
	statusCode: number;
	headers?: Record<string, unknown>;
	body?: unknown;
}

/** Reads a non-2xx answer: status, ThingSpace's code and text (any body shape), Retry-After. */
export function failureOf(response: FullResponse): Failure {
	const { code, text } = readFault(response.body);
	const retryAfter = response.headers?.['retry-after'];
	return {
		status: response.statusCode,
		code,
		text,
		retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
	};
}

/**
 * Reads what n8n threw when no answer came back. Calls are made with ignoreHttpStatusErrors,
 * so this is either the credential step (token or login) or a transport failure.
 */
export function thrownFailure(error: unknown): Failure {
	const thrown = (error ?? {}) as { message?: string; description?: string; code?: string };
	const message = thrown.message ?? '';
	if (message.startsWith(CREDENTIAL_ERROR_PREFIX)) {
		return { auth: { message, description: thrown.description } };
	}
	return { network: thrown.code, text: message };
}

/** ThingSpace reports an expired or unknown session token (400 or 401, depending on the gateway). */
export function isSessionRejected(failure: Failure): boolean {
	return /SessionToken\.(Expired|Invalid)/i.test(failure.code ?? '');
}

const BY_STATUS: Record<number, { message: string; action: string }> = {
	400: {
		message: 'ThingSpace rejected the request as invalid',
		action:
			"ThingSpace's code above names the field it refused: check the account name, the SKU and the device ids (devices must be active, 4G, and on this account).",
	},
	401: {
		message: 'ThingSpace did not accept the credentials, even after a fresh login',
		action:
			'Check the App Key, App Secret and UWS user in the ThingSpace API credential, and that the app has access to the Connectivity Management and SIM-Secure APIs.',
	},
	403: {
		message: 'ThingSpace refused access to this account or operation',
		action:
			'Make sure the UWS user may manage this billing account and that SIM-Secure for IoT is enabled for it; the account name must keep its leading zeros.',
	},
	404: {
		message: 'ThingSpace could not find the account or resource',
		action:
			'Check the account name (for example 0000123456-00001, with its leading zeros) and, for a custom environment, the base URL in the credential.',
	},
	406: {
		message: 'ThingSpace could not accept the format of the request',
		action:
			'This usually means a header or body field in a form ThingSpace does not take (for example the Transaction ID). Check the options; if it persists, report it to the node maintainers with the code above.',
	},
	429: {
		message: 'ThingSpace is limiting the rate of requests (HTTP 429)',
		action:
			'ThingSpace kept refusing the request for longer than the node waits (2 minutes per request). Run the workflow again later for the devices not yet sent, or send fewer items at once (a Loop Over Items node with a Wait).',
	},
};

function explainFailure(failure: Failure): { message: string; action: string } {
	if (failure.status === undefined) {
		return {
			message: 'Could not reach ThingSpace',
			action:
				'No answer came back, so ThingSpace may or may not have applied the request. Check the license counts or the per-device callbacks before sending these devices again.',
		};
	}
	if (BY_STATUS[failure.status]) return BY_STATUS[failure.status];
	if (failure.status >= 500) {
		return {
			message: `ThingSpace failed to process the request (HTTP ${failure.status})`,
			action:
				'ThingSpace may or may not have applied it. Check the license counts or the per-device callbacks before sending these devices again, or try later.',
		};
	}
	return {
		message: `ThingSpace answered HTTP ${failure.status}`,
		action: 'Check the node parameters against the code above; if it persists, contact Verizon ThingSpace support with it.',
	};
}

/** ThingSpace's own words for the failure, for the error description. */
export function faultLine(failure: Failure): string {
	if (failure.status === undefined) {
		const tries = failure.attempts ? ` n8n sent this request ${failure.attempts.count} time(s).` : '';
		return `No answer from ThingSpace: ${failure.network ?? failure.text ?? 'connection failed'}.${tries}`;
	}
	const code = failure.code ? ` [${failure.code}]` : '';
	const text = failure.text ? `: ${failure.text}` : ': no error details in the answer';
	const wait = failure.retryAfter ? ` Retry-After: ${failure.retryAfter}.` : '';
	const tries = failure.attempts
		? ` n8n sent this request ${failure.attempts.count} time(s) and waited ${Math.round(failure.attempts.waitedMs / 1000)} s in all.`
		: '';
	return `ThingSpace error${code} (HTTP ${failure.status})${text}.${wait}${tries}`;
}

/**
 * The one place where a failed ThingSpace call becomes an n8n error: a message that names the cause,
 * ThingSpace's code and text, what to do, and what had already happened to the item's devices.
 */
export function thingSpaceError(
	node: INode,
	failure: Failure,
	itemIndex: number,
	progress?: string,
): NodeApiError {
	const { message, action } = failure.auth
		? { message: failure.auth.message, action: failure.auth.description }
		: explainFailure(failure);
	const lines = failure.auth ? [action] : [faultLine(failure), action];
	const description = [...lines, progress].filter(Boolean).join('\n\n');
	// Built from a plain object: the original error holds the request, and with it the tokens.
	const response: JsonObject = {
		httpCode: failure.status === undefined ? 'none' : String(failure.status),
		thingSpaceCode: failure.code ?? null,
		thingSpaceMessage: failure.text ?? null,
	};
	return new NodeApiError(node, response, {
		message,
		description,
		httpCode: failure.status === undefined ? undefined : String(failure.status),
		itemIndex,
	});
}
