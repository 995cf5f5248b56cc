#!/usr/bin/env node
// `npm run test:e2e`: the packed package installed into real n8n, as a user installs it, on n8n 1.x (this
// machine's Node 20) and n8n 2.x (Node 24 from the npm registry), against the simulator on 127.0.0.1.
// n8n is installed once into a cache folder outside the repository and reused. Every process it starts is stopped.
const assert = require('assert/strict');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

require('../register');
const { forkSimulator } = require('../simulator/fork');
const { runTriggerTarget } = require('./trigger');
const { imeis } = require('../fixtures');

const { NODE_TYPE, finish, ROOT, TARGETS, installInto, installN8n, log, n8nEnv, nodeBin, packPackage, resultDataOf, run, simulatorCredential } = require('./n8n');

const EXPIRED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired', errorMessage: 'The Session has expired.' };
const trigger = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

/** A workflow: Manual Trigger → (items from a list) → ThingSpace SIM-Secure, with the simulator credential or `credential`. */
function workflow(id, parameters, { items, settings = {}, credential = simulatorCredential('')[0] } = {}) {
	const node = {
		id: 'n',
		name: 'ThingSpace',
		type: NODE_TYPE,
		typeVersion: 1,
		position: [400, 0],
		parameters,
		credentials: { thingSpaceApi: { id: credential.id, name: credential.name } },
		...settings,
	};
	if (!items) {
		return { id, name: id, active: false, settings: {}, nodes: [trigger, node], connections: { Start: { main: [[{ node: 'ThingSpace', type: 'main', index: 0 }]] } } };
	}
	const set = { id: 's', name: 'Rows', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [150, 0], parameters: { mode: 'raw', jsonOutput: JSON.stringify({ rows: items }), options: {} } };
	const split = { id: 'p', name: 'Split', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [280, 0], parameters: { fieldToSplitOut: 'rows', options: {} } };
	return {
		id,
		name: id,
		active: false,
		settings: {},
		nodes: [trigger, set, split, node],
		connections: {
			Start: { main: [[{ node: 'Rows', type: 'main', index: 0 }]] },
			Rows: { main: [[{ node: 'Split', type: 'main', index: 0 }]] },
			Split: { main: [[{ node: 'ThingSpace', type: 'main', index: 0 }]] },
		},
	};
}

const list = (deviceList, extra = {}) => ({ resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', deviceSource: 'list', deviceKind: 'IMEI', deviceList, ...extra });
const ids = imeis(250, 7000);
const badImei = ids[1].slice(0, 14) + String((Number(ids[1][14]) + 1) % 10);
const assigns = (requests) => requests.filter((request) => request.route === 'assign');
const iccids = ['89148000004123456785', '89148000004123456793'];
/** A second simulator on loopback: where redirects point. Nothing may ever reach it. */
let other;
const REFUSED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' };

/** Each case: a workflow, what to do to the simulator first, and what must hold afterwards. */
const CASES = [
	{
		name: 'assign one device from the UI collection',
		workflow: workflow('tsUiAssign', { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', devices: { device: [{ deviceIds: { deviceId: [{ kind: 'IMEI', id: ids[0] }] } }] } }),
		check: ({ items, requests }) => {
			assert.equal(assigns(requests).length, 1);
			assert.deepEqual(assigns(requests)[0].body.devices, [{ deviceIds: [{ id: ids[0], kind: 'IMEI' }] }]);
			assert.equal(items[0].json.requestIds.length, 1);
		},
	},
	{
		name: 'unassign sends DELETE with the JSON body',
		workflow: workflow('tsUnassign', { ...list(ids[0]), operation: 'unassign' }),
		check: ({ requests }) => {
			const [request] = requests.filter((entry) => entry.route === 'unassign');
			assert.equal(request.method, 'DELETE');
			assert.deepEqual(request.body, { accountName: '0000123456-00001', skuNumber: 'SIMSec-IoT', devices: [{ deviceIds: [{ id: ids[0], kind: 'IMEI' }] }] });
		},
	},
	{
		name: 'license counts, one item per SKU',
		workflow: workflow('tsCounts', { resource: 'account', operation: 'getLicenseCounts' }),
		check: ({ items }) => {
			assert.equal(items.length, 4);
			assert.ok(items.every((item) => typeof item.json.licenseAvailable === 'number'));
		},
	},
	{
		name: '250 devices in 3 requests',
		workflow: workflow('tsBulk', list(ids.join(','))),
		check: ({ items, requests, stats }) => {
			assert.deepEqual(assigns(requests).map((request) => request.body.devices.length), [100, 100, 50]);
			assert.equal(items[0].json.requestCount, 3);
			assert.equal(stats.distinctDevices, 250);
			assert.ok(stats.allOnce);
		},
	},
	{
		name: 'session expired mid-run: one re-login, each device sent once',
		workflow: workflow('tsExpired', list(ids.join(','), { options: { maxConcurrentRequests: 1 } })),
		before: (sim) => sim.inject({ route: 'assign', status: 401, body: EXPIRED, after: 1 }),
		check: ({ items, requests, stats }) => {
			assert.equal(requests.filter((request) => request.route === 'login').length, 1);
			assert.equal(assigns(requests).length, 4);
			assert.equal(stats.distinctDevices, 250);
			assert.ok(stats.allOnce);
			assert.equal(items[0].json.requestCount, 3);
		},
	},
	{
		name: 'a 400 gives our message with ThingSpace\'s code',
		workflow: workflow('tsBadRequest', list(ids[3])),
		before: (sim) => sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.INPUT_INVALID.Device.Identifier.Invalid', errorMessage: 'Device identifier is invalid.' } }),
		check: ({ error }) => {
			assert.match(error.message, /ThingSpace rejected the request as invalid/);
			assert.match(error.description, /UnifiedWebService\.INPUT_INVALID\.Device\.Identifier\.Invalid/);
		},
	},
	{
		// n8n's routing engine hands over every batch even after one failed, and fails the node only at the end.
		name: 'Batching: a batch ThingSpace refuses stops the node; the batches handed over after it send nothing',
		workflow: workflow('tsBatchStop', list('={{ $json.sims }}', { requestOptions: { batching: { batch: { batchSize: 2, batchInterval: 400 } } } }), {
			items: ids.slice(200, 206).map((sims) => ({ sims })),
		}),
		before: (sim) => sim.inject({ route: 'assign', status: 400, body: REFUSED }),
		check: ({ error, requests }) => {
			assert.match(error.message, /ThingSpace rejected the request as invalid/);
			assert.equal(assigns(requests).length, 1, 'only the first batch reached ThingSpace');
		},
	},
	{
		name: 'a bad IMEI: error and no request',
		workflow: workflow('tsBadImei', list(badImei)),
		check: ({ error, requests }) => {
			assert.match(error.message, /wrong check digit \(Luhn\)/);
			assert.equal(assigns(requests).length, 0);
		},
	},
	{
		name: 'continueOnFail: one output per input, paired, items combined',
		workflow: workflow('tsContinue', list('={{ $json.sims }}'), {
			items: [{ sims: ids[4] }, { sims: badImei }, { sims: ids[5] }],
			settings: { onError: 'continueRegularOutput' },
		}),
		check: ({ items, requests }) => {
			assert.equal(items.length, 3);
			assert.deepEqual(items.map((item) => item.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
			assert.match(items[1].json.error, /wrong check digit/);
			assert.equal(assigns(requests).length, 1);
			assert.deepEqual(items[0].json.requestIds, items[2].json.requestIds);
		},
	},
];

/** Hardening and no-lost-work cases (issues #9 and #10), in real n8n. */
CASES.push(
	{
		name: 'a 307 to another origin is not followed: nothing reaches it, the error names status and host',
		workflow: workflow('tsRedirect', list(ids[6])),
		before: (sim) => sim.inject({ route: 'assign', status: 307, headers: { Location: `${other.url}/api/m2m/v1/devices/license/actions/assign` }, body: {} }),
		check: async ({ error }) => {
			assert.match(error.message, /HTTP 307 to 127\.0\.0\.1:\d+\); nothing was sent there/);
			assert.equal((await other.requests()).length, 0);
		},
	},
	{
		name: 'a 429 storm with Retry-After 0 is sent 8 times at most, then fails',
		workflow: workflow('ts429Storm', list(ids[7])),
		before: (sim) => sim.inject({ route: 'assign', status: 429, headers: { 'Retry-After': '0' }, body: {}, times: 1000 }),
		check: ({ error, requests }) => {
			assert.equal(assigns(requests).length, 8);
			assert.match(error.message, /limiting the rate/);
			assert.match(error.description, /n8n sent this request 8 time\(s\)/);
		},
	},
	{
		name: 'a 500 that echoes the request: no token or secret in the output or n8n\'s log',
		workflow: workflow('tsEcho', list('={{ $json.sims }}'), { items: [{ sims: ids[8] }], settings: { onError: 'continueRegularOutput' } }),
		before: (sim) => sim.inject({ route: 'assign', status: 500, echo: true }),
		check: ({ items, requests, output }) => {
			assert.equal(items.length, 1);
			assert.match(items[0].json.error, /ThingSpace failed to process the request \(HTTP 500\)/);
			const sent = assigns(requests)[0];
			assert.ok(sent.bearer && sent.session, 'the echoed request carried both tokens');
			for (const secret of [sent.bearer, sent.session, 'demo-app-secret', 'demo-uws-password']) assert.ok(!output.includes(secret), `n8n's output contains ${secret.slice(0, 4)}…`);
		},
	},
	{
		name: 'Retry On Fail: 3 items × 100 devices, the 3rd request refused once: no device sent twice',
		workflow: workflow('tsRetryOnFail', list('={{ $json.sims }}'), {
			items: [0, 1, 2].map((n) => ({ sims: imeis(100, 8000 + n * 100).join(',') })),
			settings: { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 },
		}),
		before: (sim) => sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 2 }),
		check: ({ items, requests, stats }) => {
			assert.deepEqual(assigns(requests).map((request) => request.status), [200, 200, 400, 200]);
			assert.equal(stats.sentMoreThanOnce, 0);
			assert.equal(stats.distinctDevices, 300);
			// The item whose request ThingSpace refused was sent again; the other two were not (whatever their order of arrival).
			const refused = assigns(requests).find((request) => request.status === 400).body.devices[0].deviceIds[0].id;
			const expected = [0, 1, 2].map((n) => [!imeis(100, 8000 + n * 100).includes(refused)]);
			assert.equal(expected.flat().filter((sentOnce) => !sentOnce).length, 1, 'the refused request is one item\'s');
			assert.deepEqual(items.map((item) => item.json.requests.map((request) => Boolean(request.alreadySent))), expected);
			log(`# Retry On Fail: ${assigns(requests).length} assign requests, ${assigns(requests).filter((r) => r.status === 200).length} accepted, ${stats.sentMoreThanOnce} devices sent more than once`);
		},
	},
	{
		name: 'a device named by two items goes out once; both items get its requestId',
		workflow: workflow('tsTwice', list('={{ $json.sims }}'), { items: [{ sims: `${ids[11]},${ids[12]}` }, { sims: `${ids[12]},${ids[13]}` }] }),
		check: ({ items, requests, stats }) => {
			assert.equal(assigns(requests).length, 1);
			assert.equal(assigns(requests)[0].body.devices.length, 3);
			assert.equal(stats.sentMoreThanOnce, 0);
			assert.deepEqual(items[0].json.requestIds, items[1].json.requestIds);
		},
	},
	{
		name: 'a partly applied item carries acceptedRequestIds and its devices by fate (Continue On Fail)',
		workflow: workflow('tsPartly', list('={{ $json.sims }}', { options: { maxConcurrentRequests: 1 } }), {
			items: [{ sims: imeis(250, 9000).join(',') }],
			settings: { onError: 'continueRegularOutput' },
		}),
		before: (sim) => sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 1 }),
		check: ({ items }) => {
			assert.equal(items.length, 1);
			const json = items[0].json;
			assert.match(json.error, /rejected the request as invalid/);
			assert.equal(json.acceptedRequestIds.length, 1);
			assert.deepEqual([json.devicesRefused.length, json.devicesNotSent.length, json.devicesInDoubt.length], [100, 50, 0]);
		},
	},
	{
		name: 'the same on the error output: the lists inside $json.error',
		workflow: workflow('tsPartlyErrorOutput', list('={{ $json.sims }}', { options: { maxConcurrentRequests: 1 } }), {
			items: [{ sims: imeis(250, 9300).join(',') }],
			settings: { onError: 'continueErrorOutput' },
		}),
		before: (sim) => sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 1 }),
		check: ({ items, runData }) => {
			assert.equal(items.length, 0, 'nothing on the main output');
			const [errorItem] = runData.ThingSpace[0].data.main[1];
			assert.equal(errorItem.json.error.acceptedRequestIds.length, 1);
			assert.equal(errorItem.json.error.devicesNotSent.length, 50);
		},
	},
	{
		name: 'a bad item without Continue On Fail: nothing sent for any item, every bad item named',
		workflow: workflow('tsBadBatch', list('={{ $json.sims }}'), { items: [{ sims: ids[9] }, { sims: badImei }, { sims: ids[10] }, { sims: '12345' }] }),
		check: ({ error, requests }) => {
			assert.equal(assigns(requests).length, 0);
			assert.match(error.message, /^Items 1, 3 have bad input, so nothing was sent/);
		},
	},
);

/** What the user gave is what gets done (issue #18), in real n8n. */
const device = (...pairs) => ({ deviceIds: pairs.map(([kind, id]) => ({ kind, id })) });
CASES.push(
	{
		name: 'Dry Run given by expression as "true", for the Lifetime SKU: nothing is sent',
		workflow: workflow('tsDryByExpression', list('={{ $json.sims }}', { skuNumber: 'SIMSec-IoT-Lt', options: { dryRun: '={{ $json.dry }}' } }), {
			items: [{ sims: ids[30], dry: 'true' }, { sims: ids[31], dry: 'yes' }, { sims: ids[32], dry: 1 }],
		}),
		check: ({ items, requests }) => {
			assert.equal(assigns(requests).length, 0);
			assert.deepEqual(items.map((item) => item.json.dryRun), [true, true, true]);
		},
	},
	{
		name: 'two items sharing an IMEI with different ICCIDs: refused by name, nothing sent',
		workflow: workflow('tsSharedIdentifier', list('={{ $json.devices }}'), {
			items: [{ devices: [device(['ICCID', iccids[0]], ['IMEI', ids[33]])] }, { devices: [device(['ICCID', iccids[1]], ['IMEI', ids[33]])] }],
		}),
		check: ({ error, requests }) => {
			assert.equal(assigns(requests).length, 0);
			assert.match(error.message, new RegExp(`of item 1 shares IMEI ${ids[33]} with device .* of item 0, but not its other identifiers`));
		},
	},
	{
		name: 'a stopped run names every accepted requestId of the run and counts the devices in doubt',
		workflow: workflow('tsStoppedRun', list('={{ $json.sims }}'), { items: Array.from({ length: 12 }, (_, i) => ({ sims: imeis(75, 20000 + i * 75).join(',') })) }),
		before: async (sim) => {
			await sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 3 });
			await sim.inject({ route: 'assign', destroy: true, applied: true, after: 4 });
		},
		check: ({ error, requests }) => {
			const accepted = assigns(requests).filter((request) => request.status === 200);
			assert.equal(accepted.length, 7);
			for (const request of accepted) assert.ok(error.description.includes(request.answer.requestId), `the error names ${request.answer.requestId}`);
			assert.match(error.description, /700 devices accepted by ThingSpace in 7 requests/);
			assert.match(error.description, /100 devices in doubt/);
			assert.match(error.description, /100 devices refused by ThingSpace/);
		},
	},
);

/** Dry Run and Check Availability First (issue #13), in real n8n. The Intelligence bundle SKU has 200 licenses. */
const TIERED = 'TSS-IOT-INTLG-TIERED-SIMSEC';
CASES.push(
	{
		name: 'a dry run of 250 devices sends nothing and shows the 3 planned requests',
		workflow: workflow('tsDryRun', list(ids.join(','), { options: { dryRun: true } })),
		check: ({ items, requests }) => {
			assert.equal(assigns(requests).length, 0);
			assert.equal(items[0].json.dryRun, true);
			assert.deepEqual(items[0].json.requests.map((request) => [request.requestId, request.deviceCount]), [[null, 100], [null, 100], [null, 50]]);
			assert.deepEqual(items[0].json.requests.flatMap((request) => request.devices.map((device) => device.deviceIds[0].id)), ids);
		},
	},
	{
		name: 'Check Availability First: 250 devices with 200 available sends no assign and names both numbers',
		workflow: workflow('tsShort', list(ids.join(','), { skuNumber: TIERED, options: { checkAvailability: true } })),
		check: ({ error, requests }) => {
			assert.equal(assigns(requests).length, 0);
			assert.equal(error.message, `Not enough SIM-Secure licenses: ${TIERED}: 200 available, 250 asked for`);
		},
	},
	{
		name: 'Check Availability First with enough left: every device licensed, one output per item',
		workflow: workflow('tsEnough', list('={{ $json.sims }}', { skuNumber: TIERED, options: { checkAvailability: true } }), {
			items: ids.slice(20, 30).map((sims) => ({ sims })),
			settings: { onError: 'continueErrorOutput' },
		}),
		check: ({ items, requests, stats }) => {
			assert.equal(requests.filter((request) => request.route === 'subscriptions').length, 1);
			assert.equal(assigns(requests).length, 1);
			assert.equal(stats.distinctDevices, 10);
			assert.equal(items.length, 10);
		},
	},
);

/** Logins that must end (issue #19), in real n8n: a session no login cures, and a login failure that is not the password. */
const logins = (requests) => requests.filter((request) => request.route === 'login');
CASES.push(
	{
		name: 'ThingSpace refuses every session and each login answers the same one: the run stops logging in and says why',
		workflow: workflow('tsLoginLoop', list('={{ $json.sims }}', { options: { combineItems: false } }), {
			items: ids.slice(40, 50).map((sims) => ({ sims })),
			settings: { onError: 'continueRegularOutput' },
		}),
		before: async (sim) => {
			await sim.configure({ reuseSessionToken: true });
			await sim.expireSessions();
			await sim.inject({ route: 'assign', status: 401, body: EXPIRED, times: 1000 });
		},
		after: (sim) => sim.configure({ reuseSessionToken: false }),
		check: ({ items, requests }) => {
			assert.ok(logins(requests).length <= 3, `${logins(requests).length} logins`);
			// The requests in flight (4 before any is accepted) are each sent with the first session and once with the fresh one; a fresh session refused at its first use stops the run.
			assert.ok(assigns(requests).length <= 14, `${assigns(requests).length} assigns`);
			assert.equal(items.length, 10);
			assert.match(items[9].json.error, /^ThingSpace refuses every new session: .* so the node stopped logging in/);
			log(`# login loop: ${logins(requests).length} logins, ${assigns(requests).length} assign requests for 10 uncombined items`);
		},
	},
	...[
		['408', { status: 408, body: {} }],
		["404 from a proxy's page", { status: 404, raw: '<html><body>Not Found</body></html>' }],
	].map(([label, answer], n) => ({
		name: `a login answered ${label} once is not a refused password: Retry On Fail logs in again and the run succeeds`,
		workflow: workflow(`tsLoginTransient${n}`, list(ids[50 + n]), { settings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 } }),
		before: async (sim) => {
			await sim.expireSessions();
			await sim.inject({ route: 'login', ...answer });
		},
		check: ({ items, error, requests }) => {
			assert.equal(error.message, undefined);
			assert.deepEqual(logins(requests).map((request) => request.status), [answer.status, 200]);
			assert.equal(items[0].json.requestIds.length, 1);
		},
	})),
);

/**
 * What n8n stores of the credential after logins (issue #19): a field given as an expression, and the Login Record.
 * Each case imports a credential of its own (`credential`, its Base URL filled in at import), may run its workflow
 * more than once (`runs`, each a new n8n process) and gets the credential's stored data back (`stored`, exported
 * decrypted from n8n's database).
 */
const ownCredential = (id, name, data) => ({ id, name, type: 'thingSpaceApi', data });
const EXPRESSION = { username: '={{ "demo-uws-user" }}', accountName: '={{ "0000123456-00001" }}' };
const expressionCredential = ownCredential('tsExprCredential', 'ThingSpace with expressions', EXPRESSION);
const wrongCredential = ownCredential('tsWrongCredential', 'ThingSpace wrong password', { password: 'wrong-password' });
CASES.push(
	{
		name: 'a field given as an expression after a login: n8n 2.x keeps the expression, n8n 1.x stores its value',
		credential: expressionCredential,
		workflow: workflow('tsExprLogin', list(ids[14]), { credential: expressionCredential }),
		check: ({ items, requests, stored, target }) => {
			assert.equal(items[0].json.requestIds.length, 1);
			const [login] = requests.filter((request) => request.route === 'login');
			assert.equal(login.body.username, 'demo-uws-user', 'the login sent the value');
			assert.match(stored.sessionToken, /^[0-9a-f-]{36}$/, 'the session was stored');
			// n8n 2.x writes only the keys preAuthentication returns and keeps a field stored as an expression;
			// n8n 1.x writes back the whole credential as resolved for the request (see the README).
			const expected = target.name === 'n8n 2.x' ? EXPRESSION : { username: 'demo-uws-user', accountName: '0000123456-00001' };
			assert.deepEqual({ username: stored.username, accountName: stored.accountName }, expected);
		},
	},
	{
		name: 'a wrong password, run twice (two n8n processes): 1 login attempt; the Login Record (a password field) is stored and read back',
		credential: wrongCredential,
		runs: 2,
		workflow: workflow('tsWrongTwice', list(ids[15]), { credential: wrongCredential }),
		check: ({ error, requests, stored }) => {
			assert.equal(requests.filter((request) => request.route === 'login').length, 1);
			assert.match(error.message, /^ThingSpace credential: login not attempted/);
			assert.ok(JSON.parse(stored.loginRecord).refused, 'the refusal is in the stored Login Record');
			assert.ok(!stored.loginRecord.includes('wrong-password'));
		},
	},
);

/**
 * The importable examples in examples/, run with their outside world swapped for n8n's own credential-free
 * nodes under the same names: a trigger becomes a Manual Trigger feeding sample data, a file read becomes
 * rows, a call to a ticketing or chat system becomes No Operation.
 */
const EXAMPLE_DIR = path.join(ROOT, 'examples');
const manual = (name) => ({ type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, name });
const setJson = (name, json) => ({ name, type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { mode: 'raw', jsonOutput: JSON.stringify(json), options: {} } });
const noOp = (name) => ({ name, type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} });

function example(file, id, swaps) {
	const flow = JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, file), 'utf8'));
	flow.id = id;
	flow.nodes = flow.nodes.map((node) => (swaps[node.name] ? { ...node, ...swaps[node.name](node.name), credentials: undefined, webhookId: undefined } : node));
	const first = flow.nodes[0];
	if (first.type !== 'n8n-nodes-base.manualTrigger') {
		// The swapped trigger is fed by a Manual Trigger placed before it.
		flow.nodes.unshift({ id: 'e2e-start', name: 'E2E Start', position: [-200, 0], ...manual('E2E Start') });
		flow.connections['E2E Start'] = { main: [[{ node: first.name, type: 'main', index: 0 }]] };
	}
	return flow;
}

const EXAMPLES = [
	{
		name: 'example: CRM deal won → Assign → ticket update',
		workflow: example('crm-deal-to-sim-secure.json', 'exCrmDeal', {
			'Deal Won (CRM webhook)': (name) => setJson(name, { body: { ticketId: 'T-1042', iccids } }),
			'Post to Ticketing System': noOp,
		}),
		check: ({ requests, runData }) => {
			assert.deepEqual(assigns(requests)[0].body.devices, iccids.map((id) => ({ deviceIds: [{ id, kind: 'ICCID' }] })));
			const ticket = runData['Ticket Update'][0].data.main[0][0].json;
			assert.equal(ticket.ticket, 'T-1042');
			assert.match(ticket.comment, /SIM-Secure requested for 2 SIMs, ThingSpace request IDs: [0-9a-f-]{36}/);
		},
	},
	{
		name: 'example: spreadsheet of 250 SIMs → 3 requests',
		workflow: example('spreadsheet-bulk-assign.json', 'exSheet', {
			'Read SIM List': (name) => setJson(name, { rows: ids.map((imei) => ({ imei })) }),
			Rows: (name) => ({ name, type: 'n8n-nodes-base.splitOut', typeVersion: 1, parameters: { fieldToSplitOut: 'rows', options: {} } }),
		}),
		check: ({ requests, runData, stats }) => {
			assert.equal(assigns(requests).length, 3);
			assert.equal(runData['Assign SIM-Secure'][0].data.main[0].length, 250);
			assert.equal(stats.distinctDevices, 250);
		},
	},
	{
		name: 'example: daily license counts → alert when few are left',
		workflow: example('daily-license-count-alert.json', 'exDaily', { 'Every Morning': manual, 'Post to Chat': noOp }),
		check: ({ runData }) => {
			const alerts = runData['Alert Text'][0].data.main[0].map((item) => item.json.text);
			assert.deepEqual(alerts, ['Only 50 TS-BUNDLE-KTO-SIMSEC-MRC licenses left on 0000123456-00001 (0 of 50 assigned).']);
		},
	},
];

/** The node's items and error from a run's output. */
function readRun(output, nodeName = 'ThingSpace') {
	const resultData = resultDataOf(output);
	const task = resultData.runData[nodeName]?.[0];
	return { items: task?.data?.main?.[0] ?? [], error: task?.error ?? resultData.error, runData: resultData.runData };
}

/** The credential's data as n8n stores it, exported decrypted from its database. */
function storedCredential(cli, home, id) {
	const file = path.join(home, `${id}.export.json`);
	assert.equal(cli('export:credentials', `--id=${id}`, '--decrypted', `--output=${file}`).status, 0, 'credential export');
	const [credential] = JSON.parse(fs.readFileSync(file, 'utf8'));
	return credential.data;
}

async function runTarget(target, tarball) {
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
	const sim = await forkSimulator({});
	other = await forkSimulator({});
	const results = [];
	try {
		installInto(home, tarball);
		const env = n8nEnv(home, bin, { N8N_LOG_LEVEL: 'info', N8N_LOG_FORMAT: 'json' });
		// SIGKILL: n8n waits for a running execution on SIGTERM, so a run that never ends would hold the suite.
		const cli = (...args) => spawnSync(n8n, args, { env, encoding: 'utf8', timeout: 5 * 60 * 1000, killSignal: 'SIGKILL', maxBuffer: 1 << 28 });
		// N8N_E2E_CASES=<regular expression> runs only the cases whose names match.
		const only = process.env.N8N_E2E_CASES ? new RegExp(process.env.N8N_E2E_CASES, 'i') : undefined;
		const cases = [...CASES, ...EXAMPLES].filter((testCase) => !only || only.test(testCase.name));
		const [base] = simulatorCredential(sim.url);
		const own = cases.flatMap((testCase) => (testCase.credential ? [{ ...testCase.credential, data: { ...base.data, ...testCase.credential.data } }] : []));
		const credentials = path.join(home, 'credentials.json');
		fs.writeFileSync(credentials, JSON.stringify([base, ...own]));
		assert.equal(cli('import:credentials', `--input=${credentials}`).status, 0, 'credential import');
		const workflows = path.join(home, 'workflows');
		fs.mkdirSync(workflows);
		for (const testCase of cases) fs.writeFileSync(path.join(workflows, `${testCase.workflow.id}.json`), JSON.stringify(testCase.workflow));
		assert.equal(cli('import:workflow', '--separate', `--input=${workflows}`).status, 0, 'workflow import');

		for (const testCase of cases) {
			const started = Date.now();
			try {
				// Every case starts from the account's first state: licences used by one case are not missing in the next.
				await sim.reset({ all: true });
				await testCase.before?.(sim);
				let output = '';
				for (let n = 0; n < (testCase.runs ?? 1); n++) {
					const result = cli('execute', `--id=${testCase.workflow.id}`, '--rawOutput');
					output = `${result.stdout}\n${result.stderr}`;
				}
				const { items, error, runData } = readRun(output);
				const stored = testCase.credential ? storedCredential(cli, home, testCase.credential.id) : undefined;
				await testCase.check({ items, error: error ?? {}, runData, output, requests: await sim.requests(), stats: await sim.stats(), stored, target });
				results.push(true);
				log(`ok - ${target.name} - ${testCase.name} (${Date.now() - started} ms)`);
			} catch (failure) {
				results.push(false);
				log(`not ok - ${target.name} - ${testCase.name}\n  ${String(failure.stack ?? failure).split('\n').slice(0, 6).join('\n  ')}`);
			} finally {
				await testCase.after?.(sim);
			}
		}
	} finally {
		await sim.close();
		await other.close();
		fs.rmSync(home, { recursive: true, force: true });
	}
	return results;
}

async function main() {
	const tarball = packPackage();
	const results = [];
	// What n8n installs: only the built package, its README, LICENSE and package.json.
	const files = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: ROOT }))[0].files.map((file) => file.path);
	const stray = files.filter((file) => !file.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(file));
	results.push(stray.length === 0 && files.some((file) => file.endsWith('.node.js')));
	log(`${results[0] ? 'ok' : 'not ok'} - the tarball holds only dist/, README.md, LICENSE and package.json${stray.length ? `: also ${stray.join(', ')}` : ''}`);
	try {
		for (const target of TARGETS) {
			const started = Date.now();
			// N8N_E2E_SUITE=execute or =trigger runs one half.
			if (process.env.N8N_E2E_SUITE !== 'trigger') results.push(...(await runTarget(target, tarball)));
			if (process.env.N8N_E2E_SUITE !== 'execute') results.push(...(await runTriggerTarget(target, tarball)));
			log(`# ${target.name} (${target.version}): ${Math.round((Date.now() - started) / 1000)} s`);
		}
	} finally {
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
	finish(results);
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
