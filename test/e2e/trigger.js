// The trigger in real n8n (`n8n start`, workflows activated over n8n's REST API as the editor does), with the
// simulator delivering CarrierService callbacks over HTTP. n8n listens on 127.0.0.1 on a port ThingSpace
// delivers to, and the example workflow's CRM and ticket calls go to a local sink that records them.
const assert = require('assert/strict');
const fs = require('fs');
const path = require('path');

const { forkSimulator } = require('../simulator/fork');
const { imeis } = require('../fixtures');
const { NODE_TYPE, ROOT, log } = require('./n8n');
const { sleep, startN8nServer, startSink, waitFor } = require('./n8nServer');

const TRIGGER_TYPE = NODE_TYPE.replace(/thingSpaceSimSecure$/, 'thingSpaceSimSecureTrigger');
const BURST = Number(process.env.TRIGGER_BURST || 1000);

const credentialRef = { thingSpaceApi: { id: 'tsSimCredential', name: 'ThingSpace simulator' } };

/** The README's flow: examples/sim-secure-results-to-crm.json, its CRM and ticket hosts pointed at the sink. */
function resultsWorkflow(sinkUrl) {
	const text = fs
		.readFileSync(path.join(ROOT, 'examples', 'sim-secure-results-to-crm.json'), 'utf8')
		.replaceAll('https://crm.example.com', `${sinkUrl}/crm`)
		.replaceAll('https://tickets.example.com', `${sinkUrl}/tickets`);
	return { ...JSON.parse(text), id: 'tsResults' };
}

/** A webhook that runs Assign on the SIMs it is given and answers with Assign's output. */
const assignWorkflow = {
	id: 'tsAssignHook',
	name: 'Assign over a webhook',
	active: false,
	settings: {},
	nodes: [
		{ id: 'h', name: 'Assign Request', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: 'c1d2e3f4-0005-4a6b-8c7d-000000000001', parameters: { httpMethod: 'POST', path: 'ts-e2e-assign', responseMode: 'lastNode', options: {} } },
		{ id: 'a', name: 'Assign', type: NODE_TYPE, typeVersion: 1, position: [260, 0], parameters: { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList: '={{ $json.body.sims }}' }, credentials: credentialRef },
	],
	connections: { 'Assign Request': { main: [[{ node: 'Assign', type: 'main', index: 0 }]] } },
};

/** A second trigger on the same account, at its own URL: it must not take the listener over. */
const rivalWorkflow = {
	id: 'tsRival',
	name: 'Another listener',
	active: false,
	settings: {},
	nodes: [{ id: 'r', name: 'Rival Trigger', type: TRIGGER_TYPE, typeVersion: 1, position: [0, 0], webhookId: 'd4e5f6a7-0006-4b8c-9d0e-000000000001', parameters: { results: 'all', options: {} }, credentials: credentialRef }],
	connections: {},
};

async function runTriggerTarget(target, tarball) {
	const ids = imeis(3 + BURST, 9100);
	const failing = ids[1];
	const sim = await forkSimulator({ failingDevices: [failing], licenses: { 'SIMSec-IoT': 100000 } });
	const sink = await startSink();
	const results = [];
	let n8n;
	const check = async (name, run) => {
		const started = Date.now();
		try {
			await run();
			results.push(true);
			log(`ok - ${target.name} - trigger: ${name} (${Date.now() - started} ms)`);
		} catch (failure) {
			results.push(false);
			log(`not ok - ${target.name} - trigger: ${name}\n  ${String(failure.stack ?? failure).split('\n').slice(0, 6).join('\n  ')}`);
		}
	};
	try {
		n8n = await startN8nServer(target, tarball, sim.url, [resultsWorkflow(sink.url), assignWorkflow, rivalWorkflow]);
		const { base, setActive, executionCount } = n8n;
		const ourUrl = `${base}/webhook/a7e3c1b2-6d5f-4e8a-9c0b-1f2e3d4c5b6a/webhook`;
		let secret;
		await check('activation registers the webhook URL with a secret', async () => {
			const answer = await setActive('tsResults', true);
			assert.ok(answer.ok, `activation answered ${answer.status}: ${answer.message}`);
			const listener = (await sim.listeners()).CarrierService;
			assert.equal(listener?.url, ourUrl);
			assert.match(listener.password, /^[A-Za-z0-9_-]{32}$/);
			assert.equal(listener.username, listener.password);
			secret = listener.password;
			// n8n saves static data in plain text with the workflow: only the secret's hash is kept there.
			const stored = (await n8n.rest.call('GET', '/rest/workflows/tsResults')).body.data;
			const kept = Object.values(stored?.staticData ?? {}).find((state) => state?.listenerUrl === ourUrl);
			assert.match(kept?.secretHash ?? '', /^[0-9a-f]{64}$/, `the listener is in the workflow's static data: ${JSON.stringify(stored?.staticData)}`);
			assert.ok(!JSON.stringify(stored).includes(secret), 'the secret is not in the stored workflow');
		});

		let requestId;
		await check('Assign → one callback per device → one execution each, branched on status', async () => {
			assert.ok((await setActive('tsAssignHook', true)).ok, 'the assign workflow activates');
			const answer = await fetch(`${base}/webhook/ts-e2e-assign`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sims: ids.slice(0, 3) }) });
			assert.equal(answer.status, 200);
			[requestId] = (await answer.json()).requestIds;
			assert.match(requestId, /^[0-9a-f-]{36}$/);
			await waitFor('3 sink calls', () => sink.received.length >= 3, 30000);
			// The sink hears a device before n8n saves its execution: the checks after this one count from here.
			await waitFor('3 executions saved', async () => (await executionCount('tsResults')) >= 3, 30000);
			const deliveries = await sim.callbacks();
			assert.deepEqual(deliveries.map((delivery) => delivery.status), [200, 200, 200], 'n8n acknowledged every message at once');
			const crm = sink.received.filter((call) => call.path.startsWith('/crm/'));
			const tickets = sink.received.filter((call) => call.path.startsWith('/tickets/'));
			assert.deepEqual(crm.map((call) => call.path).sort(), [ids[0], ids[2]].map((id) => `/crm/api/sims/${id}/sim-secure`).sort());
			for (const call of crm) {
				assert.equal(call.body.requestId, requestId);
				assert.equal(call.body.status, 'Success');
				assert.deepEqual(call.body.devices.map((device) => device.kind), ['IMEI'], 'kind in upper case, whatever ThingSpace sent');
			}
			assert.equal(tickets.length, 1);
			assert.deepEqual(tickets[0].body, {
				title: `SIM-Secure failed for ${failing}`,
				requestId,
				faultCode: 'UnifiedWebService.REQUEST_FAILED.DeviceNotFound',
				faultText: tickets[0].body.faultText,
				attempt: 1,
			});
			assert.ok(tickets[0].body.faultText, 'fault text passed on');
			assert.ok(!JSON.stringify(sink.received).includes(secret), 'the secret is in no emitted item');
		});

		const message = (extra) => ({ username: secret, password: secret, requestId: '0f1e2d3c-0007-4b5a-9687-000000000001', deviceIds: [{ id: ids[0], kind: 'Imei' }], deviceResponse: {}, status: 'Success', callbackCount: 1, maxCallbackThreshold: 4, ...extra });
		const post = (body) => fetch(ourUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

		await check('a message with a wrong or missing secret is answered 401 and starts no execution', async () => {
			const before = await executionCount('tsResults');
			const sinkBefore = sink.received.length;
			for (const body of [message({ password: 'guess' }), message({ username: undefined, password: undefined }), message({ username: 'n8n', password: '' }), [message({}), message({ password: 'guess' })], []]) {
				const answer = await post(body);
				assert.equal(answer.status, 401);
			}
			await sleep(1500);
			assert.equal(await executionCount('tsResults'), before);
			assert.equal(sink.received.length, sinkBefore);
		});

		await check('a repeated delivery of the same message starts one execution', async () => {
			const before = await executionCount('tsResults');
			for (const attempt of [1, 2, 3]) assert.equal((await post(message({ callbackCount: attempt }))).status, 200);
			// The same device with a new requestId is a new message.
			assert.equal((await post(message({ requestId: '0f1e2d3c-0007-4b5a-9687-000000000002' }))).status, 200);
			await waitFor('2 executions', async () => (await executionCount('tsResults')) >= before + 2, 20000);
			await sleep(1500);
			assert.equal(await executionCount('tsResults'), before + 2);
		});

		await check('a message sent as text/plain or with no content type is read all the same', async () => {
			const before = await executionCount('tsResults');
			for (const [n, headers] of [[3, { 'Content-Type': 'text/plain' }], [4, {}]]) {
				// Bytes, so that fetch adds no content type of its own.
				const body = new TextEncoder().encode(JSON.stringify(message({ requestId: `0f1e2d3c-0007-4b5a-9687-00000000000${n}` })));
				assert.equal((await fetch(ourUrl, { method: 'POST', headers, body })).status, 200);
			}
			await waitFor('2 executions', async () => (await executionCount('tsResults')) >= before + 2, 20000);
			// With the wrong secret in a text body: still refused.
			const wrong = await fetch(ourUrl, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(message({ password: 'guess' })) });
			assert.equal(wrong.status, 401);
		});

		await check('a second trigger on the account does not take the listener over', async () => {
			const activation = await setActive('tsRival', true);
			assert.equal(activation.ok, false, 'activation fails');
			assert.match(activation.message, new RegExp(`already sends CarrierService callbacks to ${ourUrl.replace(/[.?]/g, '\\$&')}`));
			assert.equal((await sim.listeners()).CarrierService.url, ourUrl);
		});

		await check(`a burst of ${BURST} callbacks runs the workflow once per device`, async () => {
			const sinkBefore = sink.received.length;
			const started = Date.now();
			const answer = await fetch(`${base}/webhook/ts-e2e-assign`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sims: ids.slice(3) }) });
			assert.equal(answer.status, 200);
			const deliveries = (await sim.callbacks(10 * 60 * 1000)).filter((delivery) => delivery.body.requestId !== requestId);
			const acknowledged = Date.now() - started;
			// What the product guarantees: every device delivered, and one execution per device. How many deliveries the
			// simulator repeated (its retry timer against a busy machine's acknowledgements) depends on the load: reported only.
			assert.ok(deliveries.length >= BURST, `every device delivered (${deliveries.length} deliveries)`);
			await waitFor(`${BURST} sink calls`, () => sink.received.length >= sinkBefore + BURST, 10 * 60 * 1000);
			const executions = sink.received.slice(sinkBefore);
			assert.equal(new Set(executions.map((call) => call.path)).size, BURST, 'every device ran the workflow');
			assert.equal(executions.length, BURST, 'each device once, repeated deliveries included');
			const repeated = deliveries.length - BURST;
			const late = deliveries.filter((delivery) => delivery.status !== 200).length;
			log(`# ${target.name}: ${BURST} callbacks acknowledged in ${acknowledged} ms (${repeated} repeated deliveries, ${late} not acknowledged at once), all ${BURST} executions done in ${Date.now() - started} ms`);
		});

		await check('deactivation removes the listener', async () => {
			const answer = await setActive('tsResults', false);
			assert.ok(answer.ok, `deactivation answered ${answer.status}: ${answer.message}`);
			assert.equal((await sim.listeners()).CarrierService, undefined);
		});
	} finally {
		await n8n?.stop();
		await sim.close();
		await sink.close();
	}
	return results;
}

module.exports = { TRIGGER_TYPE, assignWorkflow, credentialRef, runTriggerTarget };
