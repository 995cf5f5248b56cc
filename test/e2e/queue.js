#!/usr/bin/env node
// `node test/e2e/queue.js`: the packed package in real n8n in queue mode (PostgreSQL, Redis, `n8n start` and two
// `n8n worker`s, each with the package in its own user folder), on n8n 1.x and 2.x, against the simulator.
// Webhook calls go to main, executions run on the workers: bulk jobs spread over both, a session that expires
// mid-run, a wrong password (one login attempt for the whole cluster, none after a restart of every n8n
// process), trigger callbacks arriving while the workers run, and a third worker on a slow link to the database
// (its reads and writes take seconds: still one login attempt for a wrong password). One cluster per n8n version; everything it
// starts is stopped at the end, also on failure. N8N_E2E_ONLY=1.x (or 2.x) runs one version; QUEUE_JOBS=n sets
// the burst size (20).
const assert = require('assert/strict');
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

require('../register');
const { imeis } = require('../fixtures');
const { forkSimulator } = require('../simulator/fork');
const { NODE_TYPE, finish, TARGETS, freePort, installInto, installN8n, log, n8nEnv, nodeBin, packPackage, simulatorCredential } = require('./n8n');
const { allowedFreePort, isReady, restClient, setActive, setUpOwner, sleep, waitFor } = require('./n8nServer');
const { installServices, startServices } = require('./services');

const TRIGGER_TYPE = NODE_TYPE.replace(/thingSpaceSimSecure$/, 'thingSpaceSimSecureTrigger');
const JOBS = Number(process.env.QUEUE_JOBS || 20);
const DEVICES = 50;
const CALLBACK_DEVICES = 10;
/** Case 6: a contract's rate shared by the workers (issue #21). */
const RATE_PER_SECOND = 10;
const RATE_DEVICES = 500;
const CONCURRENCY = 10;
const WORKERS = ['worker 1', 'worker 2'];
const WRONG_PASSWORD = 'not-the-uws-password';
/** A second wrong password: its refusal is not held yet when case 5 starts. */
const OTHER_WRONG_PASSWORD = 'also-not-the-uws-password';
const SLOW_WORKER = 'slow worker';
/** Each chunk between the slow worker and PostgreSQL waits this long, each way (a remote or overloaded database). */
const SLOW_LINK_MS = 150;
const TRIGGER_WEBHOOK_ID = 'e5f6a7b8-0008-4c9d-8e0f-000000000001';
// Generous: two cores, three n8n processes, and other jobs may share the machine.
const BOOT_MS = 4 * 60 * 1000;
const RUN_MS = 5 * 60 * 1000;
const TARGET_LIMIT_MS = 20 * 60 * 1000;

const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);
const byRoute = (requests, route) => requests.filter((request) => request.route === route);

/** Everything started so far, stopped newest first: at the end, on failure, on Ctrl-C and on the watchdog. */
const cleanups = [];
// One cleanup at a time: a Ctrl-C during the end-of-run cleanup waits for it instead of racing it.
let cleaning = Promise.resolve();
let stopping = false;
function cleanUp(down = 0) {
	cleaning = cleaning.then(async () => {
		while (cleanups.length > down) await cleanups.pop()().catch((error) => log(`# cleanup: ${error.message}`));
	});
	return cleaning;
}
// Process groups of the n8n processes (n8n 2.x starts a task runner child): killed if this script dies anyway.
const groups = new Set();
process.once('exit', () => {
	for (const pid of groups) killGroup(pid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.once(signal, () => {
		stopping = true;
		log(`# ${signal}: stopping everything`);
		cleanUp().finally(() => process.exit(130));
	});
}

function killGroup(pid, signal) {
	try {
		process.kill(-pid, signal);
	} catch {
		// Already gone.
	}
}

const tail = (file, chars = 2500) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(-chars) : '');

/**
 * A TCP relay to 127.0.0.1:`port` whose chunks each wait `link.delayMs` (0 until set), in order, both ways:
 * a process connected through it reads and writes the database slowly (each read of a credential takes seconds).
 */
function slowLink(port) {
	const sockets = new Set();
	const link = { delayMs: 0 };
	const relay = (from, to) => {
		let last = Promise.resolve();
		from.on('data', (chunk) => {
			const delay = link.delayMs;
			last = last.then(() => new Promise((resolve) => setTimeout(resolve, delay))).then(() => {
				if (!to.destroyed) to.write(chunk);
			});
		});
		from.on('close', () => last.then(() => to.destroy()));
		from.on('error', () => undefined);
	};
	const server = net.createServer((client) => {
		const database = net.connect(port, '127.0.0.1');
		for (const socket of [client, database]) sockets.add(socket);
		relay(client, database);
		relay(database, client);
	});
	return new Promise((resolve) =>
		server.listen(0, '127.0.0.1', () => {
			link.port = server.address().port;
			link.close = () =>
				new Promise((done) => {
					for (const socket of sockets) socket.destroy();
					server.close(() => done());
				});
			resolve(link);
		}),
	);
}

/**
 * main + 2 workers of one n8n version, sharing the services' database and queue. boot() starts main first: on
 * a fresh database it runs the migrations, which n8n 1.x does not lock against other processes.
 */
async function startCluster(target, tarball, services) {
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-queue-'));
	const port = await allowedFreePort();
	const base = `http://127.0.0.1:${port}`;
	const roles = [{ name: 'main', args: ['start'] }, ...WORKERS.map((name) => ({ name, args: ['worker', `--concurrency=${CONCURRENCY}`] }))];
	for (const role of roles) {
		role.home = path.join(folder, role.name.replace(' ', '-'));
		fs.mkdirSync(role.home);
		installInto(role.home, tarball);
		role.logs = [];
		role.env = n8nEnv(role.home, bin, {
			...services.env,
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			WEBHOOK_URL: `${base}/`,
			N8N_SECURE_COOKIE: 'false',
			// Info level: a worker's log names every execution it runs.
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_FORMAT: 'text',
			// Each process has a task broker of its own (n8n 2.x), so each needs its own port.
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
			QUEUE_HEALTH_CHECK_ACTIVE: 'false',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '20',
			...(role.name === 'main' ? { N8N_PORT: String(port) } : {}),
		});
	}
	const [main, ...workers] = roles;
	let closed = false;
	const alive = (role) => role.child && role.child.exitCode === null && role.child.signalCode === null;

	function start(role) {
		// Nothing starts once the run is being stopped.
		if (stopping || closed) throw new Error('the run is stopping');
		const logPath = path.join(folder, `${role.name.replace(' ', '-')}-${role.logs.length + 1}.log`);
		role.logs.push(logPath);
		const out = fs.openSync(logPath, 'w');
		// Its own process group, so that stopping it also stops the task runner it starts.
		role.child = spawn(n8n, role.args, { env: role.env, detached: true, stdio: ['ignore', out, out] });
		fs.closeSync(out);
		groups.add(role.child.pid);
	}

	async function stop(role) {
		const child = role.child;
		if (!child) return;
		if (alive(role)) {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			killGroup(child.pid, 'SIGTERM');
			const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 45000);
			await exited;
			clearTimeout(timer);
		}
		killGroup(child.pid, 'SIGKILL');
		groups.delete(child.pid);
	}

	const stopAll = () => Promise.all(roles.map(stop));
	const readyOrDead = (role, ready) => async () => {
		if (!alive(role)) throw new Error(`${role.name} exited (${role.child.exitCode ?? role.child.signalCode}):\n${tail(role.logs.at(-1))}`);
		return ready();
	};

	async function boot() {
		const started = Date.now();
		try {
			start(main);
			await waitFor('n8n main to answer', readyOrDead(main, () => isReady(base)), BOOT_MS);
			for (const worker of workers) start(worker);
			await Promise.all(workers.map((worker) => waitFor(`${worker.name} to be ready`, readyOrDead(worker, () => tail(worker.logs.at(-1), 1e6).includes('n8n worker is now ready')), BOOT_MS)));
		} catch (error) {
			const logs = roles.filter((role) => role.logs.length > 0).map((role) => `--- ${role.name}:\n${tail(role.logs.at(-1), 1500)}`);
			throw new Error(`${error.message}\n${logs.join('\n')}`);
		}
		return Date.now() - started;
	}

	/** Which worker ran which execution: each logs "Worker started execution <id> (job <n>)" at info level. */
	function workerOf() {
		const runs = new Map();
		for (const worker of workers) {
			for (const file of worker.logs) {
				for (const match of tail(file, 1e9).matchAll(/Worker started execution (\S+) \(job/g)) runs.set(match[1], worker.name);
			}
		}
		return runs;
	}

	/** One more worker, its environment changed by `env` (e.g. its database port); started and ready. */
	async function addWorker(name, env) {
		const role = { name, args: ['worker', `--concurrency=${CONCURRENCY}`], home: path.join(folder, name.replace(' ', '-')), logs: [] };
		fs.mkdirSync(role.home);
		installInto(role.home, tarball);
		role.env = { ...n8nEnv(role.home, bin, {}), ...workers[0].env, N8N_USER_FOLDER: role.home, N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...env };
		roles.push(role);
		workers.push(role);
		start(role);
		await waitFor(`${name} to be ready`, readyOrDead(role, () => tail(role.logs.at(-1), 1e6).includes('n8n worker is now ready')), BOOT_MS);
	}

	return {
		base,
		modules: path.dirname(path.dirname(n8n)),
		major: Number(target.version.split('.')[0]),
		boot,
		addWorker,
		restart: async () => {
			await stopAll();
			return boot();
		},
		workerOf,
		close: async () => {
			closed = true;
			await stopAll();
			fs.rmSync(folder, { recursive: true, force: true });
		},
	};
}

const credentialRef = (credential) => ({ thingSpaceApi: { id: credential.id, name: credential.name } });

/** Webhook → Assign on the SIMs posted, answering with Assign's output (as assignWorkflow in trigger.js). */
const assignWorkflow = (name, route, credential) => ({
	name,
	active: false,
	settings: {},
	nodes: [
		{ id: 'h', name: 'Assign Request', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: route, parameters: { httpMethod: 'POST', path: route, responseMode: 'lastNode', options: {} } },
		{ id: 'a', name: 'Assign', type: NODE_TYPE, typeVersion: 1, position: [260, 0], parameters: { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: '={{ $json.body.sims }}' }, credentials: credentialRef(credential) },
	],
	connections: { 'Assign Request': { main: [[{ node: 'Assign', type: 'main', index: 0 }]] } },
});

/** ThingSpace SIM-Secure Trigger → No Operation: one execution per callback. */
const resultsWorkflow = (credential) => ({
	name: 'SIM-Secure results',
	active: false,
	settings: {},
	nodes: [
		{ id: 't', name: 'SIM-Secure Result', type: TRIGGER_TYPE, typeVersion: 1, position: [0, 0], webhookId: TRIGGER_WEBHOOK_ID, parameters: { results: 'all', options: {} }, credentials: credentialRef(credential) },
		{ id: 'n', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [260, 0], parameters: {} },
	],
	connections: { 'SIM-Secure Result': { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
});

/** The owner, both credentials and the workflows, over n8n's REST API as the editor makes them. */
async function setUpInstance(cluster, simUrl) {
	const rest = restClient(cluster.base);
	const owner = { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Queue-check-1' };
	await setUpOwner((body) => rest.call('POST', '/rest/owner/setup', body), owner);
	const create = async (route, body) => {
		const answer = await rest.call('POST', route, body);
		assert.equal(answer.status, 200, `POST ${route} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
		return answer.body.data;
	};
	const { data } = simulatorCredential(simUrl)[0];
	const good = await create('/rest/credentials', { name: 'ThingSpace simulator', type: 'thingSpaceApi', data });
	const wrong = await create('/rest/credentials', { name: 'ThingSpace wrong password', type: 'thingSpaceApi', data: { ...data, password: WRONG_PASSWORD } });
	const assign = await create('/rest/workflows', assignWorkflow('Assign over a webhook', 'ts-queue-assign', good));
	const wrongAssign = await create('/rest/workflows', assignWorkflow('Assign with a wrong password', 'ts-queue-wrong', wrong));
	const otherWrong = await create('/rest/credentials', { name: 'ThingSpace another wrong password', type: 'thingSpaceApi', data: { ...data, password: OTHER_WRONG_PASSWORD } });
	const slowAssign = await create('/rest/workflows', assignWorkflow('Assign with another wrong password', 'ts-queue-slow', otherWrong));
	const results = await create('/rest/workflows', resultsWorkflow(good));
	for (const flow of [assign, wrongAssign, slowAssign]) {
		const answer = await setActive(rest, cluster.major, flow.id, true);
		assert.ok(answer.ok, `activating ${flow.name} answered ${answer.status}: ${answer.message}`);
	}
	return { rest, owner, workflows: { assign: assign.id, wrong: wrongAssign.id, slow: slowAssign.id, results: results.id } };
}

/** POSTs every body to the webhook at once; resolves with each answer's status and text. */
function burst(base, route, bodies) {
	return Promise.all(
		bodies.map(async (body) => {
			const answer = await fetch(`${base}/webhook/${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(RUN_MS) });
			return { status: answer.status, text: await answer.text() };
		}),
	);
}

/** n8n's executions, read from its database (the REST API pages them differently on 1.x and 2.x). */
async function openDatabase(services, modules) {
	const pg = require(path.join(modules, 'pg'));
	const client = new pg.Client({ host: services.postgres.host, port: services.postgres.port, user: services.postgres.user, password: services.postgres.password, database: services.postgres.database });
	client.on('error', () => undefined);
	await client.connect();
	const executions = async (workflowId) => (await client.query('SELECT id::text AS id, status FROM execution_entity WHERE "workflowId" = $1', [workflowId])).rows;
	return {
		executions,
		/** The ids of `workflowId`'s executions now, to tell a case's own executions from earlier ones. */
		snapshot: async (workflowId) => new Set((await executions(workflowId)).map((row) => row.id)),
		/** Waits until `count` new executions of `workflowId` have finished; returns the new ones. */
		finished: async (workflowId, before, count, timeoutMs = RUN_MS) => {
			let fresh = [];
			await waitFor(
				`${count} finished executions`,
				async () => {
					fresh = (await executions(workflowId)).filter((row) => !before.has(row.id));
					return fresh.length >= count && fresh.every((row) => FINISHED.has(row.status));
				},
				timeoutMs,
			).catch((error) => {
				throw new Error(`${error.message} (have ${fresh.length}: ${summary(fresh.map((row) => row.status))})`);
			});
			return fresh;
		},
		close: () => client.end(),
	};
}

/** An execution's run data, over n8n's REST API (flatted, as n8n stores it). */
async function runData(rest, modules, id) {
	const { parse } = require(path.join(modules, 'flatted'));
	const answer = await rest.call('GET', `/rest/executions/${id}`);
	assert.equal(answer.status, 200, `GET /rest/executions/${id} answered ${answer.status}`);
	const raw = answer.body.data.data;
	return { raw, data: typeof raw === 'string' ? parse(raw) : raw };
}

/** "success ×18, error ×2" */
function summary(values) {
	const counts = new Map();
	for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
	return [...counts].map(([value, n]) => `${value} ×${n}`).join(', ') || 'none';
}

/** How many of `runs` each worker ran, once the logs name them all. */
async function spread(cluster, runs) {
	let owners = new Map();
	await waitFor('the workers\' logs to name every execution', () => runs.every((run) => (owners = cluster.workerOf()).has(run.id)), 30000).catch(() => undefined);
	const counts = Object.fromEntries(WORKERS.map((name) => [name, 0]));
	for (const run of runs) {
		const name = owners.get(run.id) ?? 'no worker';
		counts[name] = (counts[name] ?? 0) + 1;
	}
	return counts;
}
const spreadText = (counts) => Object.entries(counts).map(([name, n]) => `${name} ran ${n}`).join(', ');

async function runTarget(target, tarball) {
	const results = [];
	const check = async (name, run) => {
		if (stopping || (process.env.QUEUE_ONLY && !process.env.QUEUE_ONLY.split(',').some((prefix) => name.startsWith(prefix.trim())))) return;
		const started = Date.now();
		try {
			await run();
			results.push(true);
			log(`ok - ${target.name} - queue: ${name} (${Date.now() - started} ms)`);
		} catch (failure) {
			results.push(false);
			log(`not ok - ${target.name} - queue: ${name}\n  ${String(failure.stack ?? failure).split('\n').slice(0, 8).join('\n  ')}`);
		}
	};
	// Installs n8n (once), PostgreSQL and Redis before the watchdog starts: a first install may take long.
	installN8n(target, nodeBin(target.nodeMajor));
	installServices();
	const mark = cleanups.length;
	const watchdog = setTimeout(() => {
		stopping = true;
		log(`not ok - ${target.name} - queue: still running after ${TARGET_LIMIT_MS / 60000} minutes, stopping everything`);
		cleanUp().finally(() => process.exit(1));
	}, TARGET_LIMIT_MS);
	try {
		const services = await startServices();
		cleanups.push(() => services.stop());
		// For case 5's slow worker; closed after the cluster has stopped.
		const link = await slowLink(services.postgres.port);
		cleanups.push(() => link.close());
		const sim = await forkSimulator({ licenses: { 'SIMSec-IoT': 100000 }, latencyMs: 150 });
		cleanups.push(() => sim.close());
		const cluster = await startCluster(target, tarball, services);
		cleanups.push(() => cluster.close());
		const bootMs = await cluster.boot();
		const db = await openDatabase(services, cluster.modules);
		cleanups.push(() => db.close());
		const { rest, workflows } = await setUpInstance(cluster, sim.url);
		log(`# ${target.name}: PostgreSQL, Redis, main and ${WORKERS.length} workers (concurrency ${CONCURRENCY}) up; n8n booted in ${Math.round(bootMs / 1000)} s`);
		/** The error of each of `runs`, as n8n stored it ("message description"). */
		const errorsOf = async (runs) => {
			const errors = [];
			for (const run of runs) {
				const { data } = await runData(rest, cluster.modules, run.id);
				const error = data?.resultData?.error ?? {};
				errors.push(`${error.message ?? ''} ${error.description ?? ''}`.replace(/\s+/g, ' ').trim());
			}
			return errors;
		};
		const logErrors = async (runs) => {
			const failed = runs.filter((run) => run.status !== 'success');
			if (failed.length > 0) log(`#   errors: ${summary((await errorsOf(failed)).map((error) => error.slice(0, 300)))}`);
		};
		// The sessions case 1 used: case 2 tells whether n8n sends them again after ThingSpace ended them.
		const earlierSessions = new Set();
		const jobsFrom = (start, devices) => Array.from({ length: JOBS }, (_, job) => ({ sims: imeis(devices, start + job * devices) }));

		await check(`1. ${JOBS} webhook jobs of ${DEVICES} devices, spread over both workers, each device sent once`, async () => {
			await sim.reset();
			const before = await db.snapshot(workflows.assign);
			const answers = await burst(cluster.base, 'ts-queue-assign', jobsFrom(100000, DEVICES));
			const runs = await db.finished(workflows.assign, before, JOBS);
			const [stats, requests, counts] = [await sim.stats(), await sim.requests(), await spread(cluster, runs)];
			const assigns = byRoute(requests, 'assign');
			for (const request of assigns) earlierSessions.add(request.session);
			log(`# ${target.name}: bulk: ${JOBS} jobs (${summary(runs.map((run) => run.status))}), ${assigns.length} assign requests (${summary(assigns.map((r) => r.status))}), ${byRoute(requests, 'login').length} login attempts, ${stats.distinctDevices} devices, ${stats.sentMoreThanOnce} sent more than once; ${spreadText(counts)}`);
			await logErrors(runs);
			assert.deepEqual(summary(answers.map((answer) => answer.status)), `200 ×${JOBS}`, `webhook answers: ${answers.find((answer) => answer.status !== 200)?.text.slice(0, 300)}`);
			assert.equal(runs.length, JOBS);
			assert.ok(runs.every((run) => run.status === 'success'), 'every execution succeeded');
			assert.equal(stats.distinctDevices, JOBS * DEVICES);
			assert.equal(stats.sentMoreThanOnce, 0);
			for (const name of WORKERS) assert.ok(counts[name] > 0, `${name} ran none of the executions`);
			assert.equal(counts['no worker'], undefined, 'every execution ran on a worker');
			assert.equal(byRoute(requests, 'login').length, 1, 'one login for the cluster');
		});

		await check(`2. the session expires mid-run: ${JOBS} jobs still license each device once`, async () => {
			await sim.reset();
			const before = await db.snapshot(workflows.assign);
			const running = burst(cluster.base, 'ts-queue-assign', jobsFrom(200000, DEVICES));
			running.catch(() => undefined);
			// Part-way: once a few assigns have reached ThingSpace, every session it issued ends.
			const expireAfter = Math.max(1, Math.floor(JOBS / 4));
			await waitFor(`${expireAfter} assign requests`, async () => (await sim.stats()).assign >= expireAfter, RUN_MS);
			await sim.expireSessions();
			const answers = await running;
			const runs = await db.finished(workflows.assign, before, JOBS);
			const [stats, requests, counts] = [await sim.stats(), await sim.requests(), await spread(cluster, runs)];
			const assigns = byRoute(requests, 'assign');
			const expired = assigns.filter((request) => request.status === 401).length;
			// A retry (the same devices again) that ThingSpace refused too, and whether it carried a session from case 1.
			const firstDevice = (request) => request.body?.devices?.[0]?.deviceIds?.[0]?.id;
			const tried = new Set();
			const retried = [];
			for (const request of assigns) {
				if (tried.has(firstDevice(request))) retried.push(request);
				tried.add(firstDevice(request));
			}
			const refusedAgain = retried.filter((request) => request.status === 401);
			const stale = refusedAgain.filter((request) => earlierSessions.has(request.session)).length;
			log(`# ${target.name}: session expired after ${expireAfter} assigns: ${JOBS} jobs (${summary(runs.map((run) => run.status))}), ${assigns.length} assign requests (${summary(assigns.map((r) => r.status))}), ${byRoute(requests, 'login').length} login attempts, ${retried.length} retries of which ${refusedAgain.length} were refused again (${stale} of those with a session from case 1), ${stats.distinctDevices} devices, ${stats.sentMoreThanOnce} sent more than once; ${spreadText(counts)}`);
			await logErrors(runs);
			assert.deepEqual(summary(answers.map((answer) => answer.status)), `200 ×${JOBS}`, `webhook answers: ${answers.find((answer) => answer.status !== 200)?.text.slice(0, 300)}`);
			assert.ok(runs.every((run) => run.status === 'success'), 'every execution succeeded');
			assert.ok(expired > 0, 'no assign met the expired session: the expiry came too late to test anything');
			assert.equal(byRoute(requests, 'login').length, 1, 'one new login for the cluster');
			assert.equal(stats.distinctDevices, JOBS * DEVICES);
			assert.equal(stats.sentMoreThanOnce, 0);
		});

		// Issue #21: a contract shared by two workers. Each worker keeps its own pace (docs/design.md, queue mode): this
		// asserts that nothing is lost or sent twice, and reports the 429s and the time against the rate floor. It bounds
		// them only where pacing is broken (a pace never learned met hundreds of 429s; a cluster paced at half the contract
		// takes twice the floor), not at the issue's 6 and 1.25×: a worker squeezed by the other, or a loaded machine, misses
		// those (up to 14 answers 429, and calls up to 1.44× the floor, docs/benchmarks.md). The time bounded is the licensing
		// calls', as n8n's start of the jobs is not the node's (up to 2 s on a loaded 2.x).
		await check(`6. a contract of ${RATE_PER_SECOND} calls per second, ${JOBS} jobs of ${RATE_DEVICES} devices over both workers: each device once`, async () => {
			await sim.reset();
			await sim.configure({ rateLimitPerSecond: RATE_PER_SECOND, latencyMs: 20 });
			// The reset forgot the earlier cases' calls, which a real ThingSpace would still count in its window, and the
			// workers would learn from: the case starts once they are out of every window.
			await sleep(2 * 1030);
			try {
				const before = await db.snapshot(workflows.assign);
				const started = Date.now();
				const answers = await burst(cluster.base, 'ts-queue-assign', jobsFrom(300000, RATE_DEVICES));
				const wallMs = Date.now() - started;
				const runs = await db.finished(workflows.assign, before, JOBS);
				const [stats, counts] = [await sim.stats(), await spread(cluster, runs)];
				const accepted = stats.assign - stats.rateLimited;
				// When each 429 came, from the first licensing call: a burst at the start, or a pace that kept meeting them.
				const assigns = (await sim.requests()).filter((request) => request.route === 'assign');
				const refusedAt = assigns.filter((request) => request.status === 429).map((request) => Math.round(request.at - assigns[0].at));
				const floorMs = (accepted / RATE_PER_SECOND) * 1000;
				// Where the wall time goes: n8n's start of the jobs, then the licensing calls (the simulator's clock is this machine's).
				const firstCallMs = Math.round(assigns[0].at - started);
				const callsMs = Math.round(assigns.at(-1).at - assigns[0].at);
				log(`# ${target.name}: rate: ${JOBS} jobs (${summary(runs.map((run) => run.status))}), ${stats.assign} assign requests, ${stats.rateLimited} answers 429 (at ${refusedAt.join(', ') || '–'} ms), ${stats.distinctDevices} devices, ${stats.sentMoreThanOnce} sent more than once, ${wallMs} ms against a rate floor of ${floorMs} ms (${(wallMs / floorMs).toFixed(2)}×: the first licensing call ${firstCallMs} ms after the first webhook call, ${callsMs} ms from it to the last, ${(callsMs / floorMs).toFixed(2)}×); ${spreadText(counts)}`);
				await logErrors(runs);
				assert.deepEqual(summary(answers.map((answer) => answer.status)), `200 ×${JOBS}`, `webhook answers: ${answers.find((answer) => answer.status !== 200)?.text.slice(0, 300)}`);
				assert.ok(runs.every((run) => run.status === 'success'), 'every execution succeeded');
				assert.equal(stats.distinctDevices, JOBS * RATE_DEVICES);
				assert.equal(stats.sentMoreThanOnce, 0);
				assert.ok(stats.rateLimited <= 20, `${stats.rateLimited} answers 429, more than 20`);
				assert.ok(callsMs <= 2 * floorMs, `licensing calls over ${(callsMs / floorMs).toFixed(2)}× the rate floor, more than 2×`);
			} finally {
				await sim.configure({ rateLimitPerSecond: 0, latencyMs: 150 });
			}
		});

		// Before case 3: its restart reactivates what is active, and its refused logins count toward the lockout.
		await check(`4. trigger callbacks arrive while the workers run ${JOBS} jobs: one successful execution per callback`, async () => {
			const activation = await setActive(rest, cluster.major, workflows.results, true);
			assert.ok(activation.ok, `activating the trigger answered ${activation.status}: ${activation.message}`);
			try {
				assert.equal((await sim.listeners()).CarrierService?.url, `${cluster.base}/webhook/${TRIGGER_WEBHOOK_ID}/webhook`);
				await sim.reset();
				const [beforeAssign, beforeResults] = [await db.snapshot(workflows.assign), await db.snapshot(workflows.results)];
				const jobs = jobsFrom(300000, CALLBACK_DEVICES);
				const devices = jobs.flatMap((job) => job.sims);
				const answers = await burst(cluster.base, 'ts-queue-assign', jobs);
				const deliveries = await sim.callbacks(RUN_MS);
				assert.ok(Array.isArray(deliveries), `callback deliveries: ${deliveries.error}`);
				// A delivery n8n main does not answer within the simulator's 5 s (a loaded machine) is sent again, as
				// ThingSpace does: what the product guarantees is one acknowledged delivery and one execution per device.
				const message = (delivery) => JSON.stringify([delivery.body.requestId, delivery.body.deviceIds?.[0]?.id]);
				const acknowledged = new Set(deliveries.filter((delivery) => delivery.status === 200).map(message));
				const assignRuns = await db.finished(workflows.assign, beforeAssign, JOBS);
				const runs = await db.finished(workflows.results, beforeResults, devices.length);
				// Late extra executions would show up now.
				await sleep(2000);
				const all = (await db.executions(workflows.results)).filter((row) => !beforeResults.has(row.id));
				// Which of this burst's devices each execution carries.
				const carried = [];
				for (let i = 0; i < all.length; i += 10) {
					const batch = await Promise.all(all.slice(i, i + 10).map((run) => runData(rest, cluster.modules, run.id)));
					for (const { raw } of batch) {
						const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
						carried.push(devices.filter((device) => text.includes(device)));
					}
				}
				const counts = await spread(cluster, all);
				log(`# ${target.name}: callbacks: ${JOBS} assign jobs (${summary(assignRuns.map((run) => run.status))}) of ${CALLBACK_DEVICES} devices, ${deliveries.length} callbacks delivered (${summary(deliveries.map((d) => `HTTP ${d.status}`))}), ${all.length} trigger executions (${summary(all.map((run) => run.status))}); ${spreadText(counts)}`);
				await logErrors([...assignRuns, ...all]);
				assert.deepEqual(summary(answers.map((answer) => answer.status)), `200 ×${JOBS}`);
				assert.equal(new Set(deliveries.map(message)).size, devices.length, 'one callback per device');
				assert.equal(acknowledged.size, devices.length, 'n8n main acknowledged every callback');
				assert.equal(runs.length, devices.length);
				assert.equal(all.length, devices.length, 'one execution per device, repeated deliveries included');
				assert.ok(all.every((run) => run.status === 'success'), 'every trigger execution succeeded');
				assert.ok(carried.every((found) => found.length === 1), 'each trigger execution carries one device');
				assert.equal(new Set(carried.flat()).size, devices.length, 'every device reported in an execution');
			} finally {
				const off = await setActive(rest, cluster.major, workflows.results, false);
				assert.ok(off.ok, `deactivating the trigger answered ${off.status}: ${off.message}`);
			}
			assert.equal((await sim.listeners()).CarrierService, undefined, 'deactivation removed the listener');
		});

		const wrongJobs = (start) => Array.from({ length: JOBS }, (_, job) => ({ sims: imeis(5, start + job * 5) }));
		/** The error of each new execution of the wrong-password workflow; none may have licensed anything. */
		const failedRuns = async (before) => {
			const runs = await db.finished(workflows.wrong, before, JOBS);
			return { runs, errors: await errorsOf(runs) };
		};
		const loginsOf = (requests) => byRoute(requests, 'login');
		const wrongLogins = (requests) => loginsOf(requests).filter((request) => request.body?.password === WRONG_PASSWORD);

		await check(`3a. a wrong password: ${JOBS} jobs make exactly 1 login attempt across the cluster, every execution fails on the login`, async () => {
			await sim.reset();
			const before = await db.snapshot(workflows.wrong);
			const answers = await burst(cluster.base, 'ts-queue-wrong', wrongJobs(400000));
			const { runs, errors } = await failedRuns(before);
			const requests = await sim.requests();
			const counts = await spread(cluster, runs);
			log(`# ${target.name}: wrong password: ${JOBS} jobs (${summary(runs.map((run) => run.status))}; webhook ${summary(answers.map((answer) => answer.status))}), ${loginsOf(requests).length} login attempts (${wrongLogins(requests).length} with the wrong password), ${byRoute(requests, 'assign').length} assign requests; ${spreadText(counts)}`);
			log(`#   errors: ${summary(errors.map((error) => error.slice(0, 160)))}`);
			assert.ok(runs.every((run) => run.status === 'error'), 'every execution failed');
			assert.ok(errors.every((error) => /login/i.test(error)), `an error does not talk about the login: ${errors.find((error) => !/login/i.test(error))}`);
			assert.equal(byRoute(requests, 'assign').length, 0, 'nothing was licensed');
			assert.equal(loginsOf(requests).length, 1, 'login attempts across the cluster');
		});

		await check(`3b. after a restart of main and both workers: ${JOBS} more jobs make no login attempt`, async () => {
			// Reset first: whatever n8n does while it starts counts too.
			await sim.reset();
			const restartMs = await cluster.restart();
			const before = await db.snapshot(workflows.wrong);
			const answers = await burst(cluster.base, 'ts-queue-wrong', wrongJobs(500000));
			const { runs, errors } = await failedRuns(before);
			const requests = await sim.requests();
			const counts = await spread(cluster, runs);
			log(`# ${target.name}: after restarting every n8n process (${Math.round(restartMs / 1000)} s): ${JOBS} jobs (${summary(runs.map((run) => run.status))}; webhook ${summary(answers.map((answer) => answer.status))}), ${loginsOf(requests).length} further login attempts (${wrongLogins(requests).length} with the wrong password), ${byRoute(requests, 'assign').length} assign requests; ${spreadText(counts)}`);
			log(`#   errors: ${summary(errors.map((error) => error.slice(0, 160)))}`);
			assert.ok(runs.every((run) => run.status === 'error'), 'every execution failed');
			assert.ok(errors.every((error) => /login/i.test(error)), `an error does not talk about the login: ${errors.find((error) => !/login/i.test(error))}`);
			assert.equal(byRoute(requests, 'assign').length, 0, 'nothing was licensed');
			assert.equal(loginsOf(requests).length, 0, 'further login attempts across the cluster');
		});

		await check(`5. a third worker on a slow link to the database (its reads and writes take seconds): ${JOBS} jobs with another wrong password make exactly 1 login attempt`, async () => {
			await cluster.addWorker(SLOW_WORKER, { DB_POSTGRESDB_HOST: '127.0.0.1', DB_POSTGRESDB_PORT: String(link.port) });
			link.delayMs = SLOW_LINK_MS;
			await sim.reset();
			const before = await db.snapshot(workflows.slow);
			const answers = await burst(cluster.base, 'ts-queue-slow', wrongJobs(600000));
			const runs = await db.finished(workflows.slow, before, JOBS);
			const errors = await errorsOf(runs);
			const requests = await sim.requests();
			const counts = await spread(cluster, runs);
			const attempts = loginsOf(requests).filter((request) => request.body?.password === OTHER_WRONG_PASSWORD).length;
			log(`# ${target.name}: slow worker (${SLOW_LINK_MS} ms each way to PostgreSQL): ${JOBS} jobs (${summary(runs.map((run) => run.status))}; webhook ${summary(answers.map((answer) => answer.status))}), ${attempts} login attempts with that password, ${byRoute(requests, 'assign').length} assign requests; ${spreadText(counts)}`);
			log(`#   errors: ${summary(errors.map((error) => error.slice(0, 160)))}`);
			assert.ok((counts[SLOW_WORKER] ?? 0) > 0, 'the slow worker ran none of the executions: nothing was tested');
			assert.ok(runs.every((run) => run.status === 'error'), 'every execution failed');
			assert.equal(byRoute(requests, 'assign').length, 0, 'nothing was licensed');
			assert.equal(attempts, 1, 'login attempts across the cluster');
		});
	} catch (error) {
		results.push(false);
		log(`not ok - ${target.name} - queue: setting up\n  ${String(error.stack ?? error).split('\n').slice(0, 30).join('\n  ')}`);
	} finally {
		await cleanUp(mark);
		clearTimeout(watchdog);
	}
	return results;
}

async function main() {
	const tarball = packPackage();
	cleanups.push(async () => fs.rmSync(path.dirname(tarball), { recursive: true, force: true }));
	const results = [];
	try {
		for (const target of TARGETS) {
			if (stopping) break;
			const started = Date.now();
			results.push(...(await runTarget(target, tarball)));
			log(`# ${target.name} (${target.version}) in queue mode: ${Math.round((Date.now() - started) / 1000)} s`);
		}
	} finally {
		await cleanUp();
	}
	finish(results);
}

main().catch(async (error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	await cleanUp();
	process.exit(1);
});
