import { tokenOwner } from '../nodes/shared/loginRecord';
import { LOGIN_TIMEOUT_MS, RATE_LIMIT } from '../nodes/shared/policy';
import { assignParams, everythingIn, iccid, imei, imeis, itemsOf, simulatorPerTest } from './fixtures';
import { freshProcess, simulatorCredentials, testCredential, TestCredentialsHelper } from './harness';
import { startSimulator, type RouteName, type Simulator } from './simulator/thingspace-simulator';
import { clockOfTest, testClock } from './time';
import { TriggerHarness } from './triggerHarness';

/** Whatever n8n keeps of a run: the error (message, description, cause chain) and every output item. */
const leakable = (result: { error?: unknown; items: unknown[]; errorItems: unknown[] }) =>
	everythingIn([result.error, result.items, result.errorItems]);

describe('Hardening: proxies, misbehaving servers and odd input', () => {
	const t = simulatorPerTest();
	let other: Simulator;

	beforeEach(async () => {
		// A second origin on loopback: where a redirect points. Nothing may reach it.
		other = await startSimulator({ clock: testClock() });
	});

	afterEach(async () => {
		await other.close();
	});

	const redirectTo = (route: RouteName, status = 307) =>
		t.sim.inject({ route, status, headers: { Location: `${other.url}/api/m2m/v1/evil` }, body: {} });

	it.each<[RouteName, number]>([
		['token', 307],
		['login', 308],
		['assign', 307],
		['subscriptions', 302],
	])('a %s call answered %i is not followed: nothing reaches the other host, and the error names status and host', async (route, status) => {
		redirectTo(route, status);
		const params = route === 'subscriptions' ? { resource: 'account', operation: 'getLicenseCounts' } : assignParams({ deviceList: imei(1) });
		const result = await t.harness.run(params);

		expect(other.requests).toHaveLength(0);
		expect(result.error?.message).toContain(`HTTP ${status} to 127.0.0.1:${other.port}`);
		expect(result.error?.message).toContain('nothing was sent there');
		expect(t.sim.devicesSent('assign').size).toBe(0);
	});

	it('the credential Test and the trigger\'s listener calls do not follow a redirect either', async () => {
		const data = simulatorCredentials(t.sim);
		redirectTo('token');
		expect((await testCredential(new TestCredentialsHelper(data), data)).status).toBe('Error');
		redirectTo('subscriptions');
		expect((await testCredential(new TestCredentialsHelper(data), data)).status).toBe('Error');

		redirectTo('callbacksList');
		const trigger = new TriggerHarness(data);
		await expect(trigger.activate()).rejects.toThrow(/nothing was sent there/);
		expect(other.requests).toHaveLength(0);
		expect(t.sim.count('callbacksRegister')).toBe(0);
	});

	it(`a 429 storm with Retry-After 0 is sent at most ${RATE_LIMIT.maxAttempts} times, at least ${RATE_LIMIT.minWaitMs} ms apart, then fails saying so`, async () => {
		t.sim.inject({ route: 'assign', status: 429, headers: { 'Retry-After': '0' }, body: {}, times: Infinity });
		const result = await t.harness.run(assignParams({ deviceList: imei(2) }));

		const sends = t.sim.requests.filter((request) => request.route === 'assign');
		expect(sends).toHaveLength(RATE_LIMIT.maxAttempts);
		// Arrival stamps by the test's clock (the simulator's too): the waits were moved through, not waited for.
		for (let i = 1; i < sends.length; i++) expect(sends[i].at - sends[i - 1].at).toBeGreaterThanOrEqual(RATE_LIMIT.minWaitMs);
		expect(result.error?.message).toMatch(/limiting the rate/);
		expect(result.error?.description).toContain(`n8n sent this request ${RATE_LIMIT.maxAttempts} time(s)`);
		expect(result.error?.description).toMatch(/Refused by ThingSpace: 1 devices/);
	});

	it.each([
		['an empty 202', { status: 202, body: {} }],
		['a proxy login page answered 200', { status: 200, raw: '<html><body><form>Corporate proxy login</form></body></html>' }],
		['a 200 with no body', { status: 200 }],
	])('%s is not a success: the item fails and its devices are in doubt', async (_label, answer) => {
		t.sim.inject({ route: 'assign', ...answer });
		const result = await t.harness.run(assignParams({ deviceList: imeis(2).join(',') }));

		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/answer had no result/);
		expect(result.error?.message).toContain(`HTTP ${answer.status}`);
		expect(result.error?.description).toMatch(/In doubt \(ThingSpace may have applied them; check before resending\): 2 devices/);
	});

	it('License Counts answered 200 with an HTML page is an error that says what came back', async () => {
		t.sim.inject({ route: 'subscriptions', status: 200, raw: '<html><title>Sign in</title><body>Please sign in to continue</body></html>' });
		const result = await t.harness.run({ resource: 'account', operation: 'getLicenseCounts' });

		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toContain('HTTP 200, text/html; charset=utf-8, "Sign in Please sign in to continue"');
	});

	it.each<[RouteName, number]>([
		['token', 400],
		['login', 500],
		['assign', 500],
		['assign', 400],
	])('a %s answer %i that echoes the request leaks no secret or token into the error or the items', async (route, status) => {
		// Tokens of an earlier run are stored, so the echoed assign carries both.
		if (route === 'assign') await t.harness.run(assignParams({ deviceList: imei(3) }));
		t.sim.inject({ route, status, echo: true });
		const result = await t.harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf([imei(4)]), { continueOnFail: true });

		const stored = t.harness.credentials.stored;
		const secrets = [stored.appSecret, stored.password, stored.accessToken, stored.sessionToken, Buffer.from('demo-app-key:demo-app-secret').toString('base64')];
		const seen = leakable(result);
		expect(seen).toMatch(/Echo|redacted|HTTP/);
		for (const secret of secrets.filter(Boolean)) expect(seen).not.toContain(String(secret));
	});

	// 20,000 ids: an error that listed them would be 400 kB; the bound shows as well as with a million.
	it('error text is bounded: a 1 MB id, a 1 MB server message and a refused request of 20,000 ids', async () => {
		const huge = '3'.repeat(1024 * 1024);
		const bad = await t.harness.run(assignParams({ deviceList: huge }));
		expect(bad.error?.message.length).toBeLessThan(300);

		t.sim.inject({ route: 'assign', status: 400, body: { errorCode: 'X', errorMessage: 'y'.repeat(1024 * 1024) } });
		const big = await t.harness.run(assignParams({ deviceList: imei(5) }));
		expect(big.error?.description?.length).toBeLessThan(2000);

		t.sim.inject({ route: 'assign', status: 400, body: { errorCode: 'REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' } });
		const ids = Array.from({ length: 20_000 }, (_, i) => iccid(i));
		const many = await t.harness.run(assignParams({ deviceList: ids, deviceKind: 'ICCID', options: { maxConcurrentRequests: 1 } }));
		expect(many.error?.description).toContain('Not sent: 19900 devices');
		expect(many.error?.description?.length).toBeLessThan(2000);
		expect(t.sim.count('assign')).toBe(2);
	});

	it('after the Base URL changes, nothing stored goes to the new host: it gets a fresh login', async () => {
		await t.harness.run(assignParams({ deviceList: imei(6) }));
		const { accessToken, sessionToken } = t.harness.credentials.stored;
		expect(sessionToken).not.toBe('');

		t.harness.credentials.stored = { ...t.harness.credentials.stored, baseUrl: other.url };
		const result = await t.harness.run(assignParams({ deviceList: imei(7) }));

		expect(result.error).toBeUndefined();
		const headersSeen = JSON.stringify(other.requests.map((request) => request.headers));
		expect(headersSeen).not.toContain(String(accessToken));
		expect(headersSeen).not.toContain(String(sessionToken));
		expect(other.count('token')).toBe(1);
		expect(other.count('login')).toBe(1);
		expect(t.harness.credentials.stored.loginHost).toBe(tokenOwner(t.harness.credentials.stored));
		expect(String(t.harness.credentials.stored.loginHost).startsWith(`${other.url} `)).toBe(true);
	});

	it('after the password changes in the credential, its stored session is not used: the next run logs in with the new one', async () => {
		await t.harness.run(assignParams({ deviceList: imei(8) }));
		expect(t.sim.count('login')).toBe(1);
		// ThingSpace does not know this one: the session of the old one would have gone on working.
		const changed = `${String(t.harness.credentials.stored.password)}-changed`;
		t.harness.credentials.stored = { ...t.harness.credentials.stored, password: changed };
		const result = await t.harness.run(assignParams({ deviceList: imei(9) }));
		expect(result.error?.message).toMatch(/login refused the UWS username or password/);
		expect(t.sim.count('login')).toBe(2);
		expect(t.sim.count('assign')).toBe(1);
	});

	it(`a login that never answers is given up after ${LOGIN_TIMEOUT_MS / 1000} s, releasing every run waiting on it`, async () => {
		t.sim.inject({ route: 'login', hang: true });
		const clock = clockOfTest();
		const started = clock.now();
		const [first, second] = await Promise.all([
			t.harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(imeis(3, 10))),
			t.harness.run(assignParams({ deviceList: imei(20) })),
		]);
		// By the test's clock, which moves instead of waiting: the deadline passed, and nothing waited much longer.
		expect(clock.now() - started).toBeGreaterThanOrEqual(LOGIN_TIMEOUT_MS);
		expect(clock.now() - started).toBeLessThan(LOGIN_TIMEOUT_MS + 10_000);
		for (const result of [first, second]) expect(result.error?.message).toContain(`no answer within ${LOGIN_TIMEOUT_MS / 1000} s`);
		expect(t.sim.count('login')).toBe(1);
		expect(t.sim.count('assign')).toBe(0);
	});

	it('a licensing call that does not answer within its timeout reports its devices in doubt', async () => {
		await t.harness.run(assignParams({ deviceList: imei(8) }));
		t.sim.inject({ route: 'assign', hang: true });
		// n8n's own request timeout is real time (not the package clock): a short one, as the call never answers.
		const result = await t.harness.run(assignParams({ deviceList: imeis(2, 30).join(','), requestOptions: { timeout: 200 } }));
		expect(result.error?.message).toBe('Could not reach ThingSpace');
		expect(result.error?.description).toMatch(/In doubt .*: 2 devices/);
	});

	it('phone numbers typed by people are one device each, normalised; hex MEID and ESN are accepted', async () => {
		const result = await t.harness.run(
			assignParams({ deviceList: '312 555 1234; (312) 555-1235\n+1 312.555.1236, MEID:a0000012345678, ESN:8f0a12bc', deviceKind: 'MDN' }),
		);
		expect(result.error).toBeUndefined();
		const [request] = t.sim.requests.filter((entry) => entry.route === 'assign');
		expect((request.body as { devices: unknown[] }).devices).toEqual([
			{ deviceIds: [{ id: '3125551234', kind: 'MDN' }] },
			{ deviceIds: [{ id: '3125551235', kind: 'MDN' }] },
			{ deviceIds: [{ id: '3125551236', kind: 'MDN' }] },
			{ deviceIds: [{ id: 'A0000012345678', kind: 'MEID' }] },
			{ deviceIds: [{ id: '8F0A12BC', kind: 'ESN' }] },
		]);
	});
});

describe('Hardening: the trigger\'s activation under a 429 storm', () => {
	it(`is sent at most ${RATE_LIMIT.maxAttempts} times, then fails`, async () => {
		freshProcess();
		const sim = await startSimulator({ clock: testClock() });
		try {
			sim.inject({ route: 'callbacksList', status: 429, headers: { 'Retry-After': '-1' }, body: {}, times: Infinity });
			const trigger = new TriggerHarness(simulatorCredentials(sim));
			await expect(trigger.activate()).rejects.toThrow(/limiting the rate/);
			expect(sim.count('callbacksList')).toBe(RATE_LIMIT.maxAttempts);
		} finally {
			await sim.close();
		}
	});
});

