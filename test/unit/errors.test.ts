import { cut, readFault, redact } from '../../nodes/shared/redaction';
import { failureOf, faultLine, isSessionRejected, thrownFailure } from '../../nodes/shared/errors';

describe('errors: reading ThingSpace failures', () => {
	it('reads the code and text of every documented body shape', () => {
		expect(readFault({ errorCode: 'A.B', errorMessage: 'Text.' })).toEqual({ code: 'A.B', text: 'Text.' });
		expect(readFault({ fault: { code: 900901, message: 'Invalid Credentials' } })).toEqual({ code: '900901', text: 'Invalid Credentials' });
		expect(readFault({ error: 'invalid_client', error_description: 'Bad client' })).toEqual({ code: 'invalid_client', text: 'Bad client' });
		expect(readFault('{"errorCode":"X","errorMessage":"Y"}')).toEqual({ code: 'X', text: 'Y' });
		expect(readFault('<html><body><h1>502 Bad Gateway</h1></body></html>')).toEqual({ code: undefined, text: '502 Bad Gateway' });
		expect(readFault('')).toEqual({ code: undefined, text: undefined });
		expect(readFault(undefined)).toEqual({ code: undefined, text: undefined });
	});

	it('keeps Retry-After and recognises a refused session', () => {
		const failure = failureOf({ statusCode: 429, headers: { 'retry-after': '7' }, body: { errorCode: 'Throttled' } });
		expect(failure).toEqual({ status: 429, code: 'Throttled', text: undefined, retryAfter: '7' });
		expect(faultLine(failure)).toBe('ThingSpace error [Throttled] (HTTP 429): no error details in the answer. Retry-After: 7.');
		expect(isSessionRejected(failureOf({ statusCode: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired' } }))).toBe(true);
		expect(isSessionRejected(failureOf({ statusCode: 400, body: { errorCode: 'UnifiedWebService.INPUT_INVALID.Device.Kind.Invalid' } }))).toBe(false);
	});

	it('tells a refused credential from a lost connection', () => {
		expect(thrownFailure({ message: 'ThingSpace credential: login not attempted', description: 'why' })).toEqual({
			auth: { message: 'ThingSpace credential: login not attempted', description: 'why' },
		});
		expect(thrownFailure({ message: 'socket hang up', code: 'ECONNRESET' })).toEqual({ network: 'ECONNRESET', text: 'socket hang up' });
	});

	it('redacts secrets by value and by form: Basic and Bearer headers, password and token fields', () => {
		const echoed = 'POST /login headers={"authorization":"Bearer abc.def-123","vz-m2m-token":"5f7e0d1c"} body={"username":"u","password":"hunter2!"} Basic ZGVtbzpzZWNyZXQ= sessionToken=tok-9';
		const clean = redact(echoed, ['s3cret-value']);
		for (const secret of ['abc.def-123', '5f7e0d1c', 'hunter2!', 'ZGVtbzpzZWNyZXQ=', 'tok-9']) expect(clean).not.toContain(secret);
		expect(redact('key s3cret-value here', ['s3cret-value'])).toBe('key [redacted] here');
		expect(failureOf({ statusCode: 500, body: { errorCode: 'E', errorMessage: 'echo s3cret-value' } }, ['s3cret-value']).text).toBe('echo [redacted]');
	});

	it('bounds quoted server text', () => {
		expect(cut('y'.repeat(1000))).toBe(`${'y'.repeat(300)}… (700 more characters)`);
		expect(readFault({ errorMessage: 'z'.repeat(10_000) }).text?.length).toBeLessThan(400);
	});

	it("ends ThingSpace's sentence with one full stop", () => {
		expect(faultLine({ status: 406, code: 'X', text: 'Not acceptable.' })).toBe('ThingSpace error [X] (HTTP 406): Not acceptable.');
	});
});
