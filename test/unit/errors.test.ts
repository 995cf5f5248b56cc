import { readFault } from '../../nodes/shared/text';
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
});
