#!/usr/bin/env node
// `npm run bench`: how many ThingSpace calls the node makes, and how long it takes, through n8n's engine
// against the simulator on 127.0.0.1. Counts come from the simulator's own request log. Bounded: a few runs, then exit.
require('./register');

const { startSimulator } = require('./simulator/thingspace-simulator');
const { Harness, simulatorCredentials, freshProcess } = require('./harness');
const { imeis } = require('./fixtures');

const out = (text = '') => process.stdout.write(`${text}\n`);
const SIZES = (process.env.BENCH_SIZES || '250,10000').split(',').map(Number);
const LATENCIES = (process.env.BENCH_LATENCY_MS || '0,20').split(',').map(Number);

const params = { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: '={{ $json.sims }}' };

async function measure(latencyMs, devices, shape) {
	freshProcess();
	const sim = await startSimulator({ latencyMs, licenses: { 'SIMSec-IoT': 10 * devices } });
	try {
		const harness = new Harness(simulatorCredentials(sim));
		const ids = imeis(devices);
		const items = shape === 'one item' ? [{ json: { sims: ids } }] : ids.map((id) => ({ json: { sims: id } }));
		const rssBefore = process.memoryUsage().rss;
		const started = process.hrtime.bigint();
		const result = await harness.run(params, items);
		const ms = Number(process.hrtime.bigint() - started) / 1e6;
		if (result.error) throw result.error;
		const sent = sim.devicesSent('assign');
		const requests = sim.count('assign');
		const auth = sim.count('token') + sim.count('login');
		const floorMs = requests * latencyMs;
		return {
			latencyMs,
			devices,
			shape,
			requests,
			perDevice: requests / devices,
			auth,
			exactlyOnce: sent.size === devices && [...sent.values()].every((n) => n === 1),
			maxInFlight: sim.maxInFlight('assign'),
			ms,
			floorMs,
			rssMb: (process.memoryUsage().rss - rssBefore) / 2 ** 20,
		};
	} finally {
		await sim.close();
	}
}

async function main() {
	out('| latency | devices | input | licensing requests | requests/device | auth calls | each device once | max in flight | wall ms | floor ms (requests × latency) | wall/floor | RSS growth MB |');
	out('|---|---|---|---|---|---|---|---|---|---|---|---|');
	for (const latencyMs of LATENCIES) {
		for (const devices of SIZES) {
			for (const shape of ['one item', 'one item per device']) {
				const r = await measure(latencyMs, devices, shape);
				const ratio = r.floorMs > 0 ? (r.ms / r.floorMs).toFixed(2) : '–';
				out(`| ${r.latencyMs} ms | ${r.devices} | ${r.shape} | ${r.requests} | ${r.perDevice.toFixed(3)} | ${r.auth} | ${r.exactlyOnce ? 'yes' : 'NO'} | ${r.maxInFlight} | ${r.ms.toFixed(0)} | ${r.floorMs} | ${ratio} | ${r.rssMb.toFixed(1)} |`);
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
