#!/usr/bin/env node
// `npm run demo`: the node doing its job through n8n's engine against the bundled ThingSpace simulator.
// No Verizon account needed; everything runs on 127.0.0.1 and stops by itself.
require('./register');

const { startSimulator } = require('./simulator/thingspace-simulator');
const { Harness, simulatorCredentials } = require('./harness');
const { imeis } = require('./fixtures');

const line = (text = '') => process.stdout.write(`${text}\n`);

function showCounts(items) {
	for (const { json } of items) {
		line(`  ${json.skuNumber.padEnd(28)} ${String(json.licenseType).padEnd(16)} purchased ${String(json.licensePurchased).padStart(6)}  assigned ${String(json.licenseAssigned).padStart(5)}  available ${String(json.licenseAvailable).padStart(6)}`);
	}
}

async function main() {
	const sim = await startSimulator();
	const harness = new Harness(simulatorCredentials(sim));
	try {
		line(`ThingSpace simulator on ${sim.url} (account 0000123456-00001)\n`);

		line('1. Account → Get License Counts');
		showCounts((await harness.run({ resource: 'account', operation: 'getLicenseCounts' })).items);

		const sims = imeis(250);
		line(`\n2. License → Assign SIMSec-IoT to ${sims.length} IMEIs given by expression ({{ $json.imeis }})`);
		const assigned = await harness.run(
			{ resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: '={{ $json.imeis }}' },
			[{ json: { imeis: sims } }],
		);
		for (const request of assigned.items[0].json.requests) {
			line(`  requestId ${request.requestId}  X-Request-ID ${request.transactionId}  ${request.deviceCount} devices (${request.devices[0].deviceIds[0].id} …)`);
		}
		line(`  HTTP calls: ${sim.count('token')} token, ${sim.count('login')} login, ${sim.count('assign')} assign for ${sims.length} devices`);

		line('\n3. A mistyped IMEI is refused before anything is sent');
		const before = sim.requests.length;
		const bad = await harness.run({ resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceList: `${sims[0].slice(0, 14)}${(Number(sims[0][14]) + 1) % 10}` });
		line(`  error: ${bad.error.message}`);
		line(`  ${bad.error.description}`);
		line(`  requests sent: ${sim.requests.length - before}`);

		line('\n4. License → Unassign the first 10 (DELETE with the devices in its JSON body)');
		const unassigned = await harness.run({ resource: 'license', operation: 'unassign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceList: sims.slice(0, 10).join('\n') });
		line(`  requestId ${unassigned.items[0].json.requestIds[0]} for ${unassigned.items[0].json.deviceCount} devices`);

		line('\n5. The session expires; the next call logs in again once and succeeds');
		sim.expireSessions();
		const logins = sim.count('login');
		const after = await harness.run({ resource: 'account', operation: 'getLicenseCounts', skuFilter: 'SIMSec-IoT' });
		showCounts(after.items);
		line(`  logins for this step: ${sim.count('login') - logins}`);
	} finally {
		await sim.close();
	}
}

main().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${error.stack ?? error}\n`);
		process.exit(1);
	},
);
