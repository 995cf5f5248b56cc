'use strict';
// Outbound CarrierService callback delivery: one POST per device, retried on non-2xx or
// connection error up to MAX_ATTEMPTS in all. Every timer and socket is tracked so
// cancelAll() (used by close() and reset()) leaves nothing behind for jest.

const http = require('http');
const https = require('https');
const { EventEmitter } = require('events');

const MAX_ATTEMPTS = 4; // Verizon's examples show maxCallbackThreshold: 4
const THINGSPACE_PORTS = [[80, 80], [443, 443], [9001, 9006], [50551, 50559], [28200, 28220]];

function deliverable(url, rule) {
	if (rule === 'any') return true;
	const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
	return THINGSPACE_PORTS.some(([low, high]) => port >= low && port <= high);
}
const REQUEST_TIMEOUT_MS = 5000;

class CallbackDeliverer extends EventEmitter {
	/**
	 * @param {object} config live simulator config (callbackDelayMs, callbackRetryMs, callbackConcurrency)
	 * @param {Array} delivered array that receives {url, body, status, attempt, error?}
	 */
	constructor(config, delivered) {
		super();
		this.config = config;
		this.delivered = delivered;
		this.timers = new Set();
		this.sockets = new Set(); // in-flight ClientRequests
		this.queue = []; // jobs ready to send, waiting for a concurrency slot
		this.active = 0;
		this.pending = 0; // jobs not yet finished (waiting, queued or in flight)
		this.generation = 0; // bumped by cancelAll() so late events from old jobs are ignored
	}

	/** Queue one message; `body` is the envelope without callbackCount/maxCallbackThreshold. */
	schedule(url, body) {
		this.pending++;
		this.later(this.config.callbackDelayMs, { url, body, attempt: 1, gen: this.generation });
	}

	later(ms, job) {
		const t = setTimeout(() => {
			this.timers.delete(t);
			this.queue.push(job);
			this.pump();
		}, Math.max(0, ms));
		this.timers.add(t);
	}

	pump() {
		// A small cap keeps 10,000-device runs from opening 10,000 sockets to n8n at once.
		const cap = Math.max(1, this.config.callbackConcurrency || 16);
		while (this.active < cap && this.queue.length) this.send(this.queue.shift());
	}

	send(job) {
		this.active++;
		const payload = { ...job.body, callbackCount: job.attempt, maxCallbackThreshold: MAX_ATTEMPTS };
		const data = JSON.stringify(payload);
		const sentAt = Date.now();
		let settled = false;
		const finish = (status, error) => {
			if (settled) return;
			settled = true;
			this.active--;
			if (job.gen !== this.generation) return; // cancelled meanwhile
			const entry = { url: job.url, body: payload, status, attempt: job.attempt, ms: Date.now() - sentAt };
			if (error) entry.error = error.message;
			this.delivered.push(entry);
			const ok = status >= 200 && status < 300;
			if (!ok && job.attempt < MAX_ATTEMPTS) {
				this.later(this.config.callbackRetryMs, { ...job, attempt: job.attempt + 1 });
			} else {
				this.pending--;
			}
			this.emit('change');
			this.pump();
		};
		let req;
		try {
			const u = new URL(job.url);
			if (!deliverable(u, this.config.callbackPorts)) throw new Error(`ThingSpace does not deliver callbacks to port ${u.port}`);
			const mod = u.protocol === 'https:' ? https : http;
			req = mod.request(u, {
				method: 'POST',
				agent: false, // no pooled keep-alive sockets to outlive close()
				timeout: REQUEST_TIMEOUT_MS,
				headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
			});
		} catch (err) {
			finish(0, err);
			return;
		}
		this.sockets.add(req);
		req.on('close', () => this.sockets.delete(req));
		req.on('timeout', () => req.destroy(new Error('callback request timed out')));
		req.on('error', (err) => finish(0, err));
		req.on('response', (res) => {
			res.resume();
			finish(res.statusCode);
		});
		req.end(data);
	}

	/** Drop every waiting/queued/in-flight delivery. */
	cancelAll() {
		this.generation++;
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
		for (const r of this.sockets) r.destroy();
		this.sockets.clear();
		this.queue = [];
		this.pending = 0;
		this.emit('change');
	}
}

module.exports = { CallbackDeliverer, MAX_ATTEMPTS };
