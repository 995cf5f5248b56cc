import type { Harness } from './harness';
import type { Simulator } from './simulator/thingspace-simulator';
import { assignParams, imei, imeis, setUp, simulatorPerTest } from './fixtures';

describe('Errors: every documented status becomes a clear n8n error with ThingSpace\'s code', () => {
	const t = simulatorPerTest();

	it.each([
		[400, { errorCode: 'UnifiedWebService.INPUT_INVALID.Device.Identifier.Invalid', errorMessage: 'Device identifier is invalid.' }, /rejected the request as invalid/, 'UnifiedWebService.INPUT_INVALID.Device.Identifier.Invalid', /account name, the SKU and the device ids/i],
		[403, { errorCode: 'UnifiedWebService.REQUEST_FAILED.AccountName', errorMessage: 'User is not tied to account.' }, /refused access/, 'REQUEST_FAILED.AccountName', /UWS user may manage this billing account/],
		[404, { errorCode: 'UnifiedWebService.REQUEST_FAILED.AccountNotFound', errorMessage: 'Account not found.' }, /could not find the account/, 'AccountNotFound', /leading zeros/],
		[406, { errorCode: 'UnifiedWebService.INPUT_INVALID.Format', errorMessage: 'Request unacceptable.' }, /could not accept the format/, 'INPUT_INVALID.Format', /report it/],
		[429, { errorCode: 'TooManyRequests', errorMessage: 'Rate limit exceeded.' }, /limiting the rate/, 'TooManyRequests', /longer than the node waits/],
		[500, { errorCode: 'UnifiedWebService.REQUEST_FAILED.UnexpectedError', errorMessage: 'Unexpected error.' }, /failed to process the request \(HTTP 500\)/, 'UnexpectedError', /may or may not have applied/],
		[502, { errorCode: 'Gateway', errorMessage: 'Upstream failed.' }, /bad gateway\) \(HTTP 502\)/, 'Gateway', /usually brief\. ThingSpace may or may not have applied/],
		[503, { errorCode: 'Unavailable', errorMessage: 'Down for maintenance.' }, /^ThingSpace is temporarily unavailable \(HTTP 503\)/, 'Unavailable', /Try again later\. ThingSpace may or may not have applied/],
		[504, { errorCode: 'Timeout', errorMessage: 'Upstream timed out.' }, /gateway timeout\) \(HTTP 504\)/, 'Timeout', /may or may not have applied/],
		[418, { errorCode: 'Teapot', errorMessage: 'Odd.' }, /answered HTTP 418/, 'Teapot', /Verizon ThingSpace support/],
	])('HTTP %i', async (status, body, message, code, action) => {
		// A Retry-After beyond the node's 2-minute budget: it gives up at once instead of waiting.
		t.sim.inject({ route: 'assign', status, body, headers: status === 429 ? { 'Retry-After': '3600' } : undefined });
		const result = await t.harness.run(assignParams({ deviceList: imei(1) }));

		expect(result.error?.message).toMatch(message);
		expect(result.error?.httpCode).toBe(String(status));
		expect(result.error?.description).toContain(code);
		expect(result.error?.description).toContain(body.errorMessage);
		expect(result.error?.description).toMatch(action);
		if (status === 429) expect(result.error?.description).toContain('Retry-After: 3600. n8n sent this request 1 time(s)');
	});

	it('a throttled run (429 with Retry-After, several times) finishes with every device sent exactly once', async () => {
		t.sim.inject({ route: 'assign', status: 429, body: { errorCode: 'Throttled' }, headers: { 'Retry-After': '0' }, times: 3, after: 1 });
		const ids = imeis(250);
		const result = await t.harness.run(assignParams({ deviceList: ids.join(',') }));

		expect(result.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(6);
		const sent = t.sim.devicesSent('assign');
		expect(ids.every((id) => sent.get(id) === 1)).toBe(true);
		expect(result.items[0].json.requestCount).toBe(3);
	});

	it('a 429 without Retry-After is retried after a backoff', async () => {
		t.sim.inject({ route: 'assign', status: 429, raw: 'Too Many Requests' });
		const result = await t.harness.run(assignParams({ deviceList: imei(1) }));
		expect(result.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(2);
	});

	it('HTTP 401 that survives a fresh login says the credentials are not accepted', async () => {
		t.sim.inject({ route: 'assign', status: 401, body: { fault: { code: '900901', message: 'Invalid Credentials' } }, times: 2 });
		const result = await t.harness.run(assignParams({ deviceList: imei(1) }));

		expect(t.sim.count('assign')).toBe(2);
		expect(result.error?.message).toMatch(/did not accept the credentials, even after a fresh login/);
		expect(result.error?.description).toContain('900901');
		expect(result.error?.description).toContain('Invalid Credentials');
	});

	it.each([
		['gateway fault', { fault: { code: 900906, message: 'No matching resource found' } }, undefined, ['900906', 'No matching resource found']],
		['OAuth error', { error: 'invalid_request', error_description: 'Missing parameter' }, undefined, ['invalid_request', 'Missing parameter']],
		['XML page', undefined, '<am:fault><am:code>900800</am:code><am:message>Message throttled out</am:message></am:fault>', ['900800', 'Message throttled out']],
		['empty body', undefined, '', ['no error details']],
	])('reads ThingSpace\'s code from a %s', async (_label, body, raw, expected) => {
		t.sim.inject({ route: 'assign', status: 400, body, raw });
		const result = await t.harness.run(assignParams({ deviceList: imei(1) }));
		for (const text of expected) expect(result.error?.description).toContain(text);
	});

	it('when a later request fails, the error lists the accepted requestIds and the devices not sent', async () => {
		t.sim.inject({ route: 'assign', status: 400, body: { errorCode: 'REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' }, after: 1 });
		const ids = imeis(250);
		// One request at a time, so the third request would start only after the second one failed.
		const result = await t.harness.run(assignParams({ deviceList: ids.join(','), options: { maxConcurrentRequests: 1 } }));

		const accepted = t.sim.requests.filter((request) => request.route === 'assign' && request.status === 200);
		expect(accepted).toHaveLength(1);
		expect(t.sim.count('assign')).toBe(2);
		const description = result.error?.description ?? '';
		expect(description).toMatch(/Already accepted by ThingSpace \(do not send again\): requestId [0-9a-f-]{36} \(100 devices\)/);
		expect(description).toContain(`Refused by ThingSpace: 100 devices: IMEI ${ids[100]}`);
		expect(description).toContain(`Not sent: 50 devices: IMEI ${ids[200]}`);
		// Bounded: the first few devices of each list, then how many more.
		expect(description).toContain(`IMEI ${ids[204]} and 45 more`);
		expect(description).not.toContain(ids[249]);
		expect(description).not.toContain(ids[99]);
	});

	it('a lost connection marks the devices as in doubt', async () => {
		t.sim.inject({ route: 'assign', destroy: true });
		const result = await t.harness.run(assignParams({ deviceList: imeis(2).join(',') }));
		expect(result.error?.message).toMatch(/Could not reach ThingSpace/);
		expect(result.error?.description).toMatch(/In doubt/);
	});
});

describe('Bad device input: a clear error and no request', () => {
	let sim: Simulator;
	let harness: Harness;

	beforeAll(async () => {
		({ sim, harness } = await setUp());
	});

	afterAll(async () => {
		await sim.close();
	});

	const wrongCheckDigit = imei(1).slice(0, 14) + String((Number(imei(1)[14]) + 1) % 10);

	it.each([
		['letters in an id', '35693803A000012', 'IMEI', /Device 1, identifier 1: IMEI "35693803A000012" must contain digits only/],
		['an IMEI of 14 digits', imei(1).slice(0, 14), 'IMEI', /IMEI \d{14} has 14 digits/],
		['an IMEI with a wrong check digit', wrongCheckDigit, 'IMEI', /wrong check digit \(Luhn\): the last digit should be/],
		['an ICCID of 18 digits', '891480000041000001', 'ICCID', /ICCID \d+ has 18 digits/],
		['an unknown kind', imei(1), 'SERIAL', /kind "SERIAL" is not a ThingSpace identifier kind/],
		['a duplicate device', `${imei(1)},${imei(2)},${imei(1)}`, 'IMEI', /Device 3, identifier 1: IMEI \d+ is already listed as device 1/],
		['no devices (an empty list from an expression)', '={{ [] }}', 'IMEI', /No devices given/],
		['an ICCID given as a number', '={{ [89148000004100000010] }}', 'ICCID', /lost digits/],
	])('%s', async (_label, deviceList, deviceKind, message) => {
		sim.reset();
		const result = await harness.run(assignParams({ deviceList, deviceKind }));
		expect(result.error?.message).toMatch(message);
		expect(result.error?.message).toContain('[item 0]');
		expect(result.error?.description).toContain('Nothing was sent');
		expect(sim.requests).toHaveLength(0);
	});

	it('sends an id with a wrong check digit when "Verify Check Digits" is off, but still checks its length', async () => {
		sim.reset();
		const ok = await harness.run(assignParams({ deviceList: wrongCheckDigit, options: { verifyCheckDigits: false } }));
		expect(ok.error).toBeUndefined();
		expect(sim.count('assign')).toBe(1);

		const short = await harness.run(assignParams({ deviceList: '12345', options: { verifyCheckDigits: false } }));
		expect(short.error?.message).toMatch(/has 5 digits/);
		expect(sim.count('assign')).toBe(1);
	});
});
