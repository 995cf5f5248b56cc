#!/usr/bin/env node
// `npm run dev`: the ThingSpace simulator and a real n8n (editor on http://127.0.0.1:9001) with this package
// installed as a community node and a ready "ThingSpace simulator" credential. No Verizon account needed.
// n8n 1.x on this machine's Node by default; `npm run dev -- --n8n 2` for n8n 2.x on Node 24. Ctrl-C stops both.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const { CACHE, NODE_TYPE, TARGETS, installInto, installN8n, log, n8nEnv, nodeBin, packPackage, simulatorCredential } = require('./n8n');
const { forkSimulator } = require('../simulator/fork');

// 9001 rather than n8n's 5678: ThingSpace, and so the simulator, delivers callbacks only to a few ports, and the
// trigger refuses to activate on any other.
const PORT = Number(process.env.N8N_DEV_PORT || 9001);

async function main() {
	const wanted = process.argv.includes('--n8n') ? process.argv[process.argv.indexOf('--n8n') + 1] : '1';
	const target = TARGETS.find((candidate) => candidate.name === `n8n ${wanted}.x`);
	if (!target) throw new Error(`unknown n8n version "${wanted}": use 1 or 2`);
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	// A user folder of its own, kept between runs so workflows made in the editor stay.
	const home = path.join(CACHE, `dev-home-${target.version}`);
	fs.mkdirSync(home, { recursive: true });
	const tarball = packPackage();
	installInto(home, tarball);
	fs.rmSync(path.dirname(tarball), { recursive: true, force: true });

	const sim = await forkSimulator({});
	const env = n8nEnv(home, bin, {
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PORT: String(PORT),
		WEBHOOK_URL: `http://127.0.0.1:${PORT}/`,
		N8N_SECURE_COOKIE: 'false',
	});
	const file = path.join(home, 'thingspace-simulator-credential.json');
	fs.writeFileSync(file, JSON.stringify(simulatorCredential(sim.url)));
	spawnSync(n8n, ['import:credentials', `--input=${file}`], { env, stdio: 'ignore' });
	const workflow = path.join(home, 'thingspace-example.json');
	fs.writeFileSync(
		workflow,
		JSON.stringify({
			id: 'tsDevExample',
			name: 'ThingSpace SIM-Secure: license counts',
			active: false,
			settings: {},
			nodes: [
				{ id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
				{ id: 'n', name: 'ThingSpace SIM-Secure', type: NODE_TYPE, typeVersion: 1, position: [240, 0], parameters: { resource: 'account', operation: 'getLicenseCounts' }, credentials: { thingSpaceApi: { id: 'tsSimCredential', name: 'ThingSpace simulator' } } },
			],
			connections: { Start: { main: [[{ node: 'ThingSpace SIM-Secure', type: 'main', index: 0 }]] } },
		}),
	);
	spawnSync(n8n, ['import:workflow', `--input=${workflow}`], { env, stdio: 'ignore' });
	const results = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../examples/sim-secure-results-to-crm.json'), 'utf8'));
	fs.writeFileSync(workflow, JSON.stringify({ ...results, id: 'tsDevResults' }));
	spawnSync(n8n, ['import:workflow', `--input=${workflow}`], { env, stdio: 'ignore' });

	log(`ThingSpace simulator: ${sim.url} (credential "ThingSpace simulator" points at it)`);
	log(`n8n ${target.version}: http://127.0.0.1:${PORT} (first visit: create the owner account; workflow "ThingSpace SIM-Secure: license counts" is ready; activate "SIM-Secure result → …" and run an Assign to see the trigger fire)`);
	const child = spawn(n8n, ['start'], { env, stdio: 'inherit' });
	const stop = async () => {
		child.kill('SIGTERM');
		await sim.close();
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	child.once('exit', async (code) => {
		await sim.close();
		process.exit(code ?? 0);
	});
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
