#!/usr/bin/env node
// `npm run bench`: how many ThingSpace calls the node makes, and how long it takes, through n8n's engine
// against the simulator on 127.0.0.1 (in a child process). Counts come from the simulator's own request log.
// Bounded: a fixed set of runs, then exit.
require('./register');

const { forkSimulator } = require('./simulator/fork');
const { Harness, simulatorCredentials, freshProcess } = require('./harness');
const { imeis } = require('./fixtures');

const out = (text = '') => process.stdout.write(`${text}\n`);
const SIZES = (process.env.BENCH_SIZES || '1000,10000').split(',').map(Number);
const LATENCIES = (process.env.BENCH_LATENCY_MS || '0,20').split(',').map(Number);
const MEMORY_DEVICES = Number(process.env.BENCH_MEMORY_DEVICES ?? 100000);

const params = (options = {}) => ({ resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: '={{ $json.sims }}', options });

const SHAPES = {
	'(a) one item': (ids) => ({ items: [{ json: { sims: ids } }], parameters: params() }),
	'(b) one item per device': (ids) => ({ items: ids.map((id) => ({ json: { sims: id } })), parameters: params() }),
	// What a user gets with one request per device, all items at once (the HTTP Request node's default).
	'baseline A: a request per device, all at once': (ids) => ({
		items: ids.map((id) => ({ json: { sims: id } })),
		parameters: params({ combineItems: false, maxConcurrentRequests: ids.length }),
	}),
	// The same, one request at a time (the HTTP Request node with Batching at 1, as users set it against 429s).
	'baseline B: a request per device, one at a time': (ids) => ({
		items: ids.map((id) => ({ json: { sims: id } })),
		parameters: params({ combineItems: false, maxConcurrentRequests: 1 }),
	}),
};
const BASELINES = Object.keys(SHAPES).filter((shape) => shape.startsWith('baseline'));

async function measure(latencyMs, devices, shape) {
	freshProcess();
	const sim = await forkSimulator({ latencyMs, licenses: { 'SIMSec-IoT': 10 * devices } });
	try {
		const harness = new Harness(simulatorCredentials(sim));
		const { items, parameters } = SHAPES[shape](imeis(devices));
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
		const stats = await sim.stats();
		const requests = stats.assign;
		return {
			requests,
			auth: stats.auth,
			exactlyOnce: stats.distinctDevices === devices && stats.allOnce,
			maxInFlight: stats.maxInFlight,
			ms,
			// The simulator's own floor: the licensing requests one after another, plus the two auth calls.
			floorMs: (requests + 2) * latencyMs,
			rssMb: (peak - rssBefore) / 2 ** 20,
		};
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
	out('| latency | devices | input | licensing requests | ⌈N/100⌉ | auth calls | each device once | max in flight | wall ms | floor ms | wall / floor | baseline A / this | baseline B / this | peak RSS growth MB |');
	out('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
	for (const latencyMs of LATENCIES) {
		for (const devices of SIZES) {
			const rows = {};
			for (const shape of [...BASELINES, '(a) one item', '(b) one item per device']) {
				rows[shape] = await measure(latencyMs, devices, shape);
			}
			for (const [shape, r] of Object.entries(rows)) {
				const ratio = r.floorMs > 0 ? (r.ms / r.floorMs).toFixed(2) : '–';
				const speedups = BASELINES.map((baseline) => (rows[baseline].ms / r.ms).toFixed(1)).join(' | ');
				out(`| ${latencyMs} ms | ${devices} | ${shape} | ${r.requests} | ${Math.ceil(devices / 100)} | ${r.auth} | ${r.exactlyOnce ? 'yes' : 'NO'} | ${r.maxInFlight} | ${r.ms.toFixed(0)} | ${r.floorMs} | ${ratio} | ${speedups} | ${r.rssMb.toFixed(1)} |`);
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
