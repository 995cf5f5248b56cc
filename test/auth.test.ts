import type { Simulator } from './simulator/thingspace-simulator';
import type { Harness } from './harness';
import { assignParams, everythingIn, imei, imeis, itemsOf, setUp } from './fixtures';

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
		expect(again.error?.description).toMatch(/Five failed logins lock/);
		expect(again.error?.description).toMatch(/Fix the UWS Username or UWS Password/);
	});

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
