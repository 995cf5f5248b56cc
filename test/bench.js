#!/usr/bin/env node
// `npm run bench`: how many ThingSpace calls the node makes, and how long it takes, through n8n's engine
// (n8n-core 2.x, then 1.x) against the simulator on 127.0.0.1 (in a child process). Counts come from the
// simulator's own request log. Beside the node's rows it prints the engine floor: a no-op declarative node
// with the same properties, on the same items in the same harness, so the node's own per-item cost shows.
// The latent rows run one item of many devices with default options at long answer times, against rate limits,
// beside the floor no client can beat. Bounded: a fixed set of runs, then exit.
const { fork, spawnSync } = require('child_process');

// Without N8N_CORE: the parent, which starts one process per n8n-core version (each loads its own engine).
const VERSIONS = ['2', '1'];
let forkSimulator, Harness, simulatorCredentials, freshProcess, imeis, ThingSpaceSimSecure;
if (process.env.N8N_CORE) {
	require('./register');
	({ forkSimulator } = require('./simulator/fork'));
	({ Harness, simulatorCredentials, freshProcess } = require('./harness'));
	({ imeis } = require('./fixtures'));
	({ ThingSpaceSimSecure } = require('../nodes/ThingSpaceSimSecure/ThingSpaceSimSecure.node'));
}

const out = (text = '') => process.stdout.write(`${text}\n`);
/** A list of numbers from the environment: the default when unset, none when set empty. */
const numbers = (name, fallback) => (process.env[name] ?? fallback).split(',').filter((entry) => entry.trim() !== '').map(Number);
const SIZES = numbers('BENCH_SIZES', '1000,10000');
const LATENCIES = numbers('BENCH_LATENCY_MS', '0,20');
const MEMORY_DEVICES = Number(process.env.BENCH_MEMORY_DEVICES ?? 100000);
// The rate-limited rows: the simulator accepts this many licensing calls per second (429 with Retry-After: 1 beyond).
const RATE = Number(process.env.BENCH_RATE ?? 10);
const RATE_DEVICES = Number(process.env.BENCH_RATE_DEVICES ?? 10000);
const FLOOR = 'engine floor: no-op node, same properties, one item per device';
// The engine floor and the node's own rows are measured this many times; the median is shown (per-item figures are close).
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
// The baselines send one request per device: their time grows with the devices (10,000 take over 100 s, since this
// node starts at most 100 calls a second while it knows no rate). They run on at most this many devices; a larger
// size's ratios use their time scaled to that size.
const BASELINE_DEVICES = Number(process.env.BENCH_BASELINE_DEVICES || 1000);
// The latent rows: one item of LATENT_DEVICES devices, default options, at each latency against each rate limit (0: none).
const LATENT_MS = numbers('BENCH_LATENT_MS', '300,1000');
const LATENT_RATES = numbers('BENCH_LATENT_RATES', '10,50,0');
const LATENT_DEVICES = Number(process.env.BENCH_LATENT_DEVICES ?? 10000);
const LATENT = LATENT_DEVICES > 0 && LATENT_MS.length > 0 && LATENT_RATES.length > 0;
// They wait on the simulator more than they compute: this many run at the same time (default 3: one version's rows of
// one latency, before the other rows, while nothing else runs), each started this long after the one before. Not more:
// while no rate is known the node spaces its calls by how busy its process is, so rows crowding two cores slow each other.
const LATENT_PARALLEL = Number(process.env.BENCH_LATENT_PARALLEL || 3);
const LATENT_STAGGER_MS = Number(process.env.BENCH_LATENT_STAGGER_MS ?? 500);

const params = (options = {}) => ({ resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: '={{ $json.sims }}', options });

/** The middle one of `values` by `key` (the upper of the two middle ones when there are as many on each side). */
const median = (values, key) => [...values].sort((x, y) => key(x) - key(y))[Math.floor(values.length / 2)];

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

/**
 * The floor of issue #21: the licensing requests divided by the rate, plus one answer time each for the token call,
 * the login and the last request; without a limit, the auth calls plus one answer time.
 */
const latentFloorMs = (latencyMs, rate, requests) => 3 * latencyMs + (rate > 0 ? (requests / rate) * 1000 : 0);

/** The messages of a process (this one's parent, or a child), one at a time; rejects once it has exited. */
function inbox(channel, name) {
	const messages = [];
	let wake;
	let exitCode;
	channel.on('message', (message) => {
		messages.push(message);
		wake?.();
	});
	channel.on(channel === process ? 'disconnect' : 'exit', (code) => {
		exitCode = code ?? 'disconnected';
		wake?.();
	});
	return async () => {
		while (messages.length === 0 && exitCode === undefined) await new Promise((resolve) => (wake = resolve));
		if (messages.length === 0) throw new Error(`${name}: exited (${exitCode})`);
		return messages.shift();
	};
}

/**
 * A latent worker, in a process of its own on one n8n-core version: warms up, then runs the rows it is sent one
 * after another, each from a fresh login and pace (as after an n8n restart) against a simulator of its own,
 * preparing each and starting it on the parent's word.
 */
async function latentWorker() {
	const next = inbox(process, 'parent');
	// A first run against a simulator of its own, so that the measured ones do not pay for a cold process.
	const warm = await forkSimulator({ licenses: { 'SIMSec-IoT': 1000 } });
	const warmed = await new Harness(simulatorCredentials(warm)).run(params(), [{ json: { sims: imeis(200) } }]);
	await warm.close();
	if (warmed.error) throw warmed.error;
	process.send({ ready: true });
	for (let message = await next(); message.row; message = await next()) {
		const { latencyMs, rate, devices } = message.row;
		freshProcess();
		const sim = await forkSimulator({ latencyMs, rateLimitPerSecond: rate, licenses: { 'SIMSec-IoT': 10 * devices } });
		try {
			const harness = new Harness(simulatorCredentials(sim));
			const items = [{ json: { sims: imeis(devices) } }];
			global.gc?.();
			process.send({ prepared: true });
			await next();
			const started = process.hrtime.bigint();
			const result = await harness.run(params(), items);
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			if (result.error) throw result.error;
			const stats = await sim.stats();
			const { pacing } = result.items[0]?.json ?? {};
			process.send({
				result: {
					requests: stats.assign,
					rateLimited: stats.rateLimited,
					exactlyOnce: stats.distinctDevices === devices && stats.allOnce,
					maxInFlight: stats.maxInFlight,
					ms,
					floorMs: latentFloorMs(latencyMs, rate, stats.assign - stats.rateLimited),
					pacing: pacing ? `${pacing.requestsPerSecond}/s, ${pacing.waitedMs} ms waited` : '–',
				},
			});
		} finally {
			await sim.close();
		}
	}
}

/**
 * The latent rows of these n8n-core versions, in rounds of LATENT_PARALLEL rows that run at the same time (the
 * longest answer times first, so that a round's rows last alike), each in a worker of its version; a round's rows
 * start LATENT_STAGGER_MS apart, so that their first CPU work (the engine reading the item) does not overlap.
 * Returns each version's table.
 */
async function latentRows(versions) {
	const rows = [...LATENT_MS]
		.sort((x, y) => y - x)
		.flatMap((latencyMs) => versions.flatMap((version) => LATENT_RATES.map((rate) => ({ version, latencyMs, rate, devices: LATENT_DEVICES }))));
	const tables = new Map(versions.map((version) => [version, []]));
	const pools = new Map(versions.map((version) => [version, []]));
	const worker = async (version, index) => {
		const pool = pools.get(version);
		if (!pool[index]) {
			const child = fork(__filename, [], { execArgv: ['--expose-gc'], env: { ...process.env, N8N_CORE: version, BENCH_LATENT_WORKER: '1' } });
			pool[index] = { child, next: inbox(child, `latent worker (n8n-core ${version}.x)`), exited: new Promise((resolve) => child.on('exit', resolve)) };
			await pool[index].next();
		}
		return pool[index];
	};
	try {
		for (let i = 0; i < rows.length; i += LATENT_PARALLEL) {
			const round = rows.slice(i, i + LATENT_PARALLEL);
			const workers = await Promise.all(round.map((row, k) => worker(row.version, round.slice(0, k).filter((other) => other.version === row.version).length)));
			workers.forEach(({ child }, k) => child.send({ row: round[k] }));
			await Promise.all(workers.map(({ next }) => next()));
			const results = [];
			for (const [k, { child, next }] of workers.entries()) {
				if (k > 0) await new Promise((resolve) => setTimeout(resolve, LATENT_STAGGER_MS));
				child.send({ go: true });
				results.push(next());
			}
			(await Promise.all(results)).forEach(({ result: r }, k) => {
				const { version, latencyMs, rate } = round[k];
				tables.get(version).push({ latencyMs, rate, line: `| ${latencyMs} ms | ${rate > 0 ? `${rate}/s` : 'none'} | ${r.requests} | ${r.rateLimited} | ${r.exactlyOnce ? 'yes' : 'NO'} | ${r.maxInFlight} | ${r.ms.toFixed(0)} | ${r.floorMs} | ${(r.ms / r.floorMs).toFixed(2)} | ${r.pacing} |` });
			});
		}
	} finally {
		const all = [...pools.values()].flat();
		for (const { child } of all) if (child.connected) child.send({ done: true });
		await Promise.all(all.map(({ exited }) => exited));
	}
	// In the order asked for: by latency, then by rate.
	const order = (row) => LATENT_MS.indexOf(row.latencyMs) * LATENT_RATES.length + LATENT_RATES.indexOf(row.rate);
	return new Map(
		[...tables].map(([version, table]) => [
			version,
			[
				`${LATENT_DEVICES} devices in one item, default options, at each latency against each limit of licensing calls per second (floor: the requests ÷ the rate, plus 3 answer times):`,
				'',
				'| latency | rate limit | licensing requests | answers 429 | each device once | max in flight | wall ms | floor ms | wall ÷ floor | pacing in the output |',
				'|---|---|---|---|---|---|---|---|---|---|',
				...table.sort((x, y) => order(x) - order(y)).map(({ line }) => line),
			],
		]),
	);
}

/** The parent: the latent rows of both versions first (they wait, they do not compute), then each version's process. */
async function parent() {
	const latent = LATENT ? await latentRows(VERSIONS) : new Map();
	let failed = false;
	for (const version of VERSIONS) {
		out(`\n## n8n-core ${version}.x\n`);
		if (latent.has(version)) out(`${latent.get(version).join('\n')}\n`);
		const env = { ...process.env, N8N_CORE: version, BENCH_LATENT_DEVICES: '0' };
		const run = spawnSync(process.execPath, ['--expose-gc', __filename], { stdio: 'inherit', env });
		failed ||= run.status !== 0;
	}
	if (failed) throw new Error('a version failed');
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
	// Run on its own (N8N_CORE set by hand), a version's process runs its latent rows here.
	if (LATENT) out(`${(await latentRows([process.env.N8N_CORE])).get(process.env.N8N_CORE).join('\n')}\n`);
	if (SIZES.length === 0 || LATENCIES.length === 0) return;
	out('| latency | devices | input | licensing requests | auth calls | each device once | max in flight | wall ms | request floor ms | wall / request floor | wall / engine floor | per-item cost / engine floor | baseline A / this | baseline B / this |');
	out('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
	// Each baseline is measured once per latency and size it runs on (at most BASELINE_DEVICES).
	const baselines = new Map();
	for (const latencyMs of LATENCIES) {
		for (const devices of SIZES) {
			const rows = {};
			for (const shape of BASELINES) {
				const measuredOn = Math.min(devices, BASELINE_DEVICES);
				const key = `${latencyMs} ${measuredOn} ${shape}`;
				if (!baselines.has(key)) baselines.set(key, await measure(latencyMs, measuredOn, shape));
				// Scaled to this size when measured on fewer devices: a request per device, its time grows with the devices.
				rows[shape] = { ...baselines.get(key), devices: measuredOn, scale: devices / measuredOn };
			}
			// The floor and the node's rows take turns, so that warm-up and machine noise fall on all of them alike.
			const runs = { [FLOOR]: [], '(a) one item': [], '(b) one item per device': [] };
			for (let i = 0; i < REPEAT; i++) for (const shape of Object.keys(runs)) runs[shape].push(await measure(latencyMs, devices, shape));
			// (a) does the same licensing work (requests, device checks) as one item: what (b) adds is its per-item cost. Taken
			// per turn (a run of each, back to back) and the median of those, so that a slow minute falls on both sides of it.
			const itemCosts = runs[FLOOR].map((floor, i) => (runs['(b) one item per device'][i].ms - runs['(a) one item'][i].ms) / floor.ms);
			for (const [shape, measured] of Object.entries(runs)) rows[shape] = { ...median(measured, (r) => r.ms), devices, scale: 1 };
			for (const [shape, r] of Object.entries(rows)) {
				const ratio = r.floorMs > 0 ? (r.ms / r.floorMs).toFixed(2) : '–';
				const perItem = shape === '(b) one item per device';
				const engine = perItem ? (r.ms / rows[FLOOR].ms).toFixed(2) : '–';
				const itemCost = perItem ? median(itemCosts, (cost) => cost).toFixed(2) : '–';
				const speedups = shape === FLOOR ? '– | –' : BASELINES.map((baseline) => ((rows[baseline].ms * rows[baseline].scale) / (r.ms * r.scale)).toFixed(1)).join(' | ');
				const label = r.scale === 1 ? shape : `${shape} (measured on ${r.devices} devices; ratios: its time × ${r.scale})`;
				out(`| ${latencyMs} ms | ${r.devices} | ${label} | ${r.requests} | ${r.auth} | ${r.exactlyOnce ? 'yes' : 'NO'} | ${r.maxInFlight} | ${r.ms.toFixed(0)} | ${r.floorMs} | ${ratio} | ${engine} | ${itemCost} | ${speedups} |`);
			}
		}
	}
}

const entry = process.env.BENCH_LATENT_WORKER ? latentWorker : process.env.N8N_CORE ? main : parent;
entry().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${error.stack ?? error}\n`);
		process.exit(1);
	},
);
