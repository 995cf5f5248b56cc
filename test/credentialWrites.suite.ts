import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { assignParams, imeis, itemsOf, setUp } from './fixtures';
import { N8N_MAJOR, type Harness } from './harness';
import type { RecordedRequest, Simulator } from './simulator/thingspace-simulator';

/**
 * What a login writes into the credential's row. n8n 1.x stores, with what preAuthentication returns, all
 * the data it was given (read before the login, expressions resolved); 2.x only the keys returned.
 */
describe(`Credential writes (n8n ${N8N_MAJOR}.x's credential store)`, () => {
	let sim: Simulator;
	let harness: Harness;
	/** The user saves the credential in the editor the moment ThingSpace receives the login. */
	let onLogin: (() => void) | undefined;
	const fix = (change: ICredentialDataDecryptedObject) => () => {
		harness.credentials.stored = { ...harness.credentials.stored, ...change };
	};

	async function start(credentialExtra = {}) {
		onLogin = undefined;
		({ sim, harness } = await setUp({ onRequest: (request: RecordedRequest) => request.route === 'login' && onLogin?.() }, credentialExtra));
	}

	afterEach(async () => {
		await sim.close();
	});

	it('a field changed in the editor while a login is under way is kept', async () => {
		await start();
		onLogin = fix({ accountName: '0000999999-00002' });
		const result = await harness.run(assignParams({ deviceList: imeis(1)[0] }));

		expect(result.error).toBeUndefined();
		expect(harness.credentials.stored.accountName).toBe('0000999999-00002');
		expect(harness.credentials.stored.sessionToken).toMatch(/^[0-9a-f-]{36}$/);
	});

	it('a wrong password fixed while its login is under way is kept, and tried at once: the run succeeds', async () => {
		await start({ password: 'wrong-password' });
		onLogin = fix({ password: 'demo-uws-password' });
		const result = await harness.run(assignParams({ deviceList: imeis(1)[0] }));

		expect(result.error).toBeUndefined();
		expect(harness.credentials.stored.password).toBe('demo-uws-password');
		expect(sim.count('login')).toBe(2);
	});

	it('the guard writes no more than it needs: a login writes twice (claim, session), a refused one twice (claim, refusal), then nothing', async () => {
		await start();
		const writes: string[] = [];
		const store = harness.credentials.store;
		let data = store.data;
		Object.defineProperty(store, 'data', {
			get: () => data,
			set: (value: ICredentialDataDecryptedObject) => {
				writes.push(Object.keys(JSON.parse(String(value.loginRecord || '{}')) as object).join() || 'session');
				data = value;
			},
		});
		await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(imeis(50)));
		await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(imeis(50, 100)));
		expect(writes).toEqual(['claim', 'session']);

		writes.length = 0;
		data = { ...data, password: 'wrong-password', sessionToken: '' };
		for (const from of [200, 300]) await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(imeis(5, from)), { continueOnFail: true });
		expect(writes).toEqual(['claim', 'refused']);
	});
});
