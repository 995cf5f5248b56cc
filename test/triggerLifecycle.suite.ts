import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';

import { freshProcess, simulatorCredentials } from './harness';
import { everythingIn } from './fixtures';
import { startSimulator, type Simulator } from './simulator/thingspace-simulator';
import { testClock } from './time';
import { TriggerHarness } from './triggerHarness';

/** A listener secret that a misbehaving server echoes back. */
const ECHOED = 'listener-shared-secret-0042';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const OTHER = { url: 'https://crm.example.com/thingspace/results', username: 'crm', password: 'crm-secret' };

describe('Trigger lifecycle: the CarrierService listener, registered on activation through n8n-core', () => {
	let sim: Simulator;
	let trigger: TriggerHarness;

	beforeEach(async () => {
		freshProcess();
		sim = await startSimulator({ clock: testClock() });
		trigger = new TriggerHarness(simulatorCredentials(sim));
	});

	afterEach(async () => {
		await sim.close();
	});

	const listener = () => sim.state.callbacks.get('CarrierService');

	it('activation registers the production webhook URL with a generated secret as username and password', async () => {
		await trigger.activate();

		const registered = listener();
		expect(registered?.url).toBe(trigger.webhookUrl);
		expect(registered?.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
		expect(registered?.username).toBe(registered?.password);
		// n8n keeps static data in plain text (database, exports): only the secret's hash is kept there.
		expect(trigger.state.secretHash).toBe(sha256(String(registered?.password)));
		expect(JSON.stringify(trigger.staticData)).not.toContain(String(registered?.password));
		expect(trigger.state.listenerUrl).toBe(trigger.webhookUrl);
		expect(sim.count('callbacksRegister')).toBe(1);

		// Activated again (an n8n restart): the listener is found, nothing is registered twice.
		await trigger.activate();
		expect(sim.count('callbacksRegister')).toBe(1);
		expect(listener()).toEqual(registered);
	});

	it('a listener registered by an earlier version, whose static data holds the secret itself: found as ours, and only its hash kept', async () => {
		sim.state.callbacks.set('CarrierService', { url: trigger.webhookUrl, username: ECHOED, password: ECHOED });
		trigger.staticData = { 'node:ThingSpace SIM-Secure Trigger': { secret: ECHOED, listenerUrl: trigger.webhookUrl, accountName: '0000123456-00001' } };

		await trigger.activate();

		expect(sim.count('callbacksRegister')).toBe(0);
		expect(trigger.state).toEqual({ secretHash: sha256(ECHOED), listenerUrl: trigger.webhookUrl, accountName: '0000123456-00001' });
	});

	it("an answer of the listener list that is not a list does not show the registered secret (ThingSpace lists each listener's username and password)", async () => {
		await trigger.activate();
		const secret = String(listener()?.password);
		sim.inject({ route: 'callbacksList', status: 200, body: { username: secret, password: secret, serviceName: 'CarrierService', url: trigger.webhookUrl } });

		const failure = await trigger.activate().catch((error: Error) => error);

		expect(failure).toBeInstanceOf(Error);
		const said = everythingIn(failure);
		expect(said).toContain('[redacted]');
		expect(said).not.toContain(secret.slice(0, 8));
	});

	it('a listener at another URL is never replaced by default: activation fails naming it, and the account is left as it was', async () => {
		sim.state.callbacks.set('CarrierService', { ...OTHER });

		const failure = await trigger.activate().catch((error: Error & { description?: string }) => error);

		expect(failure).toBeInstanceOf(Error);
		const { message, description } = failure as Error & { description: string };
		expect(message).toBe(`Account 0000123456-00001 already sends CarrierService callbacks to ${OTHER.url}`);
		expect(description).toContain('Replace Existing Listener');
		expect(description).toContain('Nothing was changed');
		expect(listener()).toEqual(OTHER);
		expect(sim.count('callbacksRegister')).toBe(0);
		expect(trigger.state).toEqual({});
		expect(everythingIn(failure)).not.toContain(OTHER.password);
	});

	it('with "Replace Existing Listener" on, activation takes the listener over', async () => {
		sim.state.callbacks.set('CarrierService', { ...OTHER });

		await trigger.activate({ options: { replaceExistingListener: true } });

		expect(listener()?.url).toBe(trigger.webhookUrl);
		expect(trigger.state.secretHash).toBe(sha256(String(listener()?.password)));
	});

	it('deactivation removes the listener that is still ours', async () => {
		await trigger.activate();
		await trigger.deactivate();

		expect(listener()).toBeUndefined();
		expect(sim.count('callbacksDelete')).toBe(1);
		expect(trigger.state.listenerUrl).toBeUndefined();
	});

	it('deactivation leaves a listener that someone registered after us', async () => {
		await trigger.activate();
		sim.state.callbacks.set('CarrierService', { ...OTHER });

		await trigger.deactivate();

		expect(listener()).toEqual(OTHER);
		expect(sim.count('callbacksDelete')).toBe(0);
	});

	it.each(['http://n8n.example.com/webhook', 'https://n8n.example.com:9003/webhook', 'https://n8n.example.com:28220/webhook'])(
		'a webhook URL on an allowed port (%s) is registered',
		async (base) => {
			trigger = new TriggerHarness(simulatorCredentials(sim), base);
			await trigger.activate();
			expect(listener()?.url).toBe(trigger.webhookUrl);
		},
	);

	it.each([
		['http://127.0.0.1:5678/webhook', 5678],
		['https://n8n.example.com:8443/webhook', 8443],
		['https://n8n.example.com:9007/webhook', 9007],
	])('a webhook URL on a port ThingSpace does not deliver to (%s) fails activation before any call', async (base, port) => {
		trigger = new TriggerHarness(simulatorCredentials(sim), base);

		const failure = await trigger.activate().catch((error: Error & { description?: string }) => error);

		expect((failure as Error).message).toBe(
			`ThingSpace cannot deliver to this workflow's webhook URL ${trigger.webhookUrl}: port ${port} is not allowed`,
		);
		expect((failure as Error & { description: string }).description).toContain('80, 443, 9001–9006, 50551–50559 or 28200–28220');
		expect(sim.count('callbacksRegister')).toBe(0);
		expect(listener()).toBeUndefined();
	});

	it('a secret given in the options is registered instead of a generated one, and a changed secret is registered again', async () => {
		await trigger.activate();
		expect(trigger.state.secretHash).toBeDefined();
		await trigger.activate({ options: { secret: 'first-shared-secret' } });
		expect(listener()).toMatchObject({ username: 'first-shared-secret', password: 'first-shared-secret' });
		// The generated secret's hash goes: with the option emptied later, messages carrying the old one are not taken.
		expect(trigger.state.secretHash).toBeUndefined();

		await trigger.activate({ options: { secret: 'second-shared-secret' } });
		expect(listener()).toMatchObject({ url: trigger.webhookUrl, password: 'second-shared-secret' });
		expect(sim.count('callbacksRegister')).toBe(3);
	});

	it("a registration ThingSpace refuses fails activation with ThingSpace's code, and nothing is kept", async () => {
		sim.inject({
			route: 'callbacksRegister',
			status: 400,
			body: { errorCode: 'UnifiedWebService.INPUT_INVALID.Url', errorMessage: 'The callback URL is missing or invalid.' },
		});

		const failure = await trigger.activate().catch((error: Error & { description?: string }) => error);

		expect((failure as Error).message).toBe('ThingSpace rejected the request as invalid');
		const description = (failure as Error & { description: string }).description;
		expect(description).toContain('UnifiedWebService.INPUT_INVALID.Url');
		expect(description).toContain("the account's listeners were left as they were");
		expect(listener()).toBeUndefined();
		expect(trigger.state).toEqual({});
		expect(everythingIn(failure)).not.toContain('demo-uws-password');
	});

	it.each(['body', 'html', 'wrapped'] as const)("a registration refused with an answer that echoes the request (%s) does not show the listener's secret", async (echo) => {
		sim.inject({ route: 'callbacksRegister', status: 400, echo });
		const failure = (await trigger.activate({ options: { secret: ECHOED } }).catch((error: Error) => error)) as Error & IDataObject;
		expect(failure.message).toBe('ThingSpace rejected the request as invalid');
		// Everything the error says (n8n's error also carries the node, whose options hold the secret the user gave).
		const said = everythingIn({ ...failure, node: undefined, message: failure.message, stack: failure.stack });
		expect(said).toContain('[redacted]');
		expect(said).not.toMatch(/listener-shared|secret-0042|bGlzdGVuZXItc2hhcmVk/);
	});

	it('an expired session during activation costs one re-login and activation succeeds', async () => {
		await trigger.activate();
		await trigger.deactivate();
		sim.expireSessions();

		await trigger.activate();

		expect(sim.count('login')).toBe(2);
		expect(listener()?.url).toBe(trigger.webhookUrl);
	});

	it('without an account name in the node or the credential, activation says what to set', async () => {
		trigger = new TriggerHarness(simulatorCredentials(sim, { accountName: '' }));

		await expect(trigger.activate()).rejects.toThrow(
			'No account name: set Account Name in this node or Default Account Name in the credential',
		);
		expect(sim.count('callbacksList')).toBe(0);
	});

	it.each([
		[{ accountName: '={{ 1234560000 }}' }, /^Account Name must be text, not the number 1234560000/],
		[{ results: '={{ "failures" }}' }, /^Results must be "all", "success" or "failed", not "failures"/],
	])('activation with %j that cannot be read fails naming it, and registers nothing', async (parameters, message) => {
		await expect(trigger.activate(parameters)).rejects.toThrow(message);
		expect(sim.count('callbacksRegister')).toBe(0);
	});

	it('Results that cannot be read fail activation also when the listener is already ours (n8n restarting)', async () => {
		await trigger.activate();
		await expect(trigger.activate({ results: '={{ "failures" }}' })).rejects.toThrow(/^Results must be "all", "success" or "failed"/);
		expect(sim.count('callbacksRegister')).toBe(1);
	});

	it('a 429 during activation is waited out as Retry-After says, then activation succeeds', async () => {
		sim.inject({ route: 'callbacksList', status: 429, headers: { 'Retry-After': '0' }, body: { errorCode: 'TooManyRequests', errorMessage: 'Slow down' } });

		await trigger.activate();

		// checkExists lists (refused, then again after the wait), and create lists once more before registering.
		expect(sim.count('callbacksList')).toBe(3);
		expect(sim.requests.filter((request) => request.route === 'callbacksList').map((request) => request.status)).toEqual([429, 200, 200]);
		expect(listener()?.url).toBe(trigger.webhookUrl);
	});

	it('a 5xx on registration is not repeated (ThingSpace may have applied it) and fails activation with the status', async () => {
		sim.inject({ route: 'callbacksRegister', status: 503, raw: '<html>Service Unavailable</html>' });

		const failure = await trigger.activate().catch((error: Error & { description?: string }) => error);

		expect((failure as Error).message).toBe('ThingSpace is temporarily unavailable (HTTP 503)');
		expect(sim.count('callbacksRegister')).toBe(1);
		expect(trigger.state).toEqual({});
	});
});
