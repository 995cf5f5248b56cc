'use strict';
// Misbehaving servers that quote the request back in their error, in the forms a secret then takes:
// JSON-escaped in a JSON message, HTML-escaped in an error page, wrapped onto lines, or in a response header.

const escapeHtml = (text) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');

/** Lines of at most `width` characters, as a log or a mail wraps a long value. */
const wrap = (text, width) => text.match(new RegExp(`[^]{1,${width}}`, 'g')).join('\n  ');

/** The request's credentials: its Authorization value (Basic or Bearer) and its session token. */
function credentialsOf(headers) {
	return { authorization: headers.authorization || '', session: headers['vz-m2m-token'] || '' };
}

/**
 * The answer of an echo rule. `mode`: true or 'dump' (method, path, headers and body in a JSON message),
 * 'body' (the raw body first, JSON-escaped by the answer's JSON), 'html' (an error page quoting the body
 * and credentials HTML-escaped), 'wrapped' (credentials and body wrapped onto lines of 24 characters).
 */
function echoAnswer(mode, { method, path, headers, rawBody }) {
	const { authorization, session } = credentialsOf(headers);
	if (mode === 'body') return { body: { errorCode: 'Echo.Body', errorMessage: `Rejected request body: ${rawBody}` } };
	if (mode === 'html') {
		const page = `<html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1><p>Body: ${escapeHtml(rawBody)}</p><p>Authorization: ${escapeHtml(authorization)}</p><p>Session: ${escapeHtml(session)}</p></body></html>`;
		return { raw: page };
	}
	if (mode === 'wrapped') {
		const quoted = [authorization, session, rawBody].filter(Boolean).map((value) => wrap(value, 24));
		return { body: { errorCode: 'Echo.Wrapped', errorMessage: `Rejected:\n  ${quoted.join('\n  ')}` } };
	}
	const dump = `${method} ${path} headers=${JSON.stringify(headers)} body=${rawBody}`;
	return { body: { errorCode: 'Echo.Request', errorMessage: dump, request: { headers, body: rawBody } } };
}

/** A response header that repeats the request's session token (its Authorization value when it has none). */
function echoHeader(name, headers) {
	const { authorization, session } = credentialsOf(headers);
	return { [name]: session || authorization };
}

module.exports = { echoAnswer, echoHeader };
