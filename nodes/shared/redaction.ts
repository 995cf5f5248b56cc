import type { IDataObject } from 'n8n-workflow';

import { ERROR_TEXT_LIMIT, LISTED_DEVICES_LIMIT, REDACT_REACH } from './policy';
import { longestEchoed, secretEchoes } from './secretEchoes';

/**
 * What a ThingSpace answer may put into an error: read whatever the body shape, stripped of
 * secrets (also inside echoed requests and header dumps), and bounded in size.
 */

/**
 * Values and header forms that never leave in an error: the credential's secrets and the live tokens,
 * in every form a server may echo them (secretEchoes). Redact first, cut after: a cut could split a
 * secret and leave its first characters unmatched.
 */
export function redact(text: string, secrets: unknown[] = []): string {
	let out = text;
	for (const echoes of secretEchoes(secrets)) out = out.replace(echoes, '[redacted]');
	return out
		.replace(/\b(Basic|Bearer)(\s+|%20)[A-Za-z0-9._~+/=%-]+/gi, '$1 [redacted]')
		.replace(
			/("|')?\b(password|username|appSecret|app_secret|client_secret|access_token|accessToken|sessionToken|session_token|vz-m2m-token|authorization)\1?(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}]+)/gi,
			'$1$2$1$3"[redacted]"',
		);
}

/** At most `limit` characters, saying how many were left out. */
export function cut(text: string, limit = ERROR_TEXT_LIMIT): string {
	if (text.length <= limit) return text;
	return `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}

/** The first few entries of a list, then "and N more". */
export function firstFew(entries: string[], limit = LISTED_DEVICES_LIMIT): string {
	if (entries.length <= limit) return entries.join(', ');
	return `${entries.slice(0, limit).join(', ')} and ${entries.length - limit} more`;
}

/**
 * Server text as an error quotes it: free of secrets first, then cut to `limit`. It is searched only as far
 * as an echo that starts before the cut can reach (REDACT_REACH): with six secrets, searching takes about a
 * millisecond per thousand characters, and a 429 or an error page may be large.
 */
export function quote(text: string, secrets: unknown[] = [], limit = ERROR_TEXT_LIMIT): string {
	const reach =
		limit +
		Math.max(REDACT_REACH.minChars, REDACT_REACH.charsPerSecretChar * longestEchoed(secrets));
	const scanned = text.length > reach ? text.slice(0, reach) : text;
	const clean = redact(scanned, secrets);
	const left = clean.length - limit + (text.length - scanned.length);
	return left > 0 ? `${clean.slice(0, limit)}… (${left} more characters)` : clean;
}

/** A body as an object: JSON as it is, JSON text parsed, any other text (an HTML page) as its words. */
export function asObject(body: unknown): IDataObject {
	if (body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body))
		return body as IDataObject;
	if (Buffer.isBuffer(body)) return asObject(body.toString('utf8'));
	if (typeof body === 'string') {
		if (body.trim() === '') return {};
		try {
			const parsed: unknown = JSON.parse(body);
			if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
				return parsed as IDataObject;
		} catch {
			// not JSON: keep the text
		}
		return { text: pageWords(body) };
	}
	return {};
}

/** The words of a page, not its markup (not cut: it is quoted, secrets removed, where it is used). */
export function pageWords(body: string): string {
	return body
		.replace(/<[^>]*>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
}

/**
 * ThingSpace's own error code and text, whichever body shape came back: M2M `{errorCode, errorMessage}`,
 * gateway `{fault: {code, message}}`, OAuth `{error, error_description}`, or text that is not JSON;
 * free of `secrets` and bounded.
 */
export function readFault(
	body: unknown,
	secrets: unknown[] = [],
): { code?: string; text?: string } {
	const object = asObject(body);
	const fault = (
		object.fault && typeof object.fault === 'object' ? object.fault : {}
	) as IDataObject;
	const code =
		object.errorCode ?? (typeof object.error === 'string' ? object.error : undefined) ?? fault.code;
	const text =
		object.errorMessage ??
		object.error_description ??
		fault.message ??
		fault.description ??
		object.text;
	const plain = (value: unknown) =>
		value === undefined || value === null
			? undefined
			: quote(typeof value === 'string' ? value : JSON.stringify(value), secrets);
	return { code: plain(code), text: plain(text) };
}

/** "[code] text" for a refused call, or "with no error details"; free of `secrets`. */
export function explainFault(body: unknown, secrets: unknown[] = []): string {
	const { code, text } = readFault(body, secrets);
	if (code === undefined && text === undefined) return 'with no error details';
	return `${code !== undefined ? `[${code}] ` : ''}${text ?? ''}`.trim().replace(/\.$/, '');
}

/** What came back instead of the expected answer: status, content type and the first characters, free of `secrets`. */
export function describeAnswer(
	status: number,
	headers: Record<string, unknown> | undefined,
	body: unknown,
	secrets: unknown[] = [],
): string {
	const type = quote(String(headers?.['content-type'] ?? 'no content type'), secrets, 80);
	const text =
		body === undefined || body === null || body === ''
			? 'an empty body'
			: `"${quote(typeof body === 'string' ? pageWords(body) : JSON.stringify(body), secrets, 120)}"`;
	return `HTTP ${status}, ${type}, ${text}`;
}
