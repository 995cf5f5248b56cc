#!/usr/bin/env node
// `npm run bench`: how many ThingSpace calls the node makes, and how long it takes, through n8n's engine
// (n8n-core 2.x, then 1.x) against the simulator on 127.0.0.1 (in a child process). Counts come from the
// simulator's own request log. Beside the node's rows it prints the engine floor: a no-op declarative node
// with the same properties, on the same items in the same harness, so the node's own per-item cost shows.
// Bounded: a fixed set of runs, then exit.
const { spawnSync } = require('child_process');

if (!process.env.N8N_CORE) {
	// One process per n8n-core version: each loads its own engine.
	let failed = false;
	for (const version of ['2', '1']) {
		process.stdout.write(`\n## n8n-core ${version}.x\n\n`);
		const run = spawnSync(process.execPath, ['--expose-gc', __filename], { stdio: 'inherit', env: { ...process.env, N8N_CORE: version } });
		failed ||= run.status !== 0;
	}
	process.exit(failed ? 1 : 0);
}

require('./register');

const { forkSimulator } = require('./simulator/fork');
const { Harness, simulatorCredentials, freshProcess } = require('./harness');
const { imeis } = require('./fixtures');
const { ThingSpaceSimSecure } = require('../nodes/ThingSpaceSimSecure/ThingSpaceSimSecure.node');

const out = (text = '') => process.stdout.write(`${text}\n`);
const SIZES = (process.env.BENCH_SIZES || '1000,10000').split(',').map(Number);
const LATENCIES = (process.env.BENCH_LATENCY_MS || '0,20').split(',').map(Number);
const MEMORY_DEVICES = Number(process.env.BENCH_MEMORY_DEVICES ?? 100000);
// The rate-limited rows: the simulator accepts this many licensing calls per second (429 with Retry-After: 1 beyond).
const RATE = Number(process.env.BENCH_RATE ?? 10);
const RATE_DEVICES = Number(process.env.BENCH_RATE_DEVICES ?? 10000);
const FLOOR = 'engine floor: no-op node, same properties, one item per device';
// The engine floor and the node's own rows are measured this many times; the median is shown (per-item figures are close).
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

const params = (options = {}) => ({ resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: '={{ $json.sims }}', options });

/** The node's description, each operation's hook replaced by one that answers at once: n8n's routing cost alone. */
function floorNode() {
	const noOp = async function () {
		return [{ json: {}, pairedItem: { item: this.getItemIndex() } }];
	};
	const copy = (value, key) => {
		if (key === 'pagination' && typeof value === 'function') return noOp;
		if (Array.isArray(value)) return value.map((entry) => copy(entry));
		if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v, k)]));
		return value;
	};
	return { description: copy(new ThingSpaceSimSecure().description) };
}

const perDevice = (ids) => ids.map((id) => ({ json: { sims: id } }));
const SHAPES = {
	'(a) one item': (ids) => ({ items: [{ json: { sims: ids } }], parameters: params() }),
	'(b) one item per device': (ids) => ({ items: perDevice(ids), parameters: params() }),
	[FLOOR]: (ids) => ({ items: perDevice(ids), parameters: params(), node: floorNode() }),
	// What a user gets with one request per device, all items at once (the HTTP Request node's default).
	'baseline A: a request per device, all at once': (ids) => ({ items: perDevice(ids), parameters: params({ combineItems: false, maxConcurrentRequests: ids.length }) }),
	// The same, one request at a time (the HTTP Request node with Batching at 1, as users set it against 429s).
	'baseline B: a request per device, one at a time': (ids) => ({ items: perDevice(ids), parameters: params({ combineItems: false, maxConcurrentRequests: 1 }) }),
};
const BASELINES = Object.keys(SHAPES).filter((shape) => shape.startsWith('baseline'));

async function measure(latencyMs, devices, shape) {
	freshProcess();
	const sim = await forkSimulator({ latencyMs, licenses: { 'SIMSec-IoT': 10 * devices } });
	try {
		const { items, parameters, node } = SHAPES[shape](imeis(devices));
		const harness = new Harness(simulatorCredentials(sim), node);
		global.gc?.();
		const rssBefore = process.memoryUsage().rss;
		let peak = rssBefore;
		const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
		const started = process.hrtime.bigint();
		const result = await harness.run(parameters, items);
		const ms = Number(process.hrtime.bigint() - started) / 1e6;
		clearInterval(sampler);
		peak = Math.max(peak, process.memoryUsage().rss);
		if (result.error) throw result.error;
		if (result.items.length !== items.length) throw new Error(`${shape}: ${result.items.length} output items for ${items.length}`);
		const stats = await sim.stats();
		return {
			requests: stats.assign,
			auth: stats.auth,
			exactlyOnce: node ? true : stats.distinctDevices === devices && stats.allOnce,
			maxInFlight: stats.maxInFlight,
			ms,
			// The simulator's own floor: the licensing requests one after another, plus the two auth calls.
			floorMs: stats.assign > 0 ? (stats.assign + 2) * latencyMs : 0,
			rssMb: (peak - rssBefore) / 2 ** 20,
		};
	} finally {
		await sim.close();
	}
}

/** One item of RATE_DEVICES devices against a contract of RATE calls per second: learned, or given by the user. */
async function rateLimited(given) {
	freshProcess();
	const sim = await forkSimulator({ latencyMs: 20, rateLimitPerSecond: RATE, licenses: { 'SIMSec-IoT': 10 * RATE_DEVICES } });
	try {
		const harness = new Harness(simulatorCredentials(sim));
		const options = given ? { maxRequestsPerSecond: RATE } : {};
		const started = process.hrtime.bigint();
		const result = await harness.run(params(options), [{ json: { sims: imeis(RATE_DEVICES) } }]);
		const ms = Number(process.hrtime.bigint() - started) / 1e6;
		if (result.error) throw result.error;
		const stats = await sim.stats();
		const accepted = stats.assign - stats.rateLimited;
		const floorMs = (accepted / RATE) * 1000;
		const { pacing } = result.items[0].json;
		out(`| ${RATE}/s | ${RATE_DEVICES} | ${given ? `Max Requests per Second = ${RATE}` : 'learned'} | ${stats.assign} | ${stats.rateLimited} | ${stats.distinctDevices === RATE_DEVICES && stats.allOnce ? 'yes' : 'NO'} | ${ms.toFixed(0)} | ${floorMs.toFixed(0)} | ${(ms / floorMs).toFixed(2)} | ${pacing ? `${pacing.requestsPerSecond}/s, ${pacing.waitedMs} ms waited` : '–'} |`);
	} finally {
		await sim.close();
	}
}

async function main() {
	// Memory first, before other runs have grown the heap.
	if (MEMORY_DEVICES > 0) {
		const r = await measure(0, MEMORY_DEVICES, '(a) one item');
		out(`${MEMORY_DEVICES} devices in one item: ${r.requests} requests, ${r.auth} auth calls, each device once: ${r.exactlyOnce ? 'yes' : 'NO'}, peak RSS growth ${r.rssMb.toFixed(1)} MB, ${r.ms.toFixed(0)} ms\n`);
	}
	if (RATE_DEVICES > 0) {
		out('| rate limit | devices in one item | pace | licensing requests | answers 429 | each device once | wall ms | rate floor ms (accepted requests ÷ rate) | wall / rate floor | pacing in the output |');
		out('|---|---|---|---|---|---|---|---|---|---|');
		await rateLimited(false);
		await rateLimited(true);
		out();
	}
	out('| latency | devices | input | licensing requests | auth calls | each device once | max in flight | wall ms | request floor ms | wall / request floor | wall / engine floor | per-item cost / engine floor | baseline A / this | baseline B / this |');
	out('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
	for (const latencyMs of LATENCIES) {
		for (const devices of SIZES) {
			const rows = {};
			for (const shape of BASELINES) rows[shape] = await measure(latencyMs, devices, shape);
			// The floor and the node's rows take turns, so that warm-up and machine noise fall on all of them alike.
			const runs = { [FLOOR]: [], '(a) one item': [], '(b) one item per device': [] };
			for (let i = 0; i < REPEAT; i++) for (const shape of Object.keys(runs)) runs[shape].push(await measure(latencyMs, devices, shape));
			for (const [shape, measured] of Object.entries(runs)) rows[shape] = measured.sort((x, y) => x.ms - y.ms)[Math.floor(measured.length / 2)];
			for (const [shape, r] of Object.entries(rows)) {
				const ratio = r.floorMs > 0 ? (r.ms / r.floorMs).toFixed(2) : '–';
				const perItem = shape === '(b) one item per device';
				const engine = perItem ? (r.ms / rows[FLOOR].ms).toFixed(2) : '–';
				// (a) does the same licensing work (requests, device checks) as one item: what (b) adds is its per-item cost.
				const itemCost = perItem ? ((r.ms - rows['(a) one item'].ms) / rows[FLOOR].ms).toFixed(2) : '–';
				const speedups = shape === FLOOR ? '– | –' : BASELINES.map((baseline) => (rows[baseline].ms / r.ms).toFixed(1)).join(' | ');
				out(`| ${latencyMs} ms | ${devices} | ${shape} | ${r.requests} | ${r.auth} | ${r.exactlyOnce ? 'yes' : 'NO'} | ${r.maxInFlight} | ${r.ms.toFixed(0)} | ${r.floorMs} | ${ratio} | ${engine} | ${itemCost} | ${speedups} |`);
			}
		}
	}
}

main().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${error.stack ?? error}\n`);
		process.exit(1);
	},
);
