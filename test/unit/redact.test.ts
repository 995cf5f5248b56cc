import { failureOf } from '../../nodes/shared/errors';
import { ERROR_TEXT_LIMIT } from '../../nodes/shared/policy';
import { quote, redact } from '../../nodes/shared/redaction';
import { secretEchoes } from '../../nodes/shared/secretEchoes';

const SECRET = `s3"cr\\et&<pa ss>'%+Q9-TAIL`;
const GUID = '7d3e2a10-55b4-4c8e-9a61-0c2f4b9e8d71';
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('redact: a secret in every form a server may echo it', () => {
	it.each([
		['as it is', SECRET],
		['JSON-escaped', JSON.stringify(SECRET)],
		['JSON-escaped twice', JSON.stringify(JSON.stringify(SECRET))],
		['with \\u escapes', JSON.stringify(SECRET).replace(/"/g, '\\u0022')],
		['URL-encoded', encodeURIComponent(SECRET)],
		['form-encoded', new URLSearchParams({ p: SECRET }).toString()],
		['URL-encoded twice', encodeURIComponent(encodeURIComponent(SECRET))],
		['HTML-escaped', html(SECRET)],
		['HTML-escaped twice', html(html(SECRET))],
		['HTML-escaped JSON', html(JSON.stringify(SECRET))],
		['base64', base64(SECRET)],
		['wrapped onto a second line', `${SECRET.slice(0, 9)}\n    ${SECRET.slice(9)}`],
		['wrapped, JSON-escaped', JSON.stringify(`${SECRET.slice(0, 9)}\r\n${SECRET.slice(9)}`)],
	])('%s', (_form, echoed) => {
		const clean = redact(`before ${echoed} after`, [SECRET]);
		expect(clean).toMatch(/^before .*\[redacted\].* after$/);
		expect(clean).not.toMatch(/TAIL|Q9|s3|cr|pa/);
	});

	it.each([0, 1, 2])('base64 of a whole request body, the secret %i bytes into a 3-byte group', (shift) => {
		// The secret starts at byte 42 + shift of the body (42 is a whole number of 3-byte groups).
		const body = `${'{"user":"bob",'.padEnd(30 + shift, ' ')}"password":"${SECRET}","n":1}`;
		expect(body.indexOf(SECRET) % 3).toBe(shift);
		const encoded = base64(body);
		const clean = redact(`dump: ${encoded}`, [SECRET]);
		expect(clean).toContain('[redacted]');
		// What is left decodes to no more than a few bytes of the secret at either end.
		const left = Buffer.from(clean.replace('dump: ', '').split('[redacted]').join(''), 'base64').toString('latin1');
		expect(left).not.toMatch(/cr|TAIL|pa ss/);
	});

	it('a wrapped Basic value and a token in a header are removed whole', () => {
		const basic = base64('demo-app-key:demo-app-secret');
		const clean = redact(`Authorization: Basic ${basic.slice(0, 20)}\n  ${basic.slice(20)}`, [basic]);
		expect(clean).toMatch(/^Authorization: .*\[redacted\]$/);
		expect(clean).not.toMatch(/ZGVt|bW8t|\n/);
		expect(failureOf({ statusCode: 429, headers: { 'retry-after': GUID } }, [GUID]).retryAfter).toBe('[redacted]');
	});

	it('leaves ordinary text alone and ignores secrets shorter than 4 characters', () => {
		expect(redact('Device not found.', ['abc', '', undefined, 42])).toBe('Device not found.');
	});

	it('quote redacts before it cuts: a secret across the cut leaves no first characters behind', () => {
		const text = `${'x'.repeat(ERROR_TEXT_LIMIT - 5)}${GUID}${'y'.repeat(1000)}`;
		const quoted = quote(text, [GUID]);
		expect(quoted).not.toContain(GUID.slice(0, 5));
		expect(quoted).toMatch(/… \(\d+ more characters\)$/);
	});

	it('quote removes a secret escaped four times over that starts just before the cut and ends far after it', () => {
		// JSON-escaped twice (the outer quotes taken off), then HTML-escaped twice.
		const echoed = html(html(JSON.stringify(JSON.stringify(SECRET)).slice(3, -3)));
		const text = `${'x'.repeat(ERROR_TEXT_LIMIT - 3)}${echoed}${'y'.repeat(10_000)}`;
		expect(echoed.length).toBeGreaterThan(2 * SECRET.length);
		const quoted = quote(text, [SECRET]);
		expect(quoted).toMatch(/^x+\[re… \(\d+ more characters\)$/);
		expect(quoted).not.toMatch(/s3|&amp;/);
	});

	it('a run of 3,000 backslashes before an echo is read in one pass, not tried in every split (it took seconds per field)', () => {
		const clean = redact(`${'\\'.repeat(3000)}${JSON.stringify(SECRET)}`, [SECRET, GUID, 'demo-uws-password!']);
		expect(clean.endsWith('[redacted]"')).toBe(true);
		expect(clean).not.toMatch(/TAIL|s3/);
	});

	it('quote searches a 5 MB text only as far as it can matter, and counts what it left out', () => {
		const quoted = quote(`${GUID} ${'z'.repeat(5 * 1024 * 1024)}`, [GUID, SECRET]);
		expect(quoted.startsWith('[redacted] zzz')).toBe(true);
		expect(quoted).toContain(`(${5 * 1024 * 1024 + 11 - ERROR_TEXT_LIMIT} more characters)`);
	});

	it("builds each secret's pattern once (it takes milliseconds, and every failed call quotes): a new token leaves the others' patterns, and each matches again every time", () => {
		const both = secretEchoes([SECRET, GUID]);
		expect(secretEchoes([SECRET, GUID]).every((pattern, n) => pattern === both[n])).toBe(true);
		const withNewToken = secretEchoes([SECRET, `${GUID}0`]);
		const ofSecret = secretEchoes([SECRET]);
		expect(ofSecret.every((pattern) => both.includes(pattern) && withNewToken.includes(pattern))).toBe(true);
		expect(withNewToken.filter((pattern) => !both.includes(pattern)).length).toBeGreaterThan(0);
		for (let time = 0; time < 3; time++) expect(redact(`a ${GUID} b ${GUID}`, [SECRET, GUID])).toBe('a [redacted] b [redacted]');
	});
});
