import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { CREDENTIAL_ERROR_PREFIX } from './credentialError';
import { MAX_SERVER_RETRIES, RATE_LIMIT } from './policy';
import { quote, readFault, redact } from './redaction';

/** What went wrong with one ThingSpace call. Every text in it is already free of secrets and bounded. */
export interface Failure {
	status?: number;
	code?: string;
	text?: string;
	retryAfter?: string;
	/** Transport error code (ECONNRESET, ETIMEDOUT…) when no answer came back. */
	network?: string;
	/** A 3xx: the host the answer pointed to. Nothing was sent there. */
	redirectedTo?: string;
	/** A 2xx without the answer's result (a requestId…): what came back instead. */
	unexpected?: string;
	/** How often the request was sent, and how long the node waited between attempts. */
	attempts?: { count: number; waitedMs: number };
	/** The credential step (token or login) failed; its own message says which and why. */
	auth?: { message: string; description?: string };
	/** An earlier send of these devices got no clear answer (sent again by Retry on Server Errors, or by a try of Retry On Fail): it may have been applied. */
	earlierInDoubt?: boolean;
}

/** What a failure means for the devices of the request. */
export type DeviceFate = 'notSent' | 'refused' | 'inDoubt';

export function fateOf(failure: Failure): DeviceFate {
	// Whatever the last send met (a 400 "already licensed", a 429, a stopped login), the first may have been applied.
	if (failure.earlierInDoubt) return 'inDoubt';
	// A credential step with a status is a request ThingSpace refused, and then the reason the run stopped.
	if ((failure.auth && failure.status === undefined) || failure.redirectedTo !== undefined)
		return 'notSent';
	return isServerFailure(failure) ? 'inDoubt' : 'refused';
}

/** No answer, a 5xx, or a 2xx without a result: ThingSpace may or may not have applied the request. */
export function isServerFailure(failure: Failure): boolean {
	if (failure.auth || failure.redirectedTo !== undefined) return false;
	return failure.unexpected !== undefined || failure.status === undefined || failure.status >= 500;
}

/** A ThingSpace answer as n8n returns it with returnFullResponse. */
export interface FullResponse {
	statusCode: number;
	headers?: Record<string, unknown>;
	body?: unknown;
}

/** Reads a refused answer: status, ThingSpace's code and text (any body shape), Retry-After; every text free of `secrets`. */
export function failureOf(response: FullResponse, secrets: unknown[] = []): Failure {
	const { code, text } = readFault(response.body, secrets);
	// A header is server text too: a gateway may echo the session token in it.
	const retryAfter = response.headers?.['retry-after'];
	return {
		status: response.statusCode,
		code,
		text,
		retryAfter: retryAfter === undefined ? undefined : quote(String(retryAfter), secrets, 40),
	};
}

/**
 * Reads what n8n threw when no answer came back. Calls are made with ignoreHttpStatusErrors,
 * so this is either the credential step (token or login) or a transport failure.
 */
export function thrownFailure(error: unknown, secrets: unknown[] = []): Failure {
	const thrown = (error ?? {}) as { message?: string; description?: string; code?: string };
	const message = quote(String(thrown.message ?? ''), secrets);
	if (message.startsWith(CREDENTIAL_ERROR_PREFIX)) {
		return { auth: { message, description: thrown.description } };
	}
	const timedOut = /timeout|ECONNABORTED|ETIMEDOUT/i.test(`${thrown.code} ${message}`);
	return { network: timedOut ? 'no answer in time (timeout)' : thrown.code, text: message };
}

/** ThingSpace reports an expired or unknown session token (400 or 401, depending on the gateway). */
export function isSessionRejected(failure: Failure): boolean {
	return /SessionToken\.(Expired|Invalid)/i.test(failure.code ?? '');
}

const BY_STATUS: Record<number, { message: string; action: string }> = {
	400: {
		message: 'ThingSpace rejected the request as invalid',
		action:
			"ThingSpace's code above names the field it refused: check the account name, the SKU and the device IDs (devices must be active, 4G, and on this account).",
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
			'Check the account name (e.g. 0000123456-00001, with its leading zeros) and, for a custom environment, the base URL in the credential.',
	},
	406: {
		message: 'ThingSpace could not accept the format of the request',
		action:
			'This usually means a header or body field in a form ThingSpace does not take (e.g. the Transaction ID). Check the options; if it persists, report it to the node maintainers with the code above.',
	},
	429: {
		message: 'ThingSpace is limiting the rate of requests (HTTP 429)',
		action: `ThingSpace kept refusing the request for longer than the node waits (${RATE_LIMIT.budgetMs / 60000} minutes or ${RATE_LIMIT.maxAttempts} attempts per request, at least ${RATE_LIMIT.minWaitMs / 1000} s apart). Run the workflow again later for the devices not yet sent, or send fewer items at once (a Loop Over Items node with a Wait).`,
	},
};

/** What each 5xx means, in its own words, beside the advice they share: the request is in doubt. */
const SERVER_FAILURES: Record<number, { message: string; advice: string }> = {
	502: {
		message: 'A gateway in front of ThingSpace got no valid answer from it (bad gateway)',
		advice: 'This is usually brief.',
	},
	503: { message: 'ThingSpace is temporarily unavailable', advice: 'Try again later.' },
	504: {
		message: 'A gateway in front of ThingSpace gave up waiting for its answer (gateway timeout)',
		advice: 'ThingSpace may still be working on it.',
	},
};

const IN_DOUBT =
	'ThingSpace may or may not have applied it. Check the license counts or the per-device callbacks before sending these devices again.';

function explainFailure(failure: Failure): { message: string; action: string } {
	if (failure.redirectedTo !== undefined) {
		return {
			message: `ThingSpace's answer was a redirect (HTTP ${failure.status} to ${failure.redirectedTo}); nothing was sent there`,
			action:
				"ThingSpace never redirects its API calls, so a proxy or a wrong Base URL answered. No token, password or device was sent to the other host. Check the credential's environment and base URL, and the proxy between n8n and ThingSpace.",
		};
	}
	if (failure.unexpected !== undefined) {
		return {
			message: `ThingSpace's answer had no result (${failure.unexpected})`,
			action: `A proxy, a login page or a gateway may have answered instead of ThingSpace. ${IN_DOUBT}`,
		};
	}
	if (failure.status === undefined) {
		return {
			message: 'Could not reach ThingSpace',
			action: `No answer came back, so ${IN_DOUBT.charAt(0).toLowerCase()}${IN_DOUBT.slice(1)}`,
		};
	}
	if (BY_STATUS[failure.status]) return BY_STATUS[failure.status];
	if (failure.status >= 500) {
		return {
			message: `${SERVER_FAILURES[failure.status]?.message ?? 'ThingSpace failed to process the request'} (HTTP ${failure.status})`,
			action: `${SERVER_FAILURES[failure.status] ? `${SERVER_FAILURES[failure.status].advice} ` : ''}${IN_DOUBT} Turn on "Retry on Server Errors" to let n8n send it up to ${MAX_SERVER_RETRIES} more times.`,
		};
	}
	return {
		message: `ThingSpace answered HTTP ${failure.status}`,
		action:
			'Check the node parameters against the code above; if it persists, contact Verizon ThingSpace support with it.',
	};
}

/** ThingSpace's own words for the failure, for the error description. */
export function faultLine(failure: Failure): string {
	if (failure.redirectedTo !== undefined || failure.unexpected !== undefined) return '';
	if (failure.status === undefined) {
		const tries = failure.attempts
			? ` n8n sent this request ${failure.attempts.count} time(s).`
			: '';
		return `No answer from ThingSpace: ${failure.network ?? failure.text ?? 'connection failed'}.${tries}`;
	}
	const code = failure.code ? ` [${failure.code}]` : '';
	const text = failure.text
		? `: ${failure.text.replace(/\.+$/, '')}`
		: ': no error details in the answer';
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
	// After the last send's own words (a refusal, a stopped login, a redirect): what came before it.
	if (failure.earlierInDoubt)
		lines.push(
			'An earlier send of this request got no clear answer, so ThingSpace may have applied it: check its devices before you send them again.',
		);
	const description = redact([...lines, progress].filter(Boolean).join('\n\n'));
	// Built from a plain object: the original error holds the request, and with it the tokens.
	const response: JsonObject = {
		httpCode: failure.status === undefined ? 'none' : String(failure.status),
		thingSpaceCode: failure.code ?? null,
		thingSpaceMessage: failure.text ?? null,
	};
	return new NodeApiError(node, response, {
		message: redact(message),
		description,
		httpCode: failure.status === undefined ? undefined : String(failure.status),
		itemIndex,
	});
}
