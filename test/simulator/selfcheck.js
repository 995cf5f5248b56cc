'use strict';
// Self-check for the ThingSpace simulator: node test/simulator/selfcheck.js  -> prints 'selfcheck ok'.

const assert = require('node:assert/strict');
const http = require('node:http');
const { startSimulator } = require('./thingspace-simulator');

/** Minimal HTTP client (agent:false so no pooled sockets outlive the run). */
function call(base, method, path, { headers = {}, body, form } = {}) {
	return new Promise((resolve, reject) => {
		let data;
		const h = { ...headers };
		if (form !== undefined) {
			data = new URLSearchParams(form).toString();
			h['Content-Type'] = h['Content-Type'] || 'application/x-www-form-urlencoded';
		} else if (body !== undefined) {
			data = typeof body === 'string' ? body : JSON.stringify(body);
			h['Content-Type'] = h['Content-Type'] || 'application/json';
		}
		if (data !== undefined) h['Content-Length'] = Buffer.byteLength(data);
		const req = http.request(new URL(path, base), { method, headers: h, agent: false }, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (c) => (text += c));
			res.on('end', () => {
				let json;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode, headers: res.headers, text, json });
			});
		});
		req.on('error', reject);
		req.end(data);
	});
}

async function main() {
	// Listener that fails the very first delivery, so the retry path is exercised.
	const received = [];
	const listener = http.createServer((req, res) => {
		let text = '';
		req.on('data', (c) => (text += c));
		req.on('end', () => {
			received.push(JSON.parse(text));
			res.writeHead(received.length === 1 ? 500 : 200).end();
		});
	});
	await new Promise((r) => listener.listen(0, '127.0.0.1', r));
	const listenerUrl = `http://127.0.0.1:${listener.address().port}/webhook/ts`;

	const sim = await startSimulator({ callbackPorts: 'any', callbackRetryMs: 20, callbackDelayMs: 5, licenses: { 'SIMSec-IoT': 200000 } });
	try {
		const base = sim.url;
		assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
		const basic = 'Basic ' + Buffer.from('demo-app-key:demo-app-secret').toString('base64');

		// --- OAuth token
		let r = await call(base, 'POST', '/api/ts/v1/oauth2/token', { form: { grant_type: 'client_credentials' } });
		assert.equal(r.status, 401);
		assert.equal(r.json.fault.code, '900902');
		r = await call(base, 'POST', '/api/ts/v1/oauth2/token', {
			headers: { Authorization: 'Basic ' + Buffer.from('demo-app-key:nope').toString('base64') },
			form: { grant_type: 'client_credentials' },
		});
		assert.equal(r.status, 401);
		assert.equal(r.json.error, 'invalid_client');
		r = await call(base, 'POST', '/api/ts/v1/oauth2/token', { headers: { Authorization: basic }, form: { grant_type: 'password' } });
		assert.equal(r.status, 400);
		assert.equal(r.json.error, 'unsupported_grant_type');
		r = await call(base, 'POST', '/api/ts/v1/oauth2/token', { headers: { Authorization: basic }, form: { grant_type: 'client_credentials' } });
		assert.equal(r.status, 200);
		assert.equal(r.json.token_type, 'Bearer');
		assert.equal(r.json.scope, 'default');
		const token = r.json.access_token;
		r = await call(base, 'POST', '/api/ts/v1/oauth2/token', { headers: { Authorization: basic }, form: { grant_type: 'client_credentials' } });
		assert.equal(r.json.access_token, token, 'same token within TTL');
		assert.deepEqual(sim.requests.at(-1).body, { grant_type: 'client_credentials' });
		const bearer = { Authorization: `Bearer ${token}` };

		// --- Login
		r = await call(base, 'POST', '/api/m2m/v1/session/login', { body: { username: 'demo-uws-user', password: 'demo-uws-password' } });
		assert.equal(r.status, 401);
		assert.equal(r.json.fault.code, '900901');
		r = await call(base, 'POST', '/api/m2m/v1/session/login', {
			headers: bearer,
			body: { username: 'demo-uws-user', password: 'demo-uws-password' },
		});
		assert.equal(r.status, 200);
		assert.match(r.json.sessionToken, /^[0-9a-f-]{36}$/);
		const auth = { ...bearer, 'VZ-M2M-Token': r.json.sessionToken };

		// --- Callback registration
		r = await call(base, 'POST', `/api/m2m/v1/callbacks/${sim.config.accountName}`, {
			headers: auth,
			body: { name: 'CarrierService', url: listenerUrl, username: 'n8n', password: 'shh' },
		});
		assert.equal(r.status, 200);
		assert.deepEqual(r.json, { accountName: '0000123456-00001', serviceName: 'CarrierService' });
		r = await call(base, 'GET', `/api/m2m/v1/callbacks/${sim.config.accountName}`, { headers: auth });
		assert.equal(r.json[0].url, listenerUrl);

		// --- Header checks
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', { headers: bearer, body: {} });
		assert.equal(r.status, 400);
		assert.equal(r.json.errorCode, 'UnifiedWebService.REQUEST_FAILED.SessionToken.Format');
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', {
			headers: { ...bearer, 'VZ-M2M-Token': 'not-a-guid' },
			body: {},
		});
		assert.equal(r.json.errorCode, 'UnifiedWebService.INPUT_INVALID.SessionToken.Invalid');
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', {
			headers: { ...auth, 'Content-Type': 'text/plain' },
			body: '{}',
		});
		assert.equal(r.status, 406);
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', {
			headers: { ...auth, 'X-Request-ID': 'abc' },
			body: {},
		});
		assert.equal(r.status, 400);
		assert.match(r.json.errorCode, /INPUT_INVALID\.RequestId$/);

		// --- Assign two devices
		const devices = [
			{ deviceIds: [{ id: '356938035641233', kind: 'IMEI' }] },
			{ deviceIds: [{ id: '89148000004123456785', kind: 'ICCID' }] },
		];
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', {
			headers: { ...auth, 'X-Request-ID': '1-20250114001' },
			body: { accountName: '0000123456-00001', skuNumber: 'SIMSec-IoT', devices },
		});
		assert.equal(r.status, 200);
		const assignId = r.json.requestId;
		assert.match(assignId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		assert.equal(sim.devicesSent('assign').get('356938035641233'), 1);
		assert.equal(sim.devicesSent('assign').get('89148000004123456785'), 1);
		assert.equal(sim.state.assigned.get('IMEI:356938035641233'), 'SIMSec-IoT');

		// Validation errors
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', {
			headers: auth,
			body: { accountName: '9999999999-00001', skuNumber: 'SIMSec-IoT', devices },
		});
		assert.equal(r.status, 404);
		assert.equal(r.json.errorCode, 'UnifiedWebService.REQUEST_FAILED.AccountNotFound');
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', { headers: auth, body: { skuNumber: 'NOPE', devices } });
		assert.match(r.json.errorCode, /INPUT_INVALID\.SkuNumber$/);
		const many = Array.from({ length: 101 }, (_, i) => ({ deviceIds: [{ id: String(100000 + i), kind: 'IMEI' }] }));
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', { headers: auth, body: { skuNumber: 'SIMSec-IoT', devices: many } });
		assert.equal(r.json.errorCode, 'UnifiedWebService.INPUT_INVALID.NumberofDevices');
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', {
			headers: auth,
			body: { skuNumber: 'SIMSec-IoT', devices: [{ deviceIds: [{ id: '12a45', kind: 'IMEI' }] }] },
		});
		assert.match(r.json.errorCode, /Device\.Identifier\.Invalid$/);
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', {
			headers: auth,
			body: { skuNumber: 'SIMSec-IoT', devices: [{ deviceIds: [{ id: '12345', kind: 'imei' }] }] },
		});
		assert.match(r.json.errorCode, /Device\.Kind\.Invalid$/);
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', {
			headers: auth,
			body: { skuNumber: 'TS-BUNDLE-KTO-SIMSEC-MRC', devices: many.slice(0, 51) },
		});
		assert.equal(r.json.errorCode, 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable');
		assert.equal(sim.devicesSent('assign').size, 2, 'rejected requests do not count devices');

		// --- Callbacks: 2 messages, first attempt of the first one got 500 -> retried
		await sim.callbacksSettled(3000);
		assert.equal(received.length, 3);
		assert.equal(sim.callbacksDelivered.length, 3);
		assert.equal(sim.callbacksDelivered[0].status, 500);
		const ok = sim.callbacksDelivered.filter((d) => d.status === 200);
		assert.equal(ok.length, 2);
		for (const d of ok) {
			assert.equal(d.body.requestId, assignId);
			assert.equal(d.body.status, 'Success');
			assert.equal(d.body.username, 'n8n');
			assert.equal(d.body.password, 'shh');
			assert.deepEqual(d.body.deviceResponse, {});
			assert.equal(d.body.maxCallbackThreshold, 4);
		}
		assert.ok(ok.some((d) => d.attempt === 2 && d.body.callbackCount === 2), 'retry carries callbackCount 2');
		const kinds = ok.map((d) => d.body.deviceIds[0].kind).sort();
		assert.deepEqual(kinds, ['ICCID', 'Imei']);

		// --- Subscriptions
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', { headers: auth, body: { accountName: '0000123456-00001' } });
		assert.equal(r.status, 200);
		assert.equal(r.json.subscriptionList.length, 4);
		const flex = r.json.subscriptionList.find((s) => s.skuNumber === 'SIMSec-IoT');
		assert.deepEqual(flex, { skuNumber: 'SIMSec-IoT', licenseType: 'Flexible', licensePurchased: 200000, licenseAssigned: 2, licenseAvailable: 199998 });
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', { headers: auth, body: { skuNumber: 'SIMSec-IoT-Lt' } });
		assert.deepEqual(r.json.subscriptionList.map((s) => s.licenseType), ['Lifetime']);

		// --- Unassign
		r = await call(base, 'DELETE', '/api/m2m/v1/devices/license/actions/assign', { headers: auth, body: { skuNumber: 'SIMSec-IoT', devices } });
		assert.equal(r.status, 400, 'X-Request-ID required on DELETE');
		r = await call(base, 'DELETE', '/api/m2m/v1/devices/license/actions/assign', {
			headers: { ...auth, 'X-Request-ID': '1-20250114002' },
			body: { skuNumber: 'SIMSec-IoT-Lt', devices },
		});
		assert.equal(r.json.errorCode, 'UnifiedWebService.REQUEST_FAILED.License.NotRemovable');
		r = await call(base, 'DELETE', '/api/m2m/v1/devices/license/actions/assign', { headers: { ...auth, 'X-Request-ID': '1-20250114003' } });
		assert.equal(r.status, 400, 'missing body');
		r = await call(base, 'DELETE', '/api/m2m/v1/devices/license/actions/assign', {
			headers: { ...auth, 'X-Request-ID': '1-20250114004' },
			body: { skuNumber: 'SIMSec-IoT', devices },
		});
		assert.equal(r.status, 200);
		assert.equal(sim.state.licenses['SIMSec-IoT'].assigned, 0);
		assert.equal(sim.devicesSent('unassign').get('356938035641233'), 1);
		await sim.waitForCallbacks(5, 3000);
		assert.ok(sim.callbacksDelivered.slice(3).every((d) => d.body.status === 'Success' && d.status === 200));

		// --- Expired session
		sim.expireSessions();
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', { headers: auth, body: {} });
		assert.equal(r.status, 401);
		assert.equal(r.json.errorCode, 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired');
		r = await call(base, 'POST', '/api/m2m/v1/session/login', {
			headers: bearer,
			body: { username: 'demo-uws-user', password: 'demo-uws-password' },
		});
		const auth2 = { ...bearer, 'VZ-M2M-Token': r.json.sessionToken };

		// --- 429 injection (after one normal request), not counted as accepted
		sim.inject({ route: 'assign', status: 429, body: { errorCode: 'TooManyRequests', errorMessage: 'slow down' }, headers: { 'Retry-After': '2' }, after: 1 });
		const dev3 = [{ deviceIds: [{ id: '352099001761481', kind: 'IMEI' }] }];
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', { headers: auth2, body: { skuNumber: 'SIMSec-IoT', devices: dev3 } });
		assert.equal(r.status, 200, 'after: 1 skips the first');
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', { headers: auth2, body: { skuNumber: 'SIMSec-IoT', devices: many.slice(0, 3) } });
		assert.equal(r.status, 429);
		assert.equal(r.headers['retry-after'], '2');
		assert.equal(r.json.errorMessage, 'slow down');
		assert.equal(sim.devicesSent('assign').get('100000'), undefined);
		sim.inject({ route: 'subscriptions', status: 503, raw: '<html>busy</html>' });
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', { headers: auth2, body: {} });
		assert.equal(r.status, 503);
		assert.match(r.headers['content-type'], /^text\/html/);
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', { headers: auth2, body: {} });
		assert.equal(r.status, 200, 'rule used up');

		// --- Duplicate assign -> per-device Failed callback
		r = await call(base, 'POST', '/api/m2m/v1/devices/license/actions/assign', { headers: auth2, body: { skuNumber: 'SIMSec-IoT', devices: dev3 } });
		assert.equal(r.status, 200);
		const dupId = r.json.requestId;
		await sim.callbacksSettled(3000);
		const dup = sim.callbacksDelivered.find((d) => d.body.requestId === dupId);
		assert.equal(dup.body.status, 'Failed');
		assert.match(dup.body.faultResponse.faultcode, /AlreadyAssigned$/);

		// --- Token expiry
		sim.expireTokens();
		r = await call(base, 'POST', '/api/m2m/v1/accounts/subscriptions/actions/list', { headers: auth2, body: {} });
		assert.equal(r.status, 401);
		assert.equal(r.json.fault.code, '900901');
		r = await call(base, 'POST', '/api/ts/v1/oauth2/token', { headers: { Authorization: basic }, form: { grant_type: 'client_credentials' } });
		assert.notEqual(r.json.access_token, token);
		const bearer2 = { Authorization: `Bearer ${r.json.access_token}` };

		// --- Lockout after 5 failures
		for (let i = 0; i < 5; i++) {
			r = await call(base, 'POST', '/api/m2m/v1/session/login', { headers: bearer2, body: { username: 'demo-uws-user', password: 'wrong' } });
			assert.match(r.json.errorCode, /Login\.Invalid$/);
		}
		r = await call(base, 'POST', '/api/m2m/v1/session/login', { headers: bearer2, body: { username: 'demo-uws-user', password: 'demo-uws-password' } });
		assert.equal(r.status, 400);
		assert.equal(r.json.errorCode, 'UnifiedWebService.REQUEST_FAILED.Contact.Locked');

		// --- Unknown path / method, logout, deregister
		r = await call(base, 'GET', '/api/m2m/v1/nothing');
		assert.equal(r.status, 404);
		assert.equal(r.json.fault.code, '900906');
		r = await call(base, 'PUT', '/api/m2m/v1/devices/license/actions/assign');
		assert.equal(r.status, 405);
		const del = `/api/m2m/v1/callbacks/${sim.config.accountName}/name/CarrierService`;
		r = await call(base, 'DELETE', del, { headers: { ...bearer2, 'VZ-M2M-Token': auth2['VZ-M2M-Token'] } });
		assert.equal(r.status, 200);
		r = await call(base, 'DELETE', del, { headers: { ...bearer2, 'VZ-M2M-Token': auth2['VZ-M2M-Token'] } });
		assert.match(r.json.errorCode, /CallbackNotFound$/);
		r = await call(base, 'POST', '/api/m2m/v1/session/logout', { headers: { ...bearer2, 'VZ-M2M-Token': auth2['VZ-M2M-Token'] } });
		assert.deepEqual(r.json, { sessionToken: auth2['VZ-M2M-Token'] });

		// --- Bookkeeping
		assert.equal(sim.count('login'), 9);
		assert.equal(sim.licensingRequests(), sim.count('assign') + sim.count('unassign') + sim.count('subscriptions'));
		assert.ok(sim.maxInFlight() >= 1);
		assert.ok(sim.requests.every((q, i) => q.seq === i + 1 && q.status !== undefined));
		sim.reset();
		assert.equal(sim.requests.length, 0);
		assert.equal(sim.count('assign'), 0);
		assert.equal(sim.state.licenses['SIMSec-IoT'].assigned, 1, 'plain reset keeps licences');
		sim.reset({ all: true });
		assert.equal(sim.state.licenses['SIMSec-IoT'].assigned, 0);
		assert.equal(sim.state.lockedUsers.size, 0);
	} finally {
		await sim.close();
		await new Promise((r) => listener.close(r));
	}
	await checkLoginAnswers();
	console.log('selfcheck ok');
}

/** reuseSessionToken, and answers that come late (delayMs) or trickle in (trickleMs). */
async function checkLoginAnswers() {
	const sim = await startSimulator({ reuseSessionToken: true });
	try {
		const basic = 'Basic ' + Buffer.from('demo-app-key:demo-app-secret').toString('base64');
		const token = await call(sim.url, 'POST', '/api/ts/v1/oauth2/token', { headers: { Authorization: basic }, form: { grant_type: 'client_credentials' } });
		const login = () =>
			call(sim.url, 'POST', '/api/m2m/v1/session/login', {
				headers: { Authorization: `Bearer ${token.json.access_token}` },
				body: { username: 'demo-uws-user', password: 'demo-uws-password' },
			});
		const first = await login();
		assert.equal((await login()).json.sessionToken, first.json.sessionToken, 'every login answers the same session');

		sim.inject({ route: 'login', delayMs: 150 });
		let started = Date.now();
		assert.equal((await login()).json.sessionToken, first.json.sessionToken, 'a delayed answer is the normal one');
		assert.ok(Date.now() - started >= 140);

		sim.inject({ route: 'login', trickleMs: 5 });
		started = Date.now();
		const trickled = await login();
		assert.equal(trickled.json.sessionToken, first.json.sessionToken);
		assert.ok(Date.now() - started >= trickled.text.length * 4, 'the body came byte by byte');
	} finally {
		await sim.close();
	}
}

// Watchdog so a hang fails fast instead of blocking; unref'd so it never keeps the process alive.
setTimeout(() => {
	console.error('selfcheck timed out');
	process.exit(1);
}, 10000).unref();

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
