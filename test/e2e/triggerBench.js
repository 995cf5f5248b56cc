#!/usr/bin/env node
// `npm run bench:trigger`: a burst of CarrierService callbacks, one per device of an Assign, delivered by the
// simulator to the trigger in real n8n, and the same burst delivered to n8n's own Webhook node as the baseline.
// Options: --count N (default 10000), --n8n 1|2 (default both). Needs the n8n installs of `npm run test:e2e`
// (made on first use). Prints, per n8n version and listener: messages, acknowledged at the first attempt,
// executions started, answer time (p50/p95/max) as the simulator saw it, wall time, and the ratio to the baseline.
require('../register');
const { forkSimulator } = require('../simulator/fork');
const { imeis } = require('../fixtures');
const { TARGETS, log, packPackage } = require('./n8n');
const { startN8nServer, waitFor } = require('./n8nServer');
const { TRIGGER_TYPE, assignWorkflow, credentialRef } = require('./trigger');

const arg = (name, fallback) => {
	const index = process.argv.indexOf(`--${name}`);
	return index > 0 ? process.argv[index + 1] : fallback;
};
const COUNT = Number(arg('count', 10000));
const ONLY = arg('n8n', '');

const noOp = { id: 'o', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [260, 0], parameters: {} };
const connect = (from) => ({ [from]: { main: [[{ node: 'Done', type: 'main', index: 0 }]] } });
const LISTENERS = [
	{
		name: 'ThingSpace SIM-Secure Trigger',
		workflow: { id: 'benchTrigger', name: 'Trigger', active: false, settings: {}, connections: connect('Results'), nodes: [{ id: 't', name: 'Results', type: TRIGGER_TYPE, typeVersion: 1, position: [0, 0], webhookId: 'e1f2a3b4-0008-4c5d-8e6f-000000000001', parameters: { results: 'all', options: {} }, credentials: credentialRef }, noOp] },
	},
	{
		name: "n8n's Webhook node v2",
		workflow: { id: 'benchWebhook', name: 'Webhook', active: false, settings: {}, connections: connect('Webhook'), nodes: [{ id: 'w', name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: 'e1f2a3b4-0008-4c5d-8e6f-000000000002', parameters: { httpMethod: 'POST', path: 'bench-baseline', options: {} } }, noOp] },
		url: (base) => `${base}/webhook/bench-baseline`,
	},
	{
		// n8n 2.x skips its expression sandbox for the Webhook node v2 alone; v1, like every other trigger, gets it.
		name: "n8n's Webhook node v1",
		workflow: { id: 'benchWebhookV1', name: 'Webhook v1', active: false, settings: {}, connections: connect('Webhook'), nodes: [{ id: 'w', name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 1, position: [0, 0], webhookId: 'e1f2a3b4-0008-4c5d-8e6f-000000000003', parameters: { httpMethod: 'POST', path: 'bench-baseline-v1', options: {} } }, noOp] },
		url: (base) => `${base}/webhook/bench-baseline-v1`,
	},
];

const percentile = (values, p) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function burst(n8n, sim, listener, devices) {
	await sim.reset();
	const activation = await n8n.setActive(listener.workflow.id, true);
	if (!activation.ok) throw new Error(`activation failed: ${activation.message}`);
	// The baseline is given the account's listener directly; it checks no secret.
	if (listener.url) await sim.setListener('CarrierService', { url: listener.url(n8n.base), username: '', password: '' });
	const before = await n8n.executionCount(listener.workflow.id);
	const started = Date.now();
	const answer = await fetch(`${n8n.base}/webhook/ts-e2e-assign`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sims: devices }) });
	if (answer.status !== 200) throw new Error(`assign answered ${answer.status}`);
	const deliveries = await sim.callbacks(60 * 60 * 1000);
	if (deliveries.error) throw new Error(deliveries.error);
	const acknowledged = Date.now() - started;
	const executions = await waitFor('the executions', async () => {
		const count = (await n8n.executionCount(listener.workflow.id)) - before;
		return count >= devices.length ? count : undefined;
	}, 10 * 60 * 1000).catch(async () => (await n8n.executionCount(listener.workflow.id)) - before);
	await n8n.setActive(listener.workflow.id, false);
	const times = deliveries.map((delivery) => delivery.ms);
	return {
		messages: new Set(deliveries.map((delivery) => delivery.body.deviceIds[0].id)).size,
		firstAttempt: deliveries.filter((delivery) => delivery.attempt === 1 && delivery.status >= 200 && delivery.status < 300).length,
		attempts: deliveries.length,
		executions,
		p50: percentile(times, 50),
		p95: percentile(times, 95),
		max: Math.max(...times),
		wallMs: acknowledged,
	};
}

async function main() {
	const tarball = packPackage();
	log('| n8n | listener | messages | answered 2xx at the first attempt | deliveries in all | executions started | answer p50 / p95 / max ms | wall s | messages/s | wall ÷ Webhook v2 |');
	log('|---|---|---|---|---|---|---|---|---|---|');
	for (const target of TARGETS.filter((candidate) => !ONLY || candidate.name.includes(`${ONLY}.x`))) {
		const sim = await forkSimulator({ licenses: { 'SIMSec-IoT': COUNT * LISTENERS.length + 10 } });
		let n8n;
		try {
			n8n = await startN8nServer(target, tarball, sim.url, [assignWorkflow, ...LISTENERS.map((listener) => listener.workflow)]);
			const activation = await n8n.setActive(assignWorkflow.id, true);
			if (!activation.ok) throw new Error(`the assign workflow did not activate: ${activation.message}`);
			const results = [];
			for (const [index, listener] of LISTENERS.entries()) {
				results.push({ listener: listener.name, ...(await burst(n8n, sim, listener, imeis(COUNT, 200000 + index * COUNT))) });
			}
			const baseline = results[1].wallMs;
			for (const row of results) {
				log(`| ${target.name} (${target.version}) | ${row.listener} | ${row.messages} | ${row.firstAttempt} | ${row.attempts} | ${row.executions} | ${row.p50} / ${row.p95} / ${row.max} | ${(row.wallMs / 1000).toFixed(1)} | ${Math.round(row.messages / (row.wallMs / 1000))} | ${(row.wallMs / baseline).toFixed(2)} |`);
			}
		} finally {
			await n8n?.stop();
			await sim.close();
		}
	}
	log('');
	log('The simulator delivers up to 16 callbacks at a time, each device of the Assign as its own message; n8n runs with its defaults (SQLite, regular mode).');
	log("Wall time runs from the Assign request to the last callback's answer.");
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
