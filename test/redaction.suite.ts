import { ThingSpaceApi } from '../credentials/ThingSpaceApi.credentials';
import { assignParams, everythingIn, imei, setUp } from './fixtures';
import type { Harness } from './harness';
import type { InjectRule, RouteName, Simulator } from './simulator/thingspace-simulator';
import { clockOfTest } from './time';

/**
 * A password with the characters every escaping changes: JSON (" \), HTML (& < > " '), URL (space % +).
 * Between them runs of letters and digits found nowhere else: any leak of the password, in any form, shows one.
 */
const PASSWORD = `Pw7k"Qz2m\\Rt5v&Yx9c<Hb3n>Kd6f Lg8j'Mh4p%Nw1s+Zq0x-TAIL7391`;
/** A token another process's login stored. */
const ANOTHER_SESSION = 'a7c1e2d3-0000-4000-8000-another-login';
const BASIC = Buffer.from('demo-app-key:demo-app-secret').toString('base64');

/** Every run of `size` characters of a value. */
const fragments = (value: string, size: number) => Array.from({ length: Math.max(1, value.length - size + 1) }, (_, i) => value.slice(i, i + size));

/** What would show that a secret leaked: the password's runs (also of its base64), 8 characters of any token ThingSpace issued. */
function secretFragments(sim: Simulator): string[] {
	const runs = PASSWORD.match(/[A-Za-z0-9]{4,}/g) as string[];
	const tokens = [...sim.state.tokens.keys(), ...sim.state.sessions.keys(), BASIC, Buffer.from(PASSWORD).toString('base64'), 'demo-app-secret'];
	return [...runs, ...tokens.flatMap((token) => fragments(token, 8))];
}

describe('Redaction: a secret echoed in any form stays out of errors and the Login Record', () => {
	let sim: Simulator;
	let harness: Harness;

	beforeEach(async () => {
		({ sim, harness } = await setUp({ password: PASSWORD }, { password: PASSWORD }));
	});

	afterEach(async () => {
		await sim.close();
	});

	/** What n8n keeps: the error, the items, and the credential's stored Login Record. */
	async function runAfter(rule: InjectRule, warm: boolean): Promise<string> {
		// A warm run first, so that the echoed licensing call carries both tokens.
		if (warm) expect((await harness.run(assignParams({ deviceList: imei(1) }))).error).toBeUndefined();
		sim.inject(rule);
		const result = await harness.run(assignParams({ deviceList: imei(2) }));
		expect(result.error).toBeDefined();
		return everythingIn([result.error, result.items, result.errorItems, harness.credentials.stored.loginRecord]);
	}

	it.each<[RouteName, InjectRule['echo']]>([
		['login', 'body'],
		['login', 'html'],
		['login', 'wrapped'],
		['token', 'wrapped'],
		['token', 'html'],
		['assign', 'dump'],
		['assign', 'html'],
		['assign', 'wrapped'],
	])('a %s answer that echoes the request (%s) leaks no part of a secret or token', async (route, echo) => {
		const seen = await runAfter({ route, status: 400, echo }, route === 'assign');

		expect(seen).toContain('[redacted]');
		for (const fragment of secretFragments(sim)) expect(seen).not.toContain(fragment);
	});

	it('a refused login whose answer quotes the password JSON-escaped stores only the redacted text in the Login Record', async () => {
		await runAfter({ route: 'login', status: 400, echo: 'body' }, false);
		const record = String(harness.credentials.stored.loginRecord);

		expect(record).toContain('Echo.Body');
		expect(record).toContain('[redacted]');
		for (const fragment of secretFragments(sim)) expect(record).not.toContain(fragment);
	});

	// The store is read for the secrets once the answer is there: by then another process's login may have replaced the
	// session this call carried.
	it('tokens replaced in the store while the call was out, echoed wrapped in its answer, stay out of the error', async () => {
		expect((await harness.run(assignParams({ deviceList: imei(1) }))).error).toBeUndefined();
		const carried = [String(harness.credentials.stored.sessionToken), String(harness.credentials.stored.accessToken)];
		sim.inject({ route: 'assign', status: 400, echo: 'wrapped', delayMs: 1000 });
		const clock = clockOfTest();
		const running = harness.run(assignParams({ deviceList: imei(2) }));
		while (sim.count('assign') < 2) await clock.sleep(10);
		harness.credentials.stored = { ...harness.credentials.stored, sessionToken: ANOTHER_SESSION, accessToken: ANOTHER_SESSION };
		const result = await running;

		const seen = everythingIn([result.error, result.items, result.errorItems]);
		expect(seen).toContain('[redacted]');
		for (const fragment of carried.flatMap((token) => fragments(token, 8))) expect(seen).not.toContain(fragment);
	});

	it('a session token echoed in the Retry-After header of a refused call stays out of the error', async () => {
		const seen = await runAfter({ route: 'assign', status: 400, body: { errorCode: 'X', errorMessage: 'refused' }, echoInHeader: 'Retry-After' }, true);

		expect(seen).toContain('Retry-After: [redacted]');
		for (const fragment of secretFragments(sim)) expect(seen).not.toContain(fragment);
	});
});

describe('Redaction: the Login Record is a password field', () => {
	it('so n8n blanks it wherever it shows a credential to a user', () => {
		const record = new ThingSpaceApi().properties.find((property) => property.name === 'loginRecord');
		expect(record?.typeOptions?.password).toBe(true);
	});
});
