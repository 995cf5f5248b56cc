import { IN_FLIGHT, LOGIN_TIMEOUT_MS } from '../nodes/shared/policy';
import type { InjectRule, Simulator } from './simulator/thingspace-simulator';
import type { Harness } from './harness';
import { assignParams, everythingIn, imei, imeis, itemsOf, setUp } from './fixtures';
import { clockOfTest } from './time';

const EXPIRED = {
	errorCode: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired',
	errorMessage: 'The Session has expired.',
};

describe('Credential: token, session, refresh and lockout through n8n', () => {
	let sim: Simulator;
	let harness: Harness;

	afterEach(async () => {
		await sim.close();
	});

	it('50 items with no stored token make exactly 1 token call and 1 login, and the tokens are kept', async () => {
		({ sim, harness } = await setUp());
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(imeis(50)));

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(50);
		expect(sim.count('token')).toBe(1);
		expect(sim.count('login')).toBe(1);
		expect(sim.count('assign')).toBe(1);
		expect(harness.credentials.stored.sessionToken).toMatch(/^[0-9a-f-]{36}$/);
		expect(harness.credentials.stored.accessToken).not.toBe('');

		// A second run reuses the stored tokens: no auth call at all.
		await harness.run(assignParams({ deviceList: imei(900) }));
		expect(sim.count('token')).toBe(1);
		expect(sim.count('login')).toBe(1);
	});

	it.each([401, 400])(
		'a session that expires mid-run (HTTP %i) costs one re-login; the call is retried and every device is sent once',
		async (status) => {
			({ sim, harness } = await setUp({ expiredSessionStatus: status }));
			await harness.run(assignParams({ deviceList: imei(999) }));
			sim.reset();

			// The second of three requests meets an expired session.
			sim.inject({ route: 'assign', status, body: EXPIRED, after: 1 });
			const ids = imeis(250);
			const result = await harness.run(assignParams({ deviceList: ids.join('\n') }));

			expect(result.error).toBeUndefined();
			expect(sim.count('login')).toBe(1);
			const sent = sim.devicesSent('assign');
			expect(ids.every((id) => sent.get(id) === 1)).toBe(true);
			expect(result.items[0].json.requestCount).toBe(3);
		},
	);

	it.each([401, 400])(
		'a stored session that expired between runs (HTTP %i) is replaced once for many items',
		async (status) => {
			({ sim, harness } = await setUp({ expiredSessionStatus: status }));
			await harness.run(assignParams({ deviceList: imei(998) }));
			sim.expireSessions();
			sim.reset();

			const ids = imeis(20);
			const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(ids));

			expect(result.error).toBeUndefined();
			expect(sim.count('login')).toBe(1);
			const sent = sim.devicesSent('assign');
			expect(ids.every((id) => sent.get(id) === 1)).toBe(true);
		},
	);

	it('a session refused again right after a fresh login: the error says so, and that the request went out twice', async () => {
		({ sim, harness } = await setUp());
		await harness.run(assignParams({ deviceList: imei(997) }));
		sim.reset();
		sim.inject({ route: 'assign', status: 401, body: EXPIRED, times: 2 });

		const result = await harness.run(assignParams({ deviceList: imei(996) }));
		expect(sim.count('login')).toBe(1);
		expect(sim.count('assign')).toBe(2);
		expect(result.error?.message).toMatch(/did not accept the credentials, even after a fresh login/);
		expect(result.error?.description).toContain('n8n sent this request 2 time(s)');
	});

	it('a wrong password with 20 items makes exactly 1 login attempt, and later runs make none', async () => {
		({ sim, harness } = await setUp({}, { password: 'wrong-password' }));
		const result = await harness.run(
			assignParams({ deviceList: '={{ $json.sims }}' }),
			itemsOf(imeis(20)),
			{ continueOnFail: true },
		);

		expect(sim.count('login')).toBe(1);
		expect(sim.count('assign')).toBe(0);
		expect(result.items).toHaveLength(20);
		const first = result.items[0].json as { error?: string };
		expect(first.error).toMatch(/login/i);

		const again = await harness.run(assignParams({ deviceList: imei(1) }));
		expect(sim.count('login')).toBe(1);
		expect(again.error?.message).toMatch(/^ThingSpace credential: login not attempted/);
		expect(again.error?.message).toMatch(/Login\.Invalid/);
		expect(again.error?.description).toMatch(/Five failed logins in a row lock/);
		expect(again.error?.description).toMatch(/Fix the UWS Username or UWS Password/);
	});

	it('a login answered with the very session ThingSpace keeps refusing is used once, not repeated in a loop', async () => {
		// OAuth re-issues the same token within its hour; here the login, too, answers the same session every time.
		({ sim, harness } = await setUp({ reuseSessionToken: true }));
		await harness.run(assignParams({ deviceList: imei(995) }));
		sim.reset();
		sim.inject({ route: 'assign', status: 401, body: EXPIRED, times: Infinity });

		const result = await harness.run(assignParams({ deviceList: imei(994) }));
		expect(sim.count('login')).toBe(1);
		expect(sim.count('assign')).toBe(2);
		expect(result.error?.message).toMatch(/did not accept the credentials, even after a fresh login/);
	}, 10_000);

	it.each([false, true])(
		`a 401 that no login cures, 10 uncombined items (same session from every login: %s): a fresh session refused at its first use stops the run's logins, and the run says why`,
		async (reuseSessionToken) => {
			({ sim, harness } = await setUp({ reuseSessionToken }));
			sim.inject({ route: 'assign', status: 401, body: EXPIRED, times: Infinity });
			const result = await harness.run(
				assignParams({ deviceList: '={{ $json.sims }}', options: { combineItems: false } }),
				itemsOf(imeis(10, 600)),
				{ continueOnFail: true },
			);

			// The run's first login, then one fresh login after the refusal: its session refused too, the run stops logging in.
			expect(sim.count('login')).toBe(2);
			// The requests in flight (before any is accepted: IN_FLIGHT.start), each sent with the first session and once
			// with the fresh one; the rest is not sent (a fresh login per request would be 20 sends and 10 logins).
			expect(sim.count('assign')).toBeLessThanOrEqual(2 * IN_FLIGHT.start);
			const errors = result.items.map((item) => item.json.error as string);
			expect(errors).toHaveLength(10);
			expect(errors.every(Boolean)).toBe(true);
			expect(errors.filter((error) => /^ThingSpace refuses every new session/.test(error)).length).toBeGreaterThan(0);
			expect(errors[9]).toMatch(new RegExp(`after this run's 2 logins \\(HTTP 401 \\[UnifiedWebService\\.REQUEST_FAILED\\.SessionToken\\.Expired\\]\\), so the node stopped logging in`));
			const description = String(result.items[9].json.description);
			expect(description).toMatch(/UWS username and password are right/);
			// Its device was refused with its request, or not sent at all once the run stopped.
			expect(description).toMatch(/(Refused by ThingSpace|Not sent): 1 devices/);
			for (const item of result.items) expect((item.json.devicesRefused as unknown[]).length + (item.json.devicesNotSent as unknown[]).length).toBe(1);
		},
		10_000,
	);

	it.each<[string, Partial<InjectRule>]>([
		['408', { status: 408, body: {} }],
		['404 (gateway fault)', { status: 404, body: { fault: { code: '900906', message: 'No matching resource found' } } }],
		["403 from a proxy's HTML page", { status: 403, raw: '<html><body>Access denied by proxy</body></html>' }],
		['400 gateway fault', { status: 400, body: { fault: { code: '900906', message: 'No matching resource found' } } }],
		['502', { status: 502, body: {} }],
		['no answer (connection dropped)', { destroy: true }],
	])('a login answered %s is transient: not held as a refused password, the next run logs in', async (_label, answer) => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'login', ...answer });
		const failed = await harness.run(assignParams({ deviceList: imei(30) }));
		expect(failed.error?.message).toMatch(/^ThingSpace credential: (the Connectivity Management login failed|could not reach ThingSpace for the Connectivity Management login)/);
		expect(failed.error?.description).toMatch(/says nothing about the password/);

		const next = await harness.run(assignParams({ deviceList: imei(31) }));
		expect(next.error).toBeUndefined();
		expect(sim.count('login')).toBe(2);
		expect(sim.count('assign')).toBe(1);
	});

	it("a login answered 408 once: n8n's Retry On Fail logs in again and the run succeeds", async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'login', status: 408, body: {} });
		// n8n's shortest wait between tries (0 means its default of 1 s).
		const result = await harness.run(assignParams({ deviceList: imei(34) }), [{ json: {} }], { retryOnFail: true, maxTries: 2, waitBetweenTries: 1 });
		expect(result.error).toBeUndefined();
		expect(sim.count('login')).toBe(2);
		expect(sim.count('assign')).toBe(1);
	});

	it('a retry after a 502 whose fresh login is refused: the devices stay in doubt, and the error says why', async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'assign', status: 502, raw: 'Bad Gateway' });
		sim.inject({ route: 'assign', status: 401, body: EXPIRED });
		sim.inject({ route: 'login', status: 401, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.Login.Invalid', errorMessage: 'Invalid username or password.' }, after: 1 });
		const result = await harness.run(assignParams({ deviceList: imeis(2, 40).join(','), options: { retryServerErrors: true } }));
		expect(sim.count('assign')).toBe(2);
		expect(result.error?.description).toMatch(/An earlier send of this request got no clear answer, so ThingSpace may have applied it/);
		expect(result.error?.description).toMatch(/2 devices in doubt/);
	});

	it('a 401 login with a UWS error code is held as a refused password', async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'login', status: 401, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.Login.Invalid', errorMessage: 'Invalid username or password.' } });
		await harness.run(assignParams({ deviceList: imei(32) }));
		const again = await harness.run(assignParams({ deviceList: imei(33) }));
		expect(again.error?.message).toMatch(/^ThingSpace credential: login not attempted/);
		expect(sim.count('login')).toBe(1);
	});

	it.each(['token', 'login'] as const)(
		`a %s answer that trickles in byte by byte is given up ${LOGIN_TIMEOUT_MS / 1000} s after the call started (the clock moved, not waited for)`,
		async (route) => {
			({ sim, harness } = await setUp());
			// A byte a second: the answer (over 50 bytes) would take about a minute; no silence ever reaches an idle timeout.
			sim.inject({ route, trickleMs: 1000 });
			const clock = clockOfTest();
			const started = clock.now();
			const result = await harness.run(assignParams({ deviceList: imei(40) }));

			expect(result.error?.message).toContain(`no answer within ${LOGIN_TIMEOUT_MS / 1000} s`);
			// Given up at the deadline, long before the answer would have ended.
			expect(clock.now() - started).toBeGreaterThanOrEqual(LOGIN_TIMEOUT_MS);
			expect(clock.now() - started).toBeLessThan(LOGIN_TIMEOUT_MS + 5_000);
			expect(sim.count('assign')).toBe(0);
		},
	);

	it('a corrected password is tried at once', async () => {
		({ sim, harness } = await setUp({}, { password: 'wrong-password' }));
		await harness.run(assignParams({ deviceList: imei(1) }));
		harness.credentials.stored = { ...harness.credentials.stored, password: 'demo-uws-password' };

		const result = await harness.run(assignParams({ deviceList: imei(1) }));
		expect(result.error).toBeUndefined();
		expect(sim.count('login')).toBe(2);
	});

	it('a wrong app secret says the token request failed, not the login', async () => {
		({ sim, harness } = await setUp({}, { appSecret: 'not-the-secret' }));
		const result = await harness.run(assignParams({ deviceList: imei(1) }));

		expect(result.error?.message).toMatch(/OAuth token request refused the app key and secret \(HTTP 401 \[invalid_client\]/);
		expect(result.error?.description).toMatch(/App Key and App Secret/);
		expect(sim.count('login')).toBe(0);
	});

	it('never sends the tokens to a plain-http host that is not this machine', async () => {
		({ sim, harness } = await setUp({}, { baseUrl: 'http://thingspace.example.com' }));
		const result = await harness.run(assignParams({ deviceList: imei(1) }));
		expect(result.error?.message).toMatch(/must use https/);
		expect(sim.requests).toHaveLength(0);
	});

	it('no secret or token appears in output items or errors', async () => {
		({ sim, harness } = await setUp());
		const ok = await harness.run(assignParams({ deviceList: imeis(3).join(',') }));
		sim.inject({ route: 'assign', status: 400, body: { errorCode: 'X', errorMessage: 'bad' } });
		const failed = await harness.run(assignParams({ deviceList: imei(7) }));
		sim.inject({ route: 'assign', status: 500, raw: '<html>boom</html>' });
		const continued = await harness.run(assignParams({ deviceList: imei(8) }), [{ json: {} }], { continueOnFail: true });
		const secrets = [
			'demo-app-key',
			'demo-app-secret',
			'demo-uws-password',
			String(harness.credentials.stored.sessionToken),
			String(harness.credentials.stored.accessToken),
			Buffer.from('demo-app-key:demo-app-secret').toString('base64'),
		];
		const text = everythingIn([ok.items, failed.error, failed.run.data.resultData, continued.items, continued.run.data.resultData]);
		expect(failed.error).toBeDefined();
		for (const secret of secrets) expect(text).not.toContain(secret);
	});
});
