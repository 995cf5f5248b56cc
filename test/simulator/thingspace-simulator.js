#!/usr/bin/env node
'use strict';
// Verizon ThingSpace SIM-Secure simulator (it follows the project's ThingSpace API reference). Loopback only.
// Library: const { startSimulator } = require('./thingspace-simulator');
// CLI:     node test/simulator/thingspace-simulator.js [--port N] [--latency MS] [--verbose]

const http = require('http');
const { createState, resetBusinessState } = require('./state');
const { resolveRoute, createHandlers } = require('./routes');
const { CallbackDeliverer } = require('./callbacks');
const { echoAnswer, echoHeader } = require('./echo');

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 5 * 1024 * 1024;

const DEFAULTS = {
	port: 0,
	latencyMs: 0,
	appKey: 'demo-app-key',
	appSecret: 'demo-app-secret',
	username: 'demo-uws-user',
	password: 'demo-uws-password',
	accountName: '0000123456-00001',
	tokenTtlSeconds: 3600,
	sessionIdleSeconds: 1200,
	expiredSessionStatus: 401,
	callbackRetryMs: 50,
	callbackDelayMs: 10,
	callbackConcurrency: 16,
	// ThingSpace delivers only to these ports (documented); 'any' lifts the rule for listeners on random test ports.
	callbackPorts: 'thingspace',
	// Licensing calls (assign, unassign) accepted per second (sliding window); 0: no limit. Beyond it: 429.
	rateLimitPerSecond: 0,
	rateLimitRetryAfter: '1',
	// Every login answers the same session token (as the OAuth token is re-issued within its hour).
	reuseSessionToken: false,
	// Called with each request's record the moment it reaches the simulator (before its body is read).
	onRequest: null,
	// The clock it keeps time by ({now, sleep, hold?}): a test's clock that moves instead of waiting. Default: real time.
	clock: null,
};

function resolveConfig(options) {
	const config = { ...DEFAULTS };
	for (const [k, v] of Object.entries(options)) if (v !== undefined) config[k] = v;
	config.failingDevices = new Set((options.failingDevices || []).map(String));
	return config;
}

const mediaTypeOf = (headers) => (headers['content-type'] || '').split(';')[0].trim().toLowerCase();

/** Best-effort parse for the request log: form object, JSON value, or the raw string. */
function parseForRecord(raw, mediaType) {
	if (!raw) return undefined;
	if (mediaType === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
	try {
		return JSON.parse(raw);
	} catch {
		return raw;
	}
}

/** @param {import('./thingspace-simulator').SimulatorOptions} [options] */
async function startSimulator(options = {}) {
	const config = resolveConfig(options);
	const clock = config.clock;
	const now = clock ? () => clock.now() : Date.now;
	const state = createState(config);
	const requests = [];
	const callbacksDelivered = [];
	const counts = new Map();
	const inFlight = new Map(); // route -> current
	const peak = new Map(); // route -> max seen
	let inFlightAll = 0;
	let peakAll = 0;
	let seq = 0;
	let rules = [];
	const faultPlans = new Map(); // route -> (n) => rule | undefined, for the n-th request of the route
	const planned = new Map();
	let delays = [];
	let closed = false;
	let closing = null;
	const timers = new Set();
	const waiters = new Set(); // reject functions of pending wait* promises
	const devicesSent = { assign: new Map(), unassign: new Map() };
	const deliverer = new CallbackDeliverer(config, callbacksDelivered);
	const handlers = createHandlers({ config, state, deliverer, devicesSent, now });

	function track(route, delta) {
		inFlightAll += delta;
		peakAll = Math.max(peakAll, inFlightAll);
		if (!route) return;
		const n = (inFlight.get(route) || 0) + delta;
		inFlight.set(route, n);
		peak.set(route, Math.max(peak.get(route) || 0, n));
	}

	function send(res, record, { status, body, headers = {}, raw, trickleMs }) {
		if (res.writableEnded || res.destroyed) return;
		record.status = status;
		record.answer = body;
		let payload = '';
		const h = {};
		if (raw !== undefined) {
			payload = String(raw);
			h['Content-Type'] = 'text/html; charset=utf-8';
		} else if (body !== undefined) {
			payload = JSON.stringify(body);
			h['Content-Type'] = 'application/json';
		}
		h['Content-Length'] = Buffer.byteLength(payload);
		res.writeHead(status, { ...h, ...headers });
		if (!trickleMs) return void res.end(payload);
		// A slow link: the headers at once, then the body one byte at a time (no idle timeout ever fires).
		const bytes = Buffer.from(payload);
		let next = 0;
		const drip = () => {
			if (res.destroyed) return;
			if (next >= bytes.length) return void res.end();
			res.write(bytes.subarray(next, ++next));
			after(trickleMs, drip);
		};
		drip();
	}

	/** How long a request to this route is held in transit: the first delay rule that takes it. */
	function transitDelay(route) {
		for (const rule of delays) {
			if (rule.route !== '*' && rule.route !== route) continue;
			const nth = rule.seen++;
			if (nth < rule.skip || (nth - rule.skip) % rule.every !== 0 || rule.remaining <= 0) continue;
			rule.remaining--;
			return rule.ms;
		}
		return 0;
	}

	/** First active fault-injection rule for this route, honouring `after` (skip) and `times`. */
	function takeRule(route) {
		const plan = faultPlans.get(route);
		if (plan) {
			const n = (planned.get(route) || 0) + 1;
			planned.set(route, n);
			const rule = plan(n);
			if (rule) return rule;
		}
		for (const rule of rules) {
			if (rule.route !== '*' && rule.route !== route) continue;
			if (rule.skip > 0) {
				rule.skip--;
				continue;
			}
			rule.remaining--;
			rules = rules.filter((r) => r.remaining > 0);
			return rule;
		}
		return null;
	}

	const licensingStarts = []; // arrival times of accepted licensing calls, for the rate limit

	/** ThingSpace's per-contract rate limit on licensing calls: a sliding one-second window. */
	function overRateLimit(route) {
		if (!config.rateLimitPerSecond || (route !== 'assign' && route !== 'unassign')) return false;
		const at = now();
		while (licensingStarts.length > 0 && licensingStarts[0] <= at - 1000) licensingStarts.shift();
		if (licensingStarts.length >= config.rateLimitPerSecond) return true;
		licensingStarts.push(at);
		return false;
	}

	/**
	 * Runs `fn` after `ms` (at once for 0), on a timer close() clears; on a test's clock, after `ms` of its time,
	 * the request held meanwhile (so that the clock may move on).
	 */
	function after(ms, fn) {
		if (!(ms > 0)) return fn();
		if (clock) {
			const wait = clock.sleep(ms);
			clock.hold?.(wait);
			return void wait.then(() => {
				if (!closed) fn();
			});
		}
		const t = setTimeout(() => {
			timers.delete(t);
			fn();
		}, ms);
		timers.add(t);
	}

	function dispatch(req, res, record, resolved, ctx) {
		const route = resolved && resolved.route;
		if (ctx.rateLimited) {
			return send(res, record, {
				status: 429,
				headers: { 'Retry-After': String(config.rateLimitRetryAfter) },
				body: { fault: { code: '900802', message: 'Message throttled out', description: 'You have exceeded your quota.' } },
			});
		}
		const rule = takeRule(route);
		if (rule && rule.delayMs) return after(rule.delayMs, () => answer(req, res, record, resolved, ctx, rule));
		answer(req, res, record, resolved, ctx, rule);
	}

	/** A rule's own answer, or (a rule that only slows the answer down) the normal one. */
	function answer(req, res, record, resolved, ctx, rule) {
		const route = resolved && resolved.route;
		const own = rule && (rule.status !== undefined || rule.destroy || rule.hang || rule.echo);
		if (own) {
			if (rule.destroy && rule.applied && route && handlers[route]) {
				// Applied, and then the answer is lost on the way back.
				const result = handlers[route](ctx);
				record.answer = result.body;
				record.applied = result.status === 200;
				return void req.socket.destroy();
			}
			if (rule.destroy) return void req.socket.destroy(); // simulates a lost response
			if (rule.hang) {
				// Never answers (the socket ends with close()); on a test's clock, time may move meanwhile.
				clock?.hold?.(new Promise((resolve) => res.once('close', resolve)));
				return;
			}
			// A misbehaving server that quotes the request (headers, body) in its error or in a header.
			const echoed = rule.echo ? echoAnswer(rule.echo, { method: req.method, path: record.path, headers: req.headers, rawBody: ctx.rawBody }) : {};
			const headers = { ...rule.headers, ...(rule.echoInHeader ? echoHeader(rule.echoInHeader, req.headers) : {}) };
			return send(res, record, { ...rule, ...echoed, headers });
		}
		if (!resolved) {
			return send(res, record, {
				status: 404,
				body: { fault: { code: '900906', message: 'No matching resource found for given API Request' } },
			});
		}
		if (!route) {
			return send(res, record, {
				status: 405,
				headers: { Allow: resolved.allow.join(', ') },
				body: { errorCode: 'MethodNotAllowed', errorMessage: `Method ${req.method} is not allowed on ${record.path}.` },
			});
		}
		let result;
		try {
			result = handlers[route](ctx);
		} catch (err) {
			result = { status: 500, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.UnexpectedError', errorMessage: String(err && err.message) } };
		}
		send(res, record, { ...result, trickleMs: rule ? rule.trickleMs : undefined });
	}

	function onRequest(req, res) {
		const path = new URL(req.url, `http://${HOST}`).pathname;
		const resolved = resolveRoute(req.method, path);
		const route = resolved ? resolved.route : null;
		const headers = { ...req.headers }; // Node already lower-cases names
		const record = { seq: ++seq, method: req.method, path, route, headers, body: undefined, status: undefined, at: now() };
		requests.push(record);
		config.onRequest?.(record);
		if (route) counts.set(route, (counts.get(route) || 0) + 1);
		track(route, +1);
		res.on('close', () => track(route, -1));

		const chunks = [];
		let size = 0;
		req.on('data', (c) => {
			size += c.length;
			if (size <= MAX_BODY_BYTES) chunks.push(c);
		});
		req.on('error', () => {}); // client went away; nothing to answer
		req.on('end', () => {
			const rawBody = Buffer.concat(chunks).toString('utf8');
			const mediaType = mediaTypeOf(headers);
			record.body = parseForRecord(rawBody, mediaType);
			if (size > MAX_BODY_BYTES) {
				return send(res, record, { status: 413, body: { errorCode: 'PayloadTooLarge', errorMessage: 'Request body too large.' } });
			}
			const arrive = () => {
				// A gateway limits the rate where requests arrive, before the latency of the answer.
				record.at = now();
				const ctx = { headers, rawBody, mediaType, params: resolved ? resolved.params : [], rateLimited: overRateLimit(route) };
				// The gateway answers its 429 at once; the latency is the backend's, for what gets through.
				after(ctx.rateLimited ? 0 : config.latencyMs, () => dispatch(req, res, record, resolved, ctx));
			};
			// A request held in transit (a slow network path, a stalled proxy) arrives that much later.
			after(transitDelay(route), arrive);
		});
	}

	const server = http.createServer(onRequest);
	// Every socket, so close() can end them all: a keep-alive socket left half-open keeps the test process alive.
	const sockets = new Set();
	let connections = 0;
	server.on('connection', (socket) => {
		connections++;
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, HOST, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const { port } = server.address();

	function waitUntil(pred, timeoutMs, what) {
		return new Promise((resolve, reject) => {
			if (pred()) return resolve();
			if (closed) return reject(new Error(`simulator closed while waiting for ${what}`));
			const cleanup = () => {
				clearTimeout(t);
				timers.delete(t);
				deliverer.off('change', check);
				waiters.delete(onClose);
			};
			const check = () => {
				if (pred()) {
					cleanup();
					resolve();
				}
			};
			const onClose = () => {
				cleanup();
				reject(new Error(`simulator closed while waiting for ${what}`));
			};
			const t = setTimeout(() => {
				cleanup();
				reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
			}, timeoutMs);
			timers.add(t);
			waiters.add(onClose);
			deliverer.on('change', check);
		});
	}

	const sim = {
		url: `http://${HOST}:${port}`,
		port,
		config,
		state,
		requests,
		callbacksDelivered,

		count(route) {
			return counts.get(route) || 0;
		},
		/** TCP connections opened to the simulator since it started (a client without keep-alive opens one per request). */
		connections() {
			return connections;
		},
		licensingRequests() {
			return this.count('assign') + this.count('unassign') + this.count('subscriptions');
		},
		devicesSent(op) {
			if (!devicesSent[op]) throw new Error(`devicesSent: op must be 'assign' or 'unassign', got ${op}`);
			return devicesSent[op];
		},
		maxInFlight(route) {
			return route ? peak.get(route) || 0 : peakAll;
		},
		planFaults(route, plan) {
			if (plan) faultPlans.set(route, plan);
			else faultPlans.delete(route);
			planned.delete(route);
		},
		inject(rule) {
			if (!rule || !rule.route || (!rule.destroy && !rule.hang && !rule.delayMs && !rule.trickleMs && !Number.isInteger(rule.status))) {
				throw new Error('inject: rule needs {route, status} (or {route, destroy: true}, {route, hang: true}, {route, delayMs} or {route, trickleMs})');
			}
			const times = rule.times === undefined ? 1 : rule.times;
			rules.push({ ...rule, remaining: times, skip: rule.after || 0 });
		},
		delay(rule) {
			if (!rule || !rule.route || !(rule.ms > 0)) throw new Error('delay: rule needs {route, ms}');
			delays.push({ ...rule, remaining: rule.times === undefined ? 1 : rule.times, skip: rule.after || 0, every: rule.every || 1, seen: 0 });
		},
		expireSessions() {
			state.sessions.clear(); // unknown and expired tokens get the same Expired error
		},
		expireTokens() {
			state.tokens.clear();
			state.currentToken.clear();
		},
		reset({ all = false } = {}) {
			requests.length = 0;
			callbacksDelivered.length = 0;
			counts.clear();
			peak.clear();
			peakAll = inFlightAll;
			seq = 0;
			rules = [];
			delays = [];
			devicesSent.assign.clear();
			devicesSent.unassign.clear();
			deliverer.cancelAll(); // pending deliveries would otherwise land in the fresh log
			if (all) resetBusinessState(state, config);
		},
		pendingCallbacks() {
			return deliverer.pending;
		},
		async waitForCallbacks(n, timeoutMs = 5000) {
			await waitUntil(() => callbacksDelivered.length >= n, timeoutMs, `${n} callback deliveries`);
			return callbacksDelivered;
		},
		async callbacksSettled(timeoutMs = 5000) {
			await waitUntil(() => deliverer.pending === 0, timeoutMs, 'callback deliveries to settle');
			return callbacksDelivered;
		},
		close() {
			if (closing) return closing;
			closed = true;
			deliverer.cancelAll();
			for (const t of timers) clearTimeout(t);
			timers.clear();
			for (const w of [...waiters]) w();
			closing = new Promise((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
				for (const socket of sockets) socket.destroy();
			});
			return closing;
		},
	};
	return sim;
}

function parseArgs(argv) {
	const opts = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const [flag, inline] = a.split('=', 2);
		const value = () => (inline !== undefined ? inline : argv[++i]);
		if (flag === '--port') opts.port = Number(value());
		else if (flag === '--latency') opts.latencyMs = Number(value());
		else if (flag === '--verbose') opts.verbose = true;
		else throw new Error(`unknown argument: ${a}`);
	}
	for (const k of ['port', 'latencyMs']) {
		if (opts[k] !== undefined && !(Number.isInteger(opts[k]) && opts[k] >= 0)) throw new Error(`invalid value for ${k}`);
	}
	return opts;
}

async function main(argv) {
	let opts;
	try {
		opts = parseArgs(argv);
	} catch (err) {
		process.stderr.write(`${err.message}\nusage: thingspace-simulator.js [--port N] [--latency MS] [--verbose]\n`);
		process.exit(2);
	}
	const sim = await startSimulator(opts);
	const c = sim.config;
	// One fact per line, key=value, so scripts can parse stdout.
	process.stdout.write(
		[
			`url=${sim.url}`,
			`appKey=${c.appKey}`,
			`appSecret=${c.appSecret}`,
			`username=${c.username}`,
			`password=${c.password}`,
			`accountName=${c.accountName}`,
		].join('\n') + '\n',
	);
	if (opts.verbose) {
		// Request log goes to stderr and only on request: an unread pipe would otherwise block us.
		const origPush = sim.requests.push;
		sim.requests.push = function (...recs) {
			for (const r of recs) process.stderr.write(`${new Date(r.at).toISOString()} ${r.method} ${r.path}\n`);
			return origPush.apply(this, recs);
		};
	}
	const stop = () => sim.close().then(() => process.exit(0));
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

if (require.main === module) {
	main(process.argv.slice(2)).catch((err) => {
		process.stderr.write(`${err.stack || err}\n`);
		process.exit(1);
	});
}

module.exports = { startSimulator, DEFAULTS };
