import type { ICredentialDataDecryptedObject, IHttpRequestHelper } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import {
	keysOf,
	loginRecordOf,
	thisProcess,
	tokenOwner,
	type LoginRecord,
} from '../../nodes/shared/loginRecord';
import { LOGIN_CLAIM, MAX_LOGINS_PER_RUN, PATHS } from '../../nodes/shared/policy';
import { preAuthenticate } from '../../nodes/shared/preAuthentication';
import type { LeaseStore } from '../../nodes/shared/credentialStore';
import { restoreRefusal } from '../../nodes/shared/refusalWatch';
import { leaseSession, resetSessionCache } from '../../nodes/shared/sessionLease';
import { clockOfTest } from '../time';

/**
 * The lease's protocol against a store of its own (n8n's credential store, as n8n 2.x keeps it: what
 * preAuthentication returns is merged into the stored data), on a clock the test moves: no n8n, no HTTP.
 * A claim step runs the credential's real preAuthentication; a login step is recorded and stores a session.
 */

class FakeStore implements LeaseStore {
	data: ICredentialDataDecryptedObject = {
		environment: 'production',
		username: 'uws',
		password: 'pw',
		appKey: 'k',
		appSecret: 's',
		loginRecord: '',
	};

	readonly steps: string[] = [];

	/** Runs before each step is stored (a slow database, another process acting meanwhile). */
	beforeStore?: (step: string) => Promise<void> | void;

	async read(): Promise<ICredentialDataDecryptedObject> {
		return { ...this.data };
	}

	async store(
		credentials: ICredentialDataDecryptedObject,
		step: NonNullable<LoginRecord['step']>,
	): Promise<void> {
		this.steps.push(step);
		await this.beforeStore?.(step);
		if (step === 'login') {
			this.data = {
				...this.data,
				sessionToken: `session-${this.steps.length}`,
				loginHost: tokenOwner(this.data),
				loginRecord: '',
			};
			return;
		}
		const withStep = {
			...credentials,
			loginRecord: JSON.stringify({ ...loginRecordOf(credentials), step }),
		};
		this.data = {
			...this.data,
			...(await preAuthenticate({} as IHttpRequestHelper['helpers'], withStep)),
		} as ICredentialDataDecryptedObject;
	}

	/** Another process stores its claim, or the session it logged in for. */
	claimBy(by: string, at: number): void {
		this.data = { ...this.data, loginRecord: JSON.stringify({ claim: { by, at } }) };
	}

	sessionOf(process: string): void {
		this.data = {
			...this.data,
			sessionToken: `session-of-${process}`,
			loginHost: tokenOwner(this.data),
			loginRecord: '',
		};
	}
}

describe('The session lease, with a store of its own and a moving clock', () => {
	// Each test's own clock (test/setup.ts): it moves once nothing else can happen.
	const t = {
		get clock() {
			return clockOfTest();
		},
	};
	let store: FakeStore;
	beforeEach(() => {
		resetSessionCache();
		store = new FakeStore();
	});

	it('an empty store: the process claims, waits its settle time, sees its claim still there, and logs in once', async () => {
		const session = await leaseSession(store, { used: 0 });
		expect(store.steps).toEqual(['claim', 'login']);
		expect(session).toBe('session-2');
		expect(t.clock.slept).toBeGreaterThanOrEqual(LOGIN_CLAIM.minSettleMs);
	});

	// A claim that overwrote another's landed later than that other claim's shortest pause after it: so every claim
	// whose read and write took minSettleMs or longer waits the longest pause, while that other process logs in.
	for (const [writeMs, pauseMs] of [
		[50, LOGIN_CLAIM.minSettleMs],
		[LOGIN_CLAIM.minSettleMs - 1, LOGIN_CLAIM.minSettleMs],
		[LOGIN_CLAIM.minSettleMs, LOGIN_CLAIM.maxSettleMs],
	]) {
		it(`a claim whose read and write took ${writeMs} ms pauses ${pauseMs} ms before its check`, async () => {
			const at: Record<string, number> = {};
			store.beforeStore = (step) => {
				at[step] = t.clock.now();
				if (step === 'claim') t.clock.advance(writeMs);
			};
			await leaseSession(store, { used: 0 });
			expect(store.steps).toEqual(['claim', 'login']);
			expect(at.login - at.claim - writeMs).toBe(pauseMs);
		});
	}

	it("another process's claim that lands during the settle time: this process stands back and takes that process's session", async () => {
		store.beforeStore = (step) => {
			if (step !== 'claim') return;
			// Right after this claim, the other process writes its own over it, and logs in.
			void sleep(0)
				.then(async () => {
					store.claimBy('other', t.clock.now());
					await sleep(0);
				})
				.then(() => store.sessionOf('other'));
		};
		const session = await leaseSession(store, { used: 0 });
		expect(store.steps).toEqual(['claim']);
		expect(session).toBe('session-of-other');
	});

	it(`a claim whose read and write took ${LOGIN_CLAIM.maxSettleMs} ms or more never leads to a login: it waits for the session another process stores`, async () => {
		let polls = 0;
		store.beforeStore = (step) => {
			if (step === 'claim') t.clock.advance(LOGIN_CLAIM.maxSettleMs);
		};
		const read = store.read.bind(store);
		store.read = async () => {
			if (++polls === 5) store.sessionOf('other');
			return await read();
		};
		const session = await leaseSession(store, { used: 0 });
		expect(store.steps).toEqual(['claim']);
		expect(session).toBe('session-of-other');
	});

	it('a live claim of another process is waited for; once its lease is over, this process claims and logs in', async () => {
		store.claimBy('other', t.clock.now());
		const session = await leaseSession(store, { used: 0 });
		expect(store.steps).toEqual(['claim', 'login']);
		expect(session).toBe('session-2');
		expect(t.clock.slept).toBeGreaterThanOrEqual(LOGIN_CLAIM.leaseMs);
		expect(loginRecordOf(store.data).claim).toBeUndefined();
	});

	it("a claim stamped an hour ahead (another host's fast clock) lasts its lease from when this process first saw it, not an hour", async () => {
		store.claimBy('other', t.clock.now() + 3_600_000);
		await leaseSession(store, { used: 0 });
		expect(store.steps).toEqual(['claim', 'login']);
		expect(t.clock.slept).toBeLessThan(LOGIN_CLAIM.leaseMs + 10_000);
	});

	it(`a run that has logged in ${MAX_LOGINS_PER_RUN} times claims no more`, async () => {
		await expect(leaseSession(store, { used: MAX_LOGINS_PER_RUN })).rejects.toThrow(
			`this run has already logged in ${MAX_LOGINS_PER_RUN} times`,
		);
		expect(store.steps).toEqual([]);
	});

	it('the claim names this process', async () => {
		store.beforeStore = (step) => {
			if (step === 'login') expect(loginRecordOf(store.data).claim?.by).toBe(thisProcess.id);
		};
		await leaseSession(store, { used: 0 });
		expect(store.steps).toEqual(['claim', 'login']);
	});

	it(`a read that took ${LOGIN_CLAIM.maxSettleMs} ms writes no claim: the process reads again and claims from a fresh read`, async () => {
		const reads: number[] = [];
		const read = store.read.bind(store);
		store.read = async () => {
			reads.push(t.clock.now());
			if (reads.length === 1) t.clock.advance(LOGIN_CLAIM.maxSettleMs);
			return await read();
		};
		let claimedAfter = 0;
		store.beforeStore = (step) => {
			if (step === 'claim') claimedAfter = reads.length;
		};
		await leaseSession(store, { used: 0 });
		expect(store.steps).toEqual(['claim', 'login']);
		expect(claimedAfter).toBe(2);
	});

	it('a store that answers every read that slowly: no claim, no login, and the error says why', async () => {
		const read = store.read.bind(store);
		store.read = async () => {
			t.clock.advance(LOGIN_CLAIM.maxSettleMs);
			return await read();
		};
		await expect(leaseSession(store, { used: 0 })).rejects.toThrow(
			/credential store answered too slowly/,
		);
		expect(store.steps).toEqual([]);
	});

	it('a refusal read in the store is remembered: when a claim written from an older read replaces it, it is put back and not sent again', async () => {
		const refused = {
			login: keysOf(store.data).login,
			at: t.clock.now(),
			reason: 'HTTP 400 [UWS] Invalid',
		};
		store.data = { ...store.data, loginRecord: JSON.stringify({ refused }) };
		await expect(leaseSession(store, { used: 0 })).rejects.toThrow(/login not attempted/);

		store.claimBy('a worker that read before the refusal', t.clock.now());
		await expect(leaseSession(store, { used: 0 })).rejects.toThrow(/login not attempted/);
		expect(store.steps).toEqual(['save']);
		// Put back as read, with its counts in a row made explicit (1 when a record has none), and whose username it counts.
		expect(loginRecordOf(store.data).refused).toEqual({ ...refused, count: 1, userCount: 1, user: expect.stringMatching(/^[0-9a-f]{64}$/) });
	});

	it('a refusal of a login of this process whose outcome is not stored yet is left to that login\'s save step: stored once', async () => {
		// ThingSpace: a token for the app, then its own refusal of the password.
		const helpers = {
			httpRequest: async (options: { url: string }) =>
				options.url.endsWith(PATHS.clientCredentials)
					? { statusCode: 200, body: { access_token: 'token' } }
					: { statusCode: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.Login.Invalid', errorMessage: 'Invalid' } },
		} as unknown as IHttpRequestHelper['helpers'];
		const claim = { by: thisProcess.id, at: t.clock.now() };
		// The login step stores nothing: its outcome (the refusal, now held here) waits for the save step.
		const loginStep = { ...store.data, loginRecord: JSON.stringify({ claim, step: 'login' }) };
		expect(await preAuthenticate(helpers, loginStep)).toEqual({});

		await restoreRefusal(store, store.data);
		expect(store.steps).toEqual([]);
		await store.store(store.data, 'save');
		expect(loginRecordOf(store.data).refused?.login).toBe(keysOf(store.data).login);
	});
});
