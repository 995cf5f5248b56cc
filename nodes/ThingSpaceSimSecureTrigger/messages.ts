import { createHash, timingSafeEqual } from 'crypto';
import type { IDataObject } from 'n8n-workflow';

import { ParameterValueError, quoted } from '../shared/parameterValues';

/** One CarrierService message as the trigger emits it: never the echoed username and password. */
export interface CallbackResult extends IDataObject {
	requestId: string | null;
	/** 'Success' or 'Failed' whatever the case ThingSpace used; any other value as sent. */
	status: string | null;
	deviceIds: Array<{ kind: string; id: string }>;
	/** The same ids keyed by kind, for lookups such as {{ $json.device.ICCID }}. */
	device: Record<string, string>;
	faultCode: string | null;
	faultText: string | null;
	/** Delivery attempt of this message (callbackCount) and ThingSpace's maximum (maxCallbackThreshold). */
	attempt: number | null;
	maxAttempts: number | null;
	deviceResponse: IDataObject | null;
}

export type ResultFilter = 'all' | 'success' | 'failed';

const RESULT_FILTERS: readonly string[] = ['all', 'success', 'failed'];

/** Results as the user meant it ("Failed", " success "; empty: all). Anything else is refused: read as all, it would pass every result. */
export function resultFilter(value: unknown): ResultFilter {
	if (value === undefined || value === null) return 'all';
	const word = typeof value === 'string' ? value.trim().toLowerCase() || 'all' : undefined;
	if (word !== undefined && RESULT_FILTERS.includes(word)) return word as ResultFilter;
	throw new ParameterValueError(
		`Results must be "all", "success" or "failed", not ${quoted(value)}`,
		'Choose All, Success or Failed.',
	);
}

const text = (value: unknown): string | null =>
	typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

const count = (value: unknown): number | null => {
	const n = typeof value === 'string' ? Number(value) : value;
	return typeof n === 'number' && Number.isFinite(n) ? n : null;
};

function normaliseStatus(value: unknown): string | null {
	const status = text(value);
	if (status === null) return null;
	const lower = status.trim().toLowerCase();
	if (lower === 'success') return 'Success';
	if (lower === 'failed') return 'Failed';
	return status;
}

/**
 * The messages of one POST: ThingSpace sends one object, but an array is read as several. n8n parses
 * JSON bodies only when they are labelled JSON, so text, a Buffer or the raw body are parsed here.
 */
export function messagesOf(body: unknown, rawBody?: unknown): IDataObject[] {
	let value = parsedText(body);
	if (isEmpty(value)) value = parsedText(rawBody) ?? value;
	const list = Array.isArray(value) ? value : [value];
	return list.map((entry) =>
		entry && typeof entry === 'object' && !Array.isArray(entry) ? (entry as IDataObject) : {},
	);
}

function parsedText(value: unknown): unknown {
	const text = Buffer.isBuffer(value) ? value.toString('utf8') : value;
	if (typeof text !== 'string') return text;
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

const isEmpty = (value: unknown) =>
	value === undefined ||
	value === null ||
	(typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);

/** Constant-time comparison with the expected secret's SHA-256 (hex), so the answer time does not tell how much of a guess was right. */
function isSecret(given: unknown, expectedHash: string): boolean {
	if (typeof given !== 'string') return false;
	const expected = Buffer.from(expectedHash, 'hex');
	const digest = createHash('sha256').update(given).digest();
	return expected.length === digest.length && timingSafeEqual(digest, expected);
}

/** ThingSpace echoes the registered username and password (both the secret) in every message; `expectedHash`: the secret's SHA-256. */
export function carriesSecret(message: IDataObject, expectedHash: string): boolean {
	// Evaluate both, so a wrong username costs as long as a wrong password.
	const username = isSecret(message.username, expectedHash);
	const password = isSecret(message.password, expectedHash);
	return username && password;
}

export function toResult(message: IDataObject): CallbackResult {
	const deviceIds = (Array.isArray(message.deviceIds) ? message.deviceIds : [])
		.filter((entry): entry is IDataObject => Boolean(entry) && typeof entry === 'object')
		.map((entry) => ({ kind: (text(entry.kind) ?? '').toUpperCase(), id: text(entry.id) ?? '' }));
	const fault = (
		message.faultResponse && typeof message.faultResponse === 'object' ? message.faultResponse : {}
	) as IDataObject;
	const deviceResponse = message.deviceResponse;
	return {
		requestId: text(message.requestId),
		status: normaliseStatus(message.status),
		deviceIds,
		device: Object.fromEntries(deviceIds.map(({ kind, id }) => [kind, id])),
		faultCode: text(fault.faultcode),
		faultText: text(fault.faultstring),
		attempt: count(message.callbackCount),
		maxAttempts: count(message.maxCallbackThreshold),
		deviceResponse:
			deviceResponse && typeof deviceResponse === 'object' ? (deviceResponse as IDataObject) : null,
	};
}

/** Request IDs typed as a list (commas, spaces or new lines), or given as an array by an expression (also as JSON text). */
export function requestIdList(value: unknown): string[] {
	const list = typeof value === 'string' && value.trim().startsWith('[') ? jsonArray(value) : value;
	const parts = Array.isArray(list) ? list.map(String) : String(list ?? '').split(/[\s,;"]+/);
	return parts.map((part) => part.trim()).filter(Boolean);
}

function jsonArray(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text.replace(/[[\]]/g, ' ');
	}
}

export function passes(
	result: CallbackResult,
	filter: ResultFilter,
	requestIds: string[],
): boolean {
	// A message with a faultResponse is a failure whatever its status text says.
	const failed =
		result.status === 'Failed' || result.faultCode !== null || result.faultText !== null;
	if (filter === 'success' && (failed || result.status !== 'Success')) return false;
	if (filter === 'failed' && !failed) return false;
	return (
		requestIds.length === 0 || (result.requestId !== null && requestIds.includes(result.requestId))
	);
}

/** What makes two deliveries the same message: ThingSpace's retries repeat all three. */
export function deliveryKey(result: CallbackResult): string {
	const ids = result.deviceIds.map(({ kind, id }) => `${kind}:${id}`).sort();
	return JSON.stringify([result.requestId, ids, result.status]);
}
