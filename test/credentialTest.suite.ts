import type { Simulator } from './simulator/thingspace-simulator';
import { freshProcess, simulatorCredentials, TestCredentialsHelper, testCredential } from './harness';
import { startSimulator } from './simulator/thingspace-simulator';
import { testClock } from './time';

describe('Credential Test button', () => {
	let sim: Simulator;

	beforeEach(async () => {
		freshProcess();
		sim = await startSimulator({ clock: testClock() });
	});

	afterEach(async () => {
		await sim.close();
	});

	const test = async (extra = {}) => {
		const data = simulatorCredentials(sim, extra);
		return await testCredential(new TestCredentialsHelper(data), data);
	};

	it('passes with good credentials, after a token call, a login and an account call', async () => {
		const result = await test();
		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(sim.count('token')).toBe(1);
		expect(sim.count('login')).toBe(1);
		expect(sim.count('subscriptions')).toBe(1);
	});

	it('says the token request failed, and why, for a wrong app secret', async () => {
		const result = await test({ appSecret: 'wrong' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/OAuth token request refused the app key and secret \(HTTP 401 \[invalid_client\]/);
		expect(sim.count('login')).toBe(0);
	});

	it('says the login failed, and why, for a wrong password, and a second test does not log in again', async () => {
		const first = await test({ password: 'wrong' });
		expect(first.status).toBe('Error');
		expect(first.message).toMatch(/Connectivity Management login refused the UWS username or password \(HTTP 400 \[[^\]]*Login\.Invalid\]/);

		const second = await test({ password: 'wrong' });
		expect(second.message).toMatch(/login not attempted/);
		expect(sim.count('login')).toBe(1);
	});

	it('reports an unknown default account', async () => {
		const result = await test({ accountName: '9999999999-00001' });
		expect(result.status).toBe('Error');
		expect(sim.count('subscriptions')).toBe(1);
	});
});
