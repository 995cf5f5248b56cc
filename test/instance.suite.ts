import { loginRecordOf } from '../nodes/shared/loginRecord';
import { FAILED_LOGIN_HOLD_MS, LOGIN_CLAIM, REFUSALS_HELD_FOR_GOOD } from '../nodes/shared/policy';
import { anotherProcess } from './anotherProcess';
import { Harness, simulatorCredentials, testCredential, TestCredentialsHelper, type RunResult } from './harness';
import { assignParams, imeis, itemsOf, setUp } from './fixtures';
import type { Simulator } from './simulator/thingspace-simulator';
import { clockOfTest, offsetClock } from './time';

const errorsOf = (results: RunResult[]) => results.flatMap((result) => result.items.map((item) => String(item.json.error ?? '')));

/** A promise and the function that resolves it: a test waits for a step of the code under test, not for time. */
function signal(): { done: () => void; reached: Promise<void> } {
	let done!: () => void;
	const reached = new Promise<void>((resolve) => (done = resolve));
	return { done, reached };
}

const HOUR = 60 * 60 * 1000;

const REFUSED = /login refused the UWS username or password/;

/** Runs of one new device each (`first + n`), on any process's harness. */
const runFrom = (first: number) => async (on: Harness, n: number) => await on.run(assignParams({ deviceList: imeis(1, first + n)[0] }));

describe('One login guard for the whole n8n instance (processes sharing the credential store)', () => {
	let sim: Simulator;

	afterEach(async () => {
		await sim.close();
	});

	/** A credential whose password ThingSpace refused once, its hold since over; runs of one new device from `first`. */
	async function refusedOnce(first: number) {
		let harness: Harness;
		({ sim, harness } = await setUp({}, { password: 'wrong-password' }));
		const run = runFrom(first);
		expect((await run(harness, 0)).error?.message).toMatch(REFUSED);
		const clock = clockOfTest();
		clock.advance(FAILED_LOGIN_HOLD_MS + 1000);
		return { harness, run, clock };
	}

	it('a wrong password, 20 items over two processes: exactly 1 login attempt, and none after both restart', async () => {
		let first: Harness;
		({ sim, harness: first } = await setUp({}, { password: 'wrong-password' }));
		const second = await anotherProcess(first);
		const assign = assignParams({ deviceList: '={{ $json.sims }}' });
		const results = await Promise.all([
			first.run(assign, itemsOf(imeis(10, 0)), { continueOnFail: true }),
			second.run(assign, itemsOf(imeis(10, 10)), { continueOnFail: true }),
		]);

		expect(sim.count('login')).toBe(1);
		expect(sim.count('assign')).toBe(0);
		const errors = errorsOf(results);
		expect(errors).toHaveLength(20);
		for (const error of errors) expect(error).toMatch(/login refused the UWS username or password|login not attempted/);
		expect(String(first.credentials.stored.loginRecord)).not.toContain('wrong-password');

		// Both processes restart (new memory, the same database): still no login with that password.
		const restarted = [await anotherProcess(first), await anotherProcess(first)];
		const again = await Promise.all(restarted.map((harness, n) => harness.run(assign, itemsOf(imeis(10, 20 + n * 10)), { continueOnFail: true })));
		expect(sim.count('login')).toBe(1);
		for (const error of errorsOf(again)) expect(error).toMatch(/^ThingSpace credential: login not attempted/);
	});

	it('a good password: two processes log in once; a session that expires mid-run is replaced once for both', async () => {
		let first: Harness;
		({ sim, harness: first } = await setUp());
		const second = await anotherProcess(first);
		const [a, b] = [imeis(250, 100), imeis(250, 400)];
		const run = async (ids: string[][]) =>
			await Promise.all([first.run(assignParams({ deviceList: ids[0].join(',') })), second.run(assignParams({ deviceList: ids[1].join(',') }))]);

		const cold = await run([a, b]);
		expect(cold.map((result) => result.error)).toEqual([undefined, undefined]);
		expect([sim.count('token'), sim.count('login')]).toEqual([1, 1]);

		sim.reset();
		sim.expireSessions();
		const [c, d] = [imeis(250, 700), imeis(250, 1000)];
		const expired = await run([c, d]);
		expect(expired.map((result) => result.error)).toEqual([undefined, undefined]);
		expect(sim.count('login')).toBe(1);
		const sent = sim.devicesSent('assign');
		expect([...c, ...d].every((id) => sent.get(id) === 1)).toBe(true);
	});

	for (const latencyMs of [0, 300]) {
		it(`the OAuth token call takes the claim's pause, the password waits for it (answers in ${latencyMs} ms)`, async () => {
			let harness: Harness;
			({ sim, harness } = await setUp({ latencyMs }));
			const started = clockOfTest().now();
			const result = await harness.run(assignParams({ deviceList: imeis(1, 3)[0] }));
			expect(result.error).toBeUndefined();

			const sentAt = (route: string) => (sim.requests.find((request) => request.route === route)?.at ?? NaN) - started;
			expect(sentAt('token')).toBeLessThan(50);
			// The login: after the pause and the token's answer, whichever ends last, and no later.
			const due = Math.max(LOGIN_CLAIM.minSettleMs, latencyMs);
			expect(sentAt('login')).toBeGreaterThanOrEqual(due);
			expect(sentAt('login')).toBeLessThan(due + 50);
		});
	}

	it('a claim left by a process that stopped does not block: after its lease, the next process logs in', async () => {
		let harness: Harness;
		({ sim, harness } = await setUp());
		const stale = { claim: { by: 'a stopped worker', at: clockOfTest().now() - LOGIN_CLAIM.leaseMs - 1 } };
		harness.credentials.stored = { ...harness.credentials.stored, loginRecord: JSON.stringify(stale) };

		const result = await harness.run(assignParams({ deviceList: imeis(1, 5)[0] }));
		expect(result.error).toBeUndefined();
		expect(sim.count('login')).toBe(1);
	});

	it('a login that fails for another reason (the app secret) releases the claim: each process says why', async () => {
		let first: Harness;
		({ sim, harness: first } = await setUp({}, { appSecret: 'not-the-secret' }));
		const second = await anotherProcess(first);
		const clock = clockOfTest();
		const started = clock.now();
		const results = await Promise.all([first.run(assignParams({ deviceList: imeis(1, 1)[0] })), second.run(assignParams({ deviceList: imeis(1, 2)[0] }))]);
		expect(clock.now() - started).toBeLessThan(LOGIN_CLAIM.leaseMs);

		for (const result of results) expect(result.error?.message).toMatch(/OAuth token request refused the app key and secret/);
		// A refused app secret cannot lock the UWS account: the second process tried too, without waiting for a lease.
		expect(sim.count('token')).toBe(2);
		expect(sim.count('login')).toBe(0);
	});
	it('a process whose read of the empty record took 3 s writes no claim from it: still 1 login attempt', async () => {
		let first: Harness;
		({ sim, harness: first } = await setUp({}, { password: 'wrong-password' }));
		const slow = await anotherProcess(first);
		// The first login takes a while to be answered (10 s): the slow process's claim lands while it is under way,
		// and would have passed its check (after at most LOGIN_CLAIM.maxSettleMs) long before that login ends.
		sim.inject({ route: 'login', delayMs: 10_000 });
		const clock = clockOfTest();
		// The moment the first login reaches ThingSpace (not looked for in real time: the test's clock may move meanwhile).
		let loginArrived!: () => void;
		const arrived = new Promise<void>((resolve) => (loginArrived = resolve));
		sim.config.onRequest = (request) => request.route === 'login' && loginArrived();
		let readEmpty = false;
		const emptyRead = signal();
		slow.credentials.afterRead = async (data) => {
			// The read in which the session module looks for a claim (a busy process, a slow database): it saw
			// an empty record, and its answer comes back 3 s later, once the other process is logging in.
			if (readEmpty || data.loginRecord || !new Error().stack?.includes('leaseSession')) return;
			readEmpty = true;
			emptyRead.done();
			await arrived;
			await clock.sleep(3000);
		};
		let slowClaims = 0;
		slow.credentials.beforeWrite = async (output) => {
			if (loginRecordOf(output).claim) slowClaims++;
		};
		const assign = assignParams({ deviceList: '={{ $json.sims }}' });
		const late = slow.run(assign, itemsOf(imeis(1, 40)), { continueOnFail: true });
		await emptyRead.reached;
		const results = await Promise.all([first.run(assign, itemsOf(imeis(1, 41)), { continueOnFail: true }), late]);

		expect(sim.count('login')).toBe(1);
		expect(slowClaims).toBe(0);
		for (const error of errorsOf(results)) expect(error).toMatch(/login refused the UWS username or password|login not attempted/);
	});

	// A claim is written from a read made before it: read before the refusal was stored and written after, it replaces
	// the refusal. Landing 0.1 s after it, its process would log in after its pause (2 s); landing 2 s after it, the claim
	// is late and its process waits, but the next claim, after that one's lease, would log in.
	it.each([
		['0.1 s', 100],
		['2 s', LOGIN_CLAIM.maxSettleMs],
	])('a claim read before a refusal was stored and written %s after it: the refused process puts the refusal back, still 1 login attempt', async (_label, lateMs) => {
		let first: Harness;
		({ sim, harness: first } = await setUp({}, { password: 'wrong-password' }));
		const slow = await anotherProcess(first);
		const clock = clockOfTest();
		let claimRead = false;
		const claimWriting = signal();
		slow.credentials.beforeWrite = async (output) => {
			if (claimRead || !loginRecordOf(output).claim) return;
			claimRead = true;
			claimWriting.done();
			while (!loginRecordOf(first.credentials.stored).refused) await clock.sleep(10);
			await clock.sleep(lateMs);
		};
		const assign = assignParams({ deviceList: '={{ $json.sims }}' });
		const started = clock.now();
		const late = slow.run(assign, itemsOf(imeis(1, 70)), { continueOnFail: true });
		await claimWriting.reached;
		const results = await Promise.all([first.run(assign, itemsOf(imeis(1, 71)), { continueOnFail: true }), late]);

		expect(sim.count('login')).toBe(1);
		expect(errorsOf(results)[0]).toMatch(REFUSED);
		expect(errorsOf(results)[1]).toMatch(/login not attempted/);
		expect(loginRecordOf(first.credentials.stored).refused).toBeDefined();
		expect(clock.now() - started).toBeLessThan(LOGIN_CLAIM.leaseMs);
	});

	it.each([
		['an hour ahead (its host\'s clock runs fast)', Date.now() + HOUR],
		['not a number ("1e20")', '1e20'],
	])('a claim stamped %s lasts its lease from when this process first saw it, no longer', async (_label, at) => {
		let harness: Harness;
		({ sim, harness } = await setUp());
		harness.credentials.stored = { ...harness.credentials.stored, loginRecord: JSON.stringify({ claim: { by: 'a worker', at } }) };
		const clock = clockOfTest();
		const seen = clock.now();

		const result = await harness.run(assignParams({ deviceList: imeis(1, 50)[0] }));
		expect(result.error).toBeUndefined();
		expect(sim.count('login')).toBe(1);
		expect(clock.now() - seen).toBeGreaterThanOrEqual(LOGIN_CLAIM.leaseMs);
		expect(clock.now() - seen).toBeLessThan(LOGIN_CLAIM.leaseMs + 10_000);
	});

	it(`a password refused ${REFUSALS_HELD_FOR_GOOD} times in a row is not sent again, a day later or after a restart, until it changes (five lock the account)`, async () => {
		let harness: Harness;
		({ sim, harness } = await setUp({}, { password: 'wrong-password' }));
		const clock = clockOfTest();
		const run = async (n: number) => await harness.run(assignParams({ deviceList: imeis(1, 70 + n)[0] }));
		expect((await run(0)).error?.message).toMatch(REFUSED);
		// The second refusal in another process (a worker, or after a restart): it knows the first only from the store.
		clock.advance(FAILED_LOGIN_HOLD_MS + 1000);
		const other = await anotherProcess(harness);
		expect((await other.run(assignParams({ deviceList: imeis(1, 71)[0] }))).error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(REFUSALS_HELD_FOR_GOOD);

		for (const [n, later] of [
			[2, HOUR],
			[3, 24 * HOUR],
		]) {
			clock.advance(later);
			const held = await run(n);
			expect(held.error?.message).toMatch(/^ThingSpace credential: login not attempted: ThingSpace refused this UWS username and password 2 times in a row/);
			expect(held.error?.description).toMatch(/until the UWS Username or UWS Password changes/);
		}
		const restarted = await anotherProcess(harness);
		expect((await restarted.run(assignParams({ deviceList: imeis(1, 74)[0] }))).error?.message).toMatch(/login not attempted/);
		expect(sim.count('login')).toBe(REFUSALS_HELD_FOR_GOOD);

		// The password fixed in the credential: tried at once.
		harness.credentials.stored = { ...harness.credentials.stored, password: 'demo-uws-password' };
		expect((await run(5)).error).toBeUndefined();
		expect(sim.count('login')).toBe(REFUSALS_HELD_FOR_GOOD + 1);
	});

	// ThingSpace counts failed logins of the username, whatever the password: a user who tries one wrong password after
	// another must not have n8n add a repeat of each, or three wrong passwords would lock the account.
	it('after a username\'s first refusal, a refused password is not repeated by n8n: four wrong passwords, four logins, and a good one ends the count', async () => {
		let harness: Harness;
		({ sim, harness } = await setUp({}, { password: 'wrong-password-a' }));
		const clock = clockOfTest();
		let n = 0;
		const runWith = async (password?: string) => {
			if (password) harness.credentials.stored = { ...harness.credentials.stored, password };
			clock.advance(FAILED_LOGIN_HOLD_MS + 1000);
			return await harness.run(assignParams({ deviceList: imeis(1, 80 + n++)[0] }));
		};

		expect((await runWith()).error?.message).toMatch(REFUSED);
		// The username's first refusal: repeated once, after the hold.
		expect((await runWith()).error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(2);
		expect((await runWith('wrong-password-b')).error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(3);
		// In this process, in another one, after a day: password b is the username's third refusal in a row, held until it changes.
		const other = await anotherProcess(harness);
		clock.advance(24 * HOUR);
		for (const held of [await runWith(), await other.run(assignParams({ deviceList: imeis(1, 99)[0] }))]) {
			expect(held.error?.message).toMatch(/^ThingSpace credential: login not attempted: ThingSpace refused this UWS username and password \(.*\); 3 logins in a row of this username were refused \(that this n8n knows of: the 5th locks the account\), and repeating/);
			expect(held.error?.description).toMatch(/until the UWS Username or UWS Password changes/);
		}
		expect(sim.count('login')).toBe(3);
		expect((await runWith('wrong-password-c')).error?.message).toMatch(REFUSED);
		expect(await runWith()).toMatchObject({ error: { message: expect.stringMatching(/4 logins in a row/) } });
		expect(sim.count('login')).toBe(4);

		// The right password: tried at once, and the count starts over (the next wrong one is repeated once again).
		expect((await runWith('demo-uws-password')).error).toBeUndefined();
		expect((await runWith('wrong-password-d')).error?.message).toMatch(REFUSED);
		expect((await runWith()).error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(7);
		expect(sim.state.lockedUsers.size).toBe(0);
	});

	it('two credentials of one username in one process: once both were refused, neither repeats its password', async () => {
		let a: Harness;
		({ sim, harness: a } = await setUp({}, { password: 'wrong-password-a' }));
		const b = new Harness(simulatorCredentials(sim, { password: 'wrong-password-b' }));
		const clock = clockOfTest();
		expect((await a.run(assignParams({ deviceList: imeis(1, 90)[0] }))).error?.message).toMatch(REFUSED);
		clock.advance(60_000);
		expect((await b.run(assignParams({ deviceList: imeis(1, 91)[0] }))).error?.message).toMatch(REFUSED);

		clock.advance(FAILED_LOGIN_HOLD_MS);
		for (const [n, harness] of [a, b].entries()) {
			const held = await harness.run(assignParams({ deviceList: imeis(1, 92 + n)[0] }));
			expect(held.error?.message).toMatch(/login not attempted: .*; 2 logins in a row of this username were refused/);
		}
		expect(sim.count('login')).toBe(2);
	});

	it('a process that only reads the session another one logged in with forgets the refusals before it: the next refusal gets its one repeat', async () => {
		let harness: Harness;
		({ sim, harness } = await setUp({}, { password: 'wrong-password' }));
		const clock = clockOfTest();
		const worker = await anotherProcess(harness);
		const run = runFrom(170);
		expect((await run(worker, 0)).error?.message).toMatch(REFUSED);
		// Fixed in the credential; the main process logs in, the worker only reads that session.
		harness.credentials.stored = { ...harness.credentials.stored, password: 'demo-uws-password' };
		expect((await run(harness, 1)).error).toBeUndefined();
		expect((await run(worker, 2)).error).toBeUndefined();
		// Weeks later the password is changed at ThingSpace: the worker's refusal is the first in a row, repeated once.
		clock.advance(30 * 24 * HOUR);
		(sim.config as { password: string }).password = 'changed-at-thingspace';
		sim.expireSessions();
		const refusedNow = await run(worker, 3);
		expect(refusedNow.error?.message).toMatch(/login refused the UWS username or password \(HTTP 400[^;]*$/);
		clock.advance(FAILED_LOGIN_HOLD_MS + 1000);
		expect((await run(worker, 4)).error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(4);
	});

	it('the repeat of a refused password that gets no clear answer (a 503) counts as its second refusal: held for good', async () => {
		const { harness, run, clock } = await refusedOnce(100);
		sim.inject({ route: 'login', status: 503 });
		expect((await run(harness, 1)).error?.message).toMatch(/counted as refused: the repeat of a refused password got no clear answer, the Connectivity Management login failed \(HTTP 503/);

		clock.advance(24 * HOUR);
		expect((await run(await anotherProcess(harness), 2)).error?.message).toMatch(/login not attempted: ThingSpace refused this UWS username and password 2 times in a row/);
		expect(sim.count('login')).toBe(2);
	});

	it('a failure of a login the store holds no refusal of counts for nothing, even where this process saw that password refused before (the password may work by now)', async () => {
		const { harness, run } = await refusedOnce(130);
		// The password is made right at ThingSpace. A Test of the form (no Login Record) meets a 503.
		(sim.config as { password: string }).password = 'wrong-password';
		sim.inject({ route: 'login', status: 503 });
		const form = simulatorCredentials(sim, { password: 'wrong-password' });
		expect((await testCredential(new TestCredentialsHelper(form), form)).message).toMatch(/login failed \(HTTP 503/);

		expect((await run(harness, 1)).error).toBeUndefined();
		expect(sim.count('login')).toBe(3);
	});

	it('two Tests at once of a refused password share one login, and it counts once: its one repeat still comes', async () => {
		let harness: Harness;
		({ sim, harness } = await setUp({}, { password: 'wrong-password' }));
		const clock = clockOfTest();
		const form = simulatorCredentials(sim, { password: 'wrong-password' });
		const tests = await Promise.all([1, 2].map(async () => await testCredential(new TestCredentialsHelper(form), form)));
		for (const result of tests) expect(result.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(1);

		clock.advance(FAILED_LOGIN_HOLD_MS + 1000);
		expect((await harness.run(assignParams({ deviceList: imeis(1, 140)[0] }))).error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(2);
	});

	it("the repeat of a refused password turned away by the gateway (its 429 fault) is not counted as refused", async () => {
		const { harness, run } = await refusedOnce(150);
		sim.inject({ route: 'login', status: 429, body: { fault: { code: '900802', message: 'Message throttled out' } } });
		expect((await run(harness, 1)).error?.message).toMatch(/login failed \(HTTP 429/);
		expect((await run(harness, 2)).error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(3);
	});

	it('a Test without the Login Record and a run whose record holds the refusal share the repeat: its 503 counts as refused', async () => {
		const { harness, run, clock } = await refusedOnce(160);
		sim.inject({ route: 'login', status: 503, delayMs: 2000 });
		const form = simulatorCredentials(sim, { password: 'wrong-password' });
		const test = testCredential(new TestCredentialsHelper(form), form);
		while (sim.count('login') < 2) await clock.sleep(10);
		const [tested, ran] = await Promise.all([test, run(harness, 1)]);
		expect(tested.message).toMatch(/HTTP 503/);
		expect(ran.error?.message).toMatch(/counted as refused/);

		clock.advance(24 * HOUR);
		expect((await run(harness, 2)).error?.message).toMatch(/login not attempted: ThingSpace refused this UWS username and password 2 times in a row/);
		expect(sim.count('login')).toBe(2);
	});

	it("a login that fails otherwise (a 503) keeps the username's earlier refusals: the next refusal, in another process, holds the password for good", async () => {
		let harness: Harness;
		({ sim, harness } = await setUp({}, { password: 'wrong-password-a' }));
		const clock = clockOfTest();
		const run = runFrom(120);
		expect((await run(harness, 0)).error?.message).toMatch(REFUSED);
		harness.credentials.stored = { ...harness.credentials.stored, password: 'wrong-password-b' };
		sim.inject({ route: 'login', status: 503 });
		expect((await run(harness, 1)).error?.message).toMatch(/login failed \(HTTP 503/);
		expect(loginRecordOf(harness.credentials.stored).refused?.userCount).toBe(1);

		expect((await run(await anotherProcess(harness), 2)).error?.message).toMatch(REFUSED);
		clock.advance(24 * HOUR);
		expect((await run(await anotherProcess(harness), 3)).error?.message).toMatch(/login not attempted: .*; 2 logins in a row of this username/);
		expect(sim.count('login')).toBe(3);
	});

	it('a Login Record from before usernames were counted: its refusals count for a new password too', async () => {
		let harness: Harness;
		({ sim, harness } = await setUp({}, { password: 'wrong-password-new' }));
		const clock = clockOfTest();
		const earlier = { login: 'f'.repeat(64), at: clock.now() - HOUR, reason: 'HTTP 400 [UnifiedWebService.REQUEST_FAILED.Login.Invalid]', count: 2 };
		harness.credentials.stored = { ...harness.credentials.stored, loginRecord: JSON.stringify({ refused: earlier }) };

		expect((await harness.run(assignParams({ deviceList: imeis(1, 110)[0] }))).error?.message).toMatch(REFUSED);
		clock.advance(FAILED_LOGIN_HOLD_MS + 1000);
		expect((await harness.run(assignParams({ deviceList: imeis(1, 111)[0] }))).error?.message).toMatch(/login not attempted: .*; 3 logins in a row of this username/);
		expect(sim.count('login')).toBe(1);
	});

	it(`a refusal stamped by a process whose clock is an hour ahead is held ${FAILED_LOGIN_HOLD_MS / 60000} minutes, not an hour more`, async () => {
		let ahead: Harness;
		({ sim, harness: ahead } = await setUp({}, { password: 'wrong-password' }));
		ahead.useClock(offsetClock(HOUR));
		await ahead.run(assignParams({ deviceList: imeis(1, 60)[0] }));
		expect(sim.count('login')).toBe(1);

		const other = await anotherProcess(ahead);
		const clock = clockOfTest();
		const held = await other.run(assignParams({ deviceList: imeis(1, 61)[0] }));
		expect(held.error?.message).toMatch(/^ThingSpace credential: login not attempted/);
		expect(held.error?.description).toMatch(/for 15 more minute\(s\)/);

		clock.advance(FAILED_LOGIN_HOLD_MS + 1000);
		const tried = await other.run(assignParams({ deviceList: imeis(1, 62)[0] }));
		expect(tried.error?.message).toMatch(REFUSED);
		expect(sim.count('login')).toBe(2);
	});
});
