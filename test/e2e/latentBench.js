#!/usr/bin/env node
// `npm run bench:n8n`: issue #21's latent rows in real n8n 1.x and 2.x (the installs of `npm run test:e2e`): one item
// of 10,000 devices, default options, the simulator answering in 300 ms, against limits of 10 and 50 licensing calls
// per second and none. Each row starts without a session (token call and login included), as the floor assumes.
// BENCH_N8N_MS and BENCH_N8N_RATES narrow it; N8N_E2E_ONLY=1.x or 2.x runs one version.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

require('../register');
const { forkSimulator } = require('../simulator/fork');
const { imeis } = require('../fixtures');
const { NODE_TYPE, TARGETS, installInto, installN8n, log, n8nEnv, nodeBin, packPackage, resultDataOf, simulatorCredential } = require('./n8n');

const DEVICES = 10000;
const numbers = (name, fallback) => (process.env[name] ?? fallback).split(',').filter(Boolean).map(Number);
const LATENCIES = numbers('BENCH_N8N_MS', '300');
const RATES = numbers('BENCH_N8N_RATES', '10,50,0');

/** Issue #21's floor: the licensing requests ÷ the rate, plus 3 answer times (token call, login, last request). */
const floorMs = (latencyMs, rate, requests) => 3 * latencyMs + (rate > 0 ? (requests / rate) * 1000 : 0);

const workflow = (credential) => ({
	id: 'latentBench',
	name: 'latentBench',
	active: false,
	settings: {},
	nodes: [
		{ id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{
			id: 'n',
			name: 'ThingSpace',
			type: NODE_TYPE,
			typeVersion: 1,
			position: [200, 0],
			parameters: { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: imeis(DEVICES, 500000).join(',') },
			credentials: { thingSpaceApi: { id: credential.id, name: credential.name } },
		},
	],
	connections: { Start: { main: [[{ node: 'ThingSpace', type: 'main', index: 0 }]] } },
});

async function benchTarget(target, tarball) {
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-latent-'));
	const rows = [];
	try {
		installInto(home, tarball);
		const env = n8nEnv(home, bin, { N8N_LOG_LEVEL: 'info', N8N_LOG_FORMAT: 'json' });
		const cli = (...args) => spawnSync(n8n, args, { env, encoding: 'utf8', timeout: 5 * 60 * 1000, killSignal: 'SIGKILL', maxBuffer: 1 << 28 });
		const file = (name, data) => {
			const at = path.join(home, name);
			fs.writeFileSync(at, JSON.stringify(data));
			return at;
		};
		for (const latencyMs of LATENCIES) {
			for (const rate of RATES) {
				const sim = await forkSimulator({ latencyMs, rateLimitPerSecond: rate, licenses: { 'SIMSec-IoT': 100000 } });
				try {
					// A new credential each row: no session stored, so each row pays the token call and the login.
					const [credential] = simulatorCredential(sim.url);
					if (cli('import:credentials', `--input=${file('credential.json', [credential])}`).status !== 0) throw new Error('credential import failed');
					if (cli('import:workflow', `--input=${file('workflow.json', workflow(credential))}`).status !== 0) throw new Error('workflow import failed');
					const result = cli('execute', '--id=latentBench', '--rawOutput');
					const task = resultDataOf(`${result.stdout}\n${result.stderr}`).runData.ThingSpace?.[0];
					const stats = await sim.stats();
					const requests = stats.assign;
					const floor = floorMs(latencyMs, rate, requests - stats.rateLimited);
					const pacing = task?.data?.main?.[0]?.[0]?.json?.pacing;
					rows.push(
						`| ${target.version} | ${latencyMs} ms | ${rate > 0 ? `${rate}/s` : 'none'} | ${requests} | ${stats.rateLimited} | ${stats.distinctDevices === DEVICES && stats.sentMoreThanOnce === 0 && !task?.error ? 'yes' : 'NO'} | ${stats.maxInFlight} | ${task?.executionTime ?? '–'} | ${Math.round(floor)} | ${task ? (task.executionTime / floor).toFixed(2) : '–'} | ${pacing ? `${pacing.requestsPerSecond}/s, ${pacing.waitedMs} ms waited` : '–'} |`,
					);
					log(rows[rows.length - 1]);
				} finally {
					await sim.close();
				}
			}
		}
	} finally {
		fs.rmSync(home, { recursive: true, force: true });
	}
	return rows;
}

async function main() {
	const tarball = packPackage();
	try {
		log(`| n8n | latency | limit | licensing requests | answers 429 | each device once, no error | most in flight | node ms | floor ms | ÷ floor | pacing in the output |`);
		log('|---|---|---|---|---|---|---|---|---|---|---|');
		for (const target of TARGETS) await benchTarget(target, tarball);
	} finally {
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
