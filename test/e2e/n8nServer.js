// Real n8n serving webhooks: `n8n start` on 127.0.0.1, on a port ThingSpace delivers callbacks to, with this
// package installed, the simulator credential and the given workflows imported, and the owner signed in over
// n8n's internal REST API (as the editor is). Used by the trigger's end-to-end tests and its benchmark.
const assert = require('assert/strict');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const { installInto, installN8n, n8nEnv, nodeBin, simulatorCredential } = require('./n8n');

const ALLOWED_PORTS = [9001, 9002, 9003, 9004, 9005, 9006, ...Array.from({ length: 21 }, (_, i) => 28200 + i)];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, predicate, timeoutMs) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await predicate();
		if (value) return value;
		if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(100);
	}
}

const portIsFree = (port) =>
	new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});

async function allowedFreePort() {
	for (const port of ALLOWED_PORTS) if (await portIsFree(port)) return port;
	throw new Error('no free port among those ThingSpace delivers to (9001–9006, 28200–28220)');
}

/** Records every request the workflows make to "the CRM" and "the ticketing system". */
function startSink() {
	const received = [];
	const server = http.createServer((req, res) => {
		let data = '';
		req.on('data', (chunk) => (data += chunk));
		req.on('end', () => {
			received.push({ path: req.url, body: data ? JSON.parse(data) : undefined });
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
		});
	});
	return new Promise((resolve) =>
		server.listen(0, '127.0.0.1', () => resolve({ received, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => server.close(done)) })),
	);
}

/** n8n's internal REST API with the owner's session cookie, as the editor uses it. */
function restClient(base) {
	let cookie = '';
	const call = async (method, route, body) => {
		const response = await fetch(`${base}${route}`, {
			method,
			headers: { 'Content-Type': 'application/json', cookie },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = response.headers.get('set-cookie');
		if (setCookie) cookie = setCookie.split(';')[0];
		const text = await response.text();
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = { text };
		}
		return { status: response.status, body: json };
	};
	return { call };
}

/**
 * Activates or deactivates a workflow the way the editor's toggle does on this n8n version. n8n 1.x
 * answers once the triggers are set up, with the error if one failed; n8n 2.x publishes in the background,
 * so its publication status is polled until it settles.
 */
async function setActive(rest, major, id, active) {
	const read = await rest.call('GET', `/rest/workflows/${id}`);
	if (!read.body.data) throw new Error(`GET /rest/workflows/${id} answered ${read.status}: ${JSON.stringify(read.body).slice(0, 300)}`);
	const versionId = read.body.data.versionId;
	if (major < 2) {
		const answer = await rest.call('PATCH', `/rest/workflows/${id}`, { active, versionId });
		return { ok: answer.status === 200, status: answer.status, message: answer.body.message ?? '' };
	}
	const answer = await rest.call('POST', `/rest/workflows/${id}/${active ? 'activate' : 'deactivate'}`, active ? { versionId } : {});
	if (answer.status !== 200) return { ok: false, status: answer.status, message: answer.body.message ?? '' };
	const settled = await waitFor(
		'the publication to settle',
		async () => {
			const { data } = (await rest.call('GET', `/rest/workflows/${id}/publication-status`)).body;
			return data && data.status !== 'in_progress' ? data : undefined;
		},
		60000,
	);
	const failed = settled.triggers.filter((trigger) => trigger.status === 'failed');
	return { ok: failed.length === 0, status: answer.status, message: failed.map((trigger) => trigger.errorMessage).join('\n') };
}

async function executionCount(rest, workflowId) {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const { body } = await rest.call('GET', `/rest/executions?filter=${filter}`);
	return body.data.count;
}

/**
 * Sets up n8n's owner through `post(owner)`, whatever the client (it answers { status, body }). The settings route can
 * answer a moment before the owner-setup route is mounted, so a 404 is tried again for 30 s.
 */
async function setUpOwner(post, owner) {
	let setup;
	await waitFor('the owner setup', async () => (setup = await post(owner)).status !== 404, 30000).catch(() => undefined);
	assert.equal(setup.status, 200, `owner setup answered ${setup.status}: ${JSON.stringify(setup.body).slice(0, 300)}`);
}

/**
 * While it starts, n8n answers every route with a 200 text page ("n8n is starting up"): ready means its
 * readiness probe says so and the REST API answers JSON.
 */
async function isReady(base) {
	try {
		if (!(await fetch(`${base}/healthz/readiness`)).ok) return false;
		const response = await fetch(`${base}/rest/settings`);
		return response.ok && (response.headers.get('content-type') ?? '').includes('application/json');
	} catch {
		return false;
	}
}

/**
 * Starts n8n for `target` with `workflows` imported (inactive). `simUrl` is the simulator's base URL.
 * Returns the base URL, a REST client, helpers to (de)activate and count executions, and stop().
 */
async function startN8nServer(target, tarball, simUrl, workflows) {
	const major = Number(target.version.split('.')[0]);
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-webhooks-'));
	const port = await allowedFreePort();
	const base = `http://127.0.0.1:${port}`;
	const env = n8nEnv(home, bin, {
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PORT: String(port),
		WEBHOOK_URL: `${base}/`,
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: 'warn',
	});
	installInto(home, tarball);
	const file = path.join(home, 'input.json');
	fs.writeFileSync(file, JSON.stringify(simulatorCredential(simUrl)));
	assert.equal(spawnSync(n8n, ['import:credentials', `--input=${file}`], { env, stdio: 'ignore' }).status, 0, 'credential import');
	const folder = path.join(home, 'workflows');
	fs.mkdirSync(folder);
	for (const flow of workflows) fs.writeFileSync(path.join(folder, `${flow.id}.json`), JSON.stringify(flow));
	assert.equal(spawnSync(n8n, ['import:workflow', '--separate', `--input=${folder}`], { env, stdio: 'ignore' }).status, 0, 'workflow import');

	const logPath = path.join(home, 'n8n.log');
	const server = spawn(n8n, ['start'], { env, stdio: ['ignore', fs.openSync(logPath, 'w'), fs.openSync(logPath, 'a')] });
	const stop = async () => {
		if (server.exitCode === null) {
			server.kill('SIGTERM');
			await new Promise((resolve) => server.once('exit', resolve));
		}
		fs.rmSync(home, { recursive: true, force: true });
	};
	try {
		await waitFor('n8n to answer', async () => server.exitCode === null && (await isReady(base)), 120000);
		const rest = restClient(base);
		const owner = { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Webhook-check-1' };
		await setUpOwner((body) => rest.call('POST', '/rest/owner/setup', body), owner);
		return {
			base,
			rest,
			setActive: (id, active) => setActive(rest, major, id, active),
			executionCount: (workflowId) => executionCount(rest, workflowId),
			stop,
		};
	} catch (error) {
		const tail = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').slice(-3000) : '';
		await stop();
		throw new Error(`${error.message}\n${tail}`);
	}
}

module.exports = { ALLOWED_PORTS, allowedFreePort, executionCount, isReady, restClient, setActive, setUpOwner, sleep, startN8nServer, startSink, waitFor };
