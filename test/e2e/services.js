// PostgreSQL and Redis for n8n's queue mode in the end-to-end tests: each started fresh in a temporary folder,
// on 127.0.0.1 and a free port, and stopped again (with its folder removed). Missing servers are installed
// from Debian's packages (the CI machine is a fresh Debian, run as root).
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const { freePort, log } = require('./n8n');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The folder holding `name` on PATH or in one of `extra` (glob-free: the caller lists them). */
function findBin(name, extra = []) {
	const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extra].filter(Boolean);
	return dirs.find((dir) => {
		try {
			fs.accessSync(path.join(dir, name), fs.constants.X_OK);
			return true;
		} catch {
			return false;
		}
	});
}

/** Debian keeps PostgreSQL's server programs in /usr/lib/postgresql/<major>/bin, off PATH: newest first. */
function debianPgBins() {
	const root = '/usr/lib/postgresql';
	if (!fs.existsSync(root)) return [];
	return fs
		.readdirSync(root)
		.filter((major) => /^\d+$/.test(major))
		.sort((a, b) => Number(b) - Number(a))
		.map((major) => path.join(root, major, 'bin'));
}

function aptInstall(pkg) {
	if (!isRoot()) throw new Error(`${pkg} is not installed, and only root may install it: apt-get install ${pkg}`);
	log(`# installing ${pkg} from Debian's packages`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', pkg]]) {
		const result = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 10 * 60 * 1000 });
		if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${result.status}): ${(result.stderr || '').slice(-1000)}`);
	}
}

function pgBinDir() {
	let dir = findBin('initdb', debianPgBins());
	if (!dir) {
		aptInstall('postgresql');
		dir = findBin('initdb', debianPgBins());
	}
	if (!dir) throw new Error('initdb not found, even after installing postgresql');
	return dir;
}

function redisServer() {
	let dir = findBin('redis-server', ['/usr/bin', '/usr/sbin']);
	if (!dir) {
		aptInstall('redis-server');
		dir = findBin('redis-server', ['/usr/bin', '/usr/sbin']);
	}
	if (!dir) throw new Error('redis-server not found, even after installing it');
	return path.join(dir, 'redis-server');
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user. */
function postgresUser() {
	if (!isRoot()) return {};
	const id = (flag) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
	if (id('-u').status !== 0) {
		const added = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
		if (added.status !== 0) throw new Error(`no postgres user, and useradd failed: ${added.stderr}`);
	}
	return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** Waits for `pattern` in a log file, or fails when the process exits or time runs out. */
async function waitForLog(child, file, pattern, what, timeoutMs) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
		if (pattern.test(text)) return;
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${text.slice(-2000)}`);
		if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${text.slice(-2000)}`);
		await sleep(100);
	}
}

/** Stops a child: `signal` first, SIGKILL if it has not exited after `graceMs`. */
async function stopChild(child, signal, graceMs) {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill(signal);
	const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
	await exited;
	clearTimeout(timer);
}

/** Children still running when this process exits anyway (a crash, process.exit): killed, never left behind. */
const running = new Set();
process.once('exit', () => {
	for (const child of running) child.kill('SIGKILL');
});
function track(child) {
	running.add(child);
	child.once('exit', () => running.delete(child));
	return child;
}

/**
 * A fresh PostgreSQL cluster with one database, trust authentication, on 127.0.0.1 only; its socket in the
 * temporary folder too. fsync is off: the data lives as long as the test.
 */
async function startPostgres({ database = 'n8n', user = 'n8n' } = {}) {
	const bin = pgBinDir();
	const owner = postgresUser();
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-postgres-'));
	const data = path.join(folder, 'data');
	const socket = path.join(folder, 'socket');
	fs.mkdirSync(socket);
	if (owner.uid !== undefined) for (const dir of [folder, socket]) fs.chownSync(dir, owner.uid, owner.gid);
	const options = { ...owner, cwd: folder, env: { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' }, encoding: 'utf8', timeout: 120000 };
	const initdb = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], options);
	if (initdb.status !== 0) throw new Error(`initdb failed (${initdb.status}): ${initdb.stderr || initdb.error}`);
	// Single-user mode creates the database before the server listens: no client program needed.
	const created = spawnSync(path.join(bin, 'postgres'), ['--single', '-D', data, '-c', 'fsync=off', 'postgres'], { ...options, input: `CREATE DATABASE ${database};\n` });
	if (created.status !== 0) throw new Error(`creating the database failed (${created.status}): ${created.stderr}`);

	const port = await freePort();
	const logPath = path.join(folder, 'postgres.log');
	const out = fs.openSync(logPath, 'w');
	if (owner.uid !== undefined) fs.fchownSync(out, owner.uid, owner.gid);
	const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${socket}`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=200'];
	const child = track(spawn(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings.flatMap((setting) => ['-c', setting])], { ...owner, cwd: folder, env: options.env, stdio: ['ignore', out, out] }));
	fs.closeSync(out);
	const stop = async () => {
		// SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
		await stopChild(child, 'SIGINT', 20000);
		fs.rmSync(folder, { recursive: true, force: true });
	};
	try {
		await waitForLog(child, logPath, /database system is ready to accept connections/, 'PostgreSQL', 60000);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		host: '127.0.0.1',
		port,
		database,
		user,
		password: 'n8n-e2e',
		logPath,
		env: {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_DATABASE: database,
			DB_POSTGRESDB_USER: user,
			// Trust authentication ignores it; n8n wants one.
			DB_POSTGRESDB_PASSWORD: 'n8n-e2e',
		},
		stop,
	};
}

/** Answers true once Redis answers PING with PONG. */
const redisAnswers = (port) =>
	new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		let reply = '';
		const done = (value) => {
			socket.destroy();
			resolve(value);
		};
		socket.setTimeout(2000, () => done(false));
		socket.once('error', () => done(false));
		socket.once('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk) => {
			reply += chunk;
			if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
		});
	});

/** A fresh Redis on 127.0.0.1 that keeps nothing on disk. */
async function startRedis() {
	const server = redisServer();
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-redis-'));
	const port = await freePort();
	const logPath = path.join(folder, 'redis.log');
	const out = fs.openSync(logPath, 'w');
	const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', folder, '--daemonize', 'no'];
	const child = track(spawn(server, args, { cwd: folder, stdio: ['ignore', out, out] }));
	fs.closeSync(out);
	const stop = async () => {
		await stopChild(child, 'SIGTERM', 10000);
		fs.rmSync(folder, { recursive: true, force: true });
	};
	const until = Date.now() + 30000;
	while (!(await redisAnswers(port))) {
		if (child.exitCode !== null || Date.now() > until) {
			const text = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').slice(-2000) : '';
			await stop();
			throw new Error(`Redis did not answer on port ${port}:\n${text}`);
		}
		await sleep(100);
	}
	return { host: '127.0.0.1', port, logPath, env: { QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port) }, stop };
}

/** Installs PostgreSQL and Redis from Debian's packages when missing (may take minutes on a fresh machine). */
function installServices() {
	pgBinDir();
	redisServer();
}

/** Both, for one n8n instance in queue mode: `env` holds what every n8n process of it needs. */
async function startServices() {
	const postgres = await startPostgres();
	let redis;
	try {
		redis = await startRedis();
	} catch (error) {
		await postgres.stop();
		throw error;
	}
	return {
		postgres,
		redis,
		env: { ...postgres.env, ...redis.env, EXECUTIONS_MODE: 'queue' },
		stop: async () => {
			await Promise.allSettled([postgres.stop(), redis.stop()]);
		},
	};
}

module.exports = { installServices, startPostgres, startRedis, startServices, stopChild, track };
