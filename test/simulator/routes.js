'use strict';
// Route table and request handlers. Each handler gets a ctx and returns {status, body, headers?}.
// Check order mirrors a gateway in front of UWS: Bearer -> session token -> content type ->
// X-Request-ID -> body validation -> business rules.

const crypto = require('crypto');
const { SKUS, DEVICE_KINDS, SERVICE_NAMES, deviceKey } = require('./state');

const P = '/api/m2m/v1';
const ROUTES = [
	{ re: /^\/api\/ts\/v1\/oauth2\/token$/, methods: { POST: 'token' } },
	{ re: new RegExp(`^${P}/session/login$`), methods: { POST: 'login' } },
	{ re: new RegExp(`^${P}/session/logout$`), methods: { POST: 'logout' } },
	{ re: new RegExp(`^${P}/devices/license/actions/assign$`), methods: { POST: 'assign', DELETE: 'unassign' } },
	{ re: new RegExp(`^${P}/accounts/subscriptions/actions/list$`), methods: { POST: 'subscriptions' } },
	{ re: new RegExp(`^${P}/callbacks/([^/]+)$`), methods: { POST: 'callbacksRegister', GET: 'callbacksList' } },
	{ re: new RegExp(`^${P}/callbacks/([^/]+)/name/([^/]+)$`), methods: { DELETE: 'callbacksDelete' } },
];

/** @returns {{route: string|null, params: string[], allow?: string[]}|null} null = unknown path */
function resolveRoute(method, path) {
	for (const r of ROUTES) {
		const m = r.re.exec(path);
		if (!m) continue;
		const params = m.slice(1).map(safeDecode);
		const route = r.methods[method];
		return route ? { route, params } : { route: null, params, allow: Object.keys(r.methods) };
	}
	return null;
}

function safeDecode(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REQUEST_ID_RE = /^[0-9]-[0-9]{3,32}$/;
const DEVICE_ID_RE = /^[0-9]{3,32}$/;
// MEID and ESN also come as hexadecimal (14 and 8 characters); every other kind is decimal.
const HEX_ID_RE = { MEID: /^([0-9A-F]{14}|[0-9]{18})$/, ESN: /^([0-9A-F]{8}|[0-9]{11})$/ };
const MAX_ITEMS = 100;
const MAX_FAILED_LOGINS = 5;
const UWS = 'UnifiedWebService';

const uws = (status, code, errorMessage) => ({ status, body: { errorCode: `${UWS}.${code}`, errorMessage } });
const invalidBearer = () => ({
	status: 401,
	body: {
		fault: {
			code: '900901',
			message: 'Invalid Credentials',
			description: 'Invalid Credentials. Make sure you have provided the correct security credentials',
		},
	},
});
const accountNotFound = () => uws(404, 'REQUEST_FAILED.AccountNotFound', 'Account not found.');

/** Mixed-case kind as Verizon sometimes sends it in callbacks ('Imei', 'Iccid'). */
const mixedCase = (kind) => kind.charAt(0) + kind.slice(1).toLowerCase();

function createHandlers(sim) {
	const { config, state, deliverer, devicesSent, now: clockNow = Date.now } = sim;

	function bearerOk(ctx) {
		const m = /^Bearer\s+(\S+)\s*$/i.exec(ctx.headers.authorization || '');
		if (!m) return false;
		const t = state.tokens.get(m[1]);
		return Boolean(t && t.expiresAt > clockNow());
	}

	/** Validates the VZ-M2M-Token header and touches the session; returns an error result or null. */
	function sessionError(ctx) {
		const token = ctx.headers['vz-m2m-token'];
		if (token === undefined || token === '') {
			return uws(400, 'REQUEST_FAILED.SessionToken.Format', 'The session token is missing.');
		}
		if (!GUID_RE.test(token)) return uws(400, 'INPUT_INVALID.SessionToken.Invalid', 'The session token is invalid.');
		const s = state.sessions.get(token);
		const now = clockNow();
		if (!s || now - s.lastUsed >= config.sessionIdleSeconds * 1000) {
			state.sessions.delete(token);
			return uws(config.expiredSessionStatus, 'REQUEST_FAILED.SessionToken.Expired', 'The Session has expired.');
		}
		s.lastUsed = now; // idle timeout: every use extends the session
		ctx.sessionToken = token;
		return null;
	}

	/** Parses a JSON body when present. Returns {error} or {value} (value undefined for no body). */
	function jsonBody(ctx) {
		if (!ctx.rawBody) return { value: undefined };
		if (ctx.mediaType !== 'application/json') {
			return { error: uws(406, 'INPUT_INVALID.ContentType', 'Content-Type must be application/json.') };
		}
		try {
			return { value: JSON.parse(ctx.rawBody) };
		} catch {
			return { error: uws(400, 'INPUT_INVALID.Request.InvalidCharacter', 'The request body is not valid JSON.') };
		}
	}

	function requestIdError(ctx, required) {
		const id = ctx.headers['x-request-id'];
		if (id === undefined) {
			return required ? uws(400, 'INPUT_INVALID.RequestId', 'The X-Request-ID header is required.') : null;
		}
		if (id.length > 32 || !REQUEST_ID_RE.test(id)) {
			return uws(400, 'INPUT_INVALID.RequestId', 'The X-Request-ID header is invalid.');
		}
		return null;
	}

	/** Common guard for every licensing/callback call. Returns {error} or {body}. */
	function m2m(ctx, { takesBody = false, requestIdRequired = false } = {}) {
		if (!bearerOk(ctx)) return { error: invalidBearer() };
		const se = sessionError(ctx);
		if (se) return { error: se };
		let body;
		if (takesBody) {
			const parsed = jsonBody(ctx);
			if (parsed.error) return parsed;
			body = parsed.value;
		}
		const re = requestIdError(ctx, requestIdRequired);
		if (re) return { error: re };
		return { body };
	}

	const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
	const accountOk = (name) => name === undefined || name === null || name === config.accountName;

	/** Shared validation of the assign/unassign body. Returns an error result or null. */
	function licenseBodyError(body, op) {
		if (!isObject(body)) return uws(400, 'INPUT_INVALID.Request.Body', 'The request body is missing.');
		if (!accountOk(body.accountName)) return accountNotFound();
		const sku = body.skuNumber;
		if (typeof sku !== 'string' || !SKUS[sku]) {
			return uws(400, 'INPUT_INVALID.SkuNumber', 'The SKU number is missing or invalid.');
		}
		if (op === 'unassign' && !SKUS[sku].removable) {
			return uws(400, 'REQUEST_FAILED.License.NotRemovable', 'Lifetime licenses cannot be removed.');
		}
		const devices = body.devices;
		if (!Array.isArray(devices) || devices.length === 0) {
			return uws(400, 'INPUT_INVALID.Devices', 'At least one device is required.');
		}
		if (devices.length > MAX_ITEMS) {
			return uws(400, 'INPUT_INVALID.NumberofDevices', `At most ${MAX_ITEMS} devices are allowed per request.`);
		}
		for (const d of devices) {
			if (!isObject(d) || !Array.isArray(d.deviceIds) || d.deviceIds.length === 0) {
				return uws(400, 'INPUT_INVALID.Device.Identifier.Invalid', 'Each device needs at least one device identifier.');
			}
			if (d.deviceIds.length > MAX_ITEMS) {
				return uws(400, 'INPUT_INVALID.NumberofDevices', `At most ${MAX_ITEMS} device identifiers are allowed per device.`);
			}
			for (const di of d.deviceIds) {
				if (!isObject(di) || typeof di.id !== 'string' || !(HEX_ID_RE[di.kind] || DEVICE_ID_RE).test(di.id)) {
					return uws(400, 'INPUT_INVALID.Device.Identifier.Invalid', 'The device identifier is invalid.');
				}
				if (typeof di.kind !== 'string' || !DEVICE_KINDS.has(di.kind)) {
					return uws(400, 'INPUT_INVALID.Device.Kind.Invalid', 'The device kind is invalid.');
				}
			}
		}
		return null;
	}

	const fault = (code, faultstring) => ({ faultcode: `${UWS}.${code}`, faultstring });

	/** Per-device outcome for assign/unassign, applied in order so in-request duplicates are caught. */
	function isFailing(device) {
		return device.deviceIds.some((di) => config.failingDevices.has(di.id));
	}

	function countSent(op, devices) {
		const map = devicesSent[op];
		for (const d of devices) for (const di of d.deviceIds) map.set(di.id, (map.get(di.id) || 0) + 1);
	}

	function sendCallbacks(requestId, devices, outcomes) {
		const reg = state.callbacks.get('CarrierService');
		if (!reg) return;
		devices.forEach((d, i) => {
			const o = outcomes[i];
			const body = {
				username: reg.username,
				password: reg.password,
				requestId,
				// Even-indexed devices get 'Imei'-style kinds, odd ones the upper-case form: both occur at Verizon.
				deviceIds: d.deviceIds.map((di) => ({ id: di.id, kind: i % 2 === 0 ? mixedCase(di.kind) : di.kind })),
			};
			if (o.fault) body.faultResponse = o.fault;
			else body.deviceResponse = {};
			body.status = o.fault ? 'Failed' : 'Success';
			deliverer.schedule(reg.url, body);
		});
	}

	return {
		token(ctx) {
			const auth = ctx.headers.authorization || '';
			const m = /^Basic\s+(\S+)\s*$/i.exec(auth);
			if (!m) {
				return {
					status: 401,
					body: {
						fault: {
							code: '900902',
							message: 'Missing Credentials',
							description: 'Invalid Credentials. Make sure your API invocation call has a header: "Authorization : Basic XXXX"',
						},
					},
				};
			}
			const decoded = Buffer.from(m[1], 'base64').toString('utf8');
			const colon = decoded.indexOf(':');
			const key = colon < 0 ? decoded : decoded.slice(0, colon);
			const secret = colon < 0 ? '' : decoded.slice(colon + 1);
			if (key !== config.appKey || secret !== config.appSecret) {
				return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
			}
			// Only a form body is understood; JSON bodies are treated as "no grant_type" like a real OAuth server.
			const form = ctx.mediaType === 'application/x-www-form-urlencoded' ? new URLSearchParams(ctx.rawBody) : null;
			const grant = form && form.get('grant_type');
			if (grant !== 'client_credentials') {
				return {
					status: 400,
					body: {
						error: 'unsupported_grant_type',
						error_description: grant ? `Unsupported grant_type value: ${grant}` : 'Missing grant_type parameter value',
					},
				};
			}
			const now = clockNow();
			let token = state.currentToken.get(key);
			let entry = token && state.tokens.get(token);
			if (!entry || entry.expiresAt <= now) {
				// Documented: the same token is returned until it expires (1 h from first issue).
				if (token) state.tokens.delete(token);
				token = crypto.randomBytes(16).toString('hex');
				entry = { expiresAt: now + config.tokenTtlSeconds * 1000 };
				state.tokens.set(token, entry);
				state.currentToken.set(key, token);
			}
			const expiresIn = Math.max(1, Math.ceil((entry.expiresAt - now) / 1000));
			return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: 'default' } };
		},

		login(ctx) {
			if (!bearerOk(ctx)) return invalidBearer();
			const parsed = jsonBody(ctx);
			if (parsed.error) return parsed.error;
			const b = parsed.value;
			if (!isObject(b) || typeof b.username !== 'string' || typeof b.password !== 'string' || !b.username) {
				// Malformed requests are not login attempts, so they do not count toward the lockout.
				return uws(400, 'INPUT_INVALID.Login.Missing', 'username and password are required.');
			}
			if (state.lockedUsers.has(b.username)) {
				return uws(400, 'REQUEST_FAILED.Contact.Locked', 'The contact record is locked after too many failed logins; contact Verizon support.');
			}
			if (b.username !== config.username || b.password !== config.password) {
				const n = (state.failedLogins.get(b.username) || 0) + 1;
				state.failedLogins.set(b.username, n);
				if (n >= MAX_FAILED_LOGINS) state.lockedUsers.add(b.username);
				return uws(400, 'REQUEST_FAILED.Login.Invalid', 'Invalid username or password.');
			}
			state.failedLogins.delete(b.username);
			const sessionToken = config.reuseSessionToken ? (state.lastSessionToken ??= crypto.randomUUID()) : crypto.randomUUID();
			state.sessions.set(sessionToken, { username: b.username, lastUsed: clockNow() });
			return { status: 200, body: { sessionToken } };
		},

		logout(ctx) {
			const g = m2m(ctx);
			if (g.error) return g.error;
			state.sessions.delete(ctx.sessionToken);
			return { status: 200, body: { sessionToken: ctx.sessionToken } };
		},

		assign(ctx) {
			const g = m2m(ctx, { takesBody: true });
			if (g.error) return g.error;
			const err = licenseBodyError(g.body, 'assign');
			if (err) return err;
			const { skuNumber: sku, devices } = g.body;
			const taken = new Map(); // keys claimed earlier in this same request
			const outcomes = devices.map((d) => {
				const key = deviceKey(d);
				if (isFailing(d)) return { key, fault: fault('REQUEST_FAILED.DeviceNotFound', 'REQUEST_FAILED. Device not found') };
				const held = taken.get(key) || state.assigned.get(key);
				if (held === sku) return { key, fault: fault('REQUEST_FAILED.License.AlreadyAssigned', 'REQUEST_FAILED. Device already has this license') };
				if (held) return { key, fault: fault('REQUEST_FAILED.License.AlreadyAssigned', `REQUEST_FAILED. Device already has license ${held}`) };
				taken.set(key, sku);
				return { key };
			});
			const pool = state.licenses[sku];
			if (taken.size > pool.purchased - pool.assigned) {
				return uws(400, 'REQUEST_FAILED.License.NotAvailable', `Not enough ${sku} licenses available.`);
			}
			for (const key of taken.keys()) state.assigned.set(key, sku);
			pool.assigned += taken.size;
			const requestId = crypto.randomUUID();
			countSent('assign', devices);
			sendCallbacks(requestId, devices, outcomes);
			return { status: 200, body: { requestId } };
		},

		unassign(ctx) {
			const g = m2m(ctx, { takesBody: true, requestIdRequired: true });
			if (g.error) return g.error;
			const err = licenseBodyError(g.body, 'unassign');
			if (err) return err;
			const { skuNumber: sku, devices } = g.body;
			const pool = state.licenses[sku];
			const outcomes = devices.map((d) => {
				const key = deviceKey(d);
				if (isFailing(d)) return { fault: fault('REQUEST_FAILED.DeviceNotFound', 'REQUEST_FAILED. Device not found') };
				if (state.assigned.get(key) !== sku) {
					return { fault: fault('REQUEST_FAILED.License.NotAssigned', 'REQUEST_FAILED. Device does not have this license') };
				}
				state.assigned.delete(key);
				pool.assigned = Math.max(0, pool.assigned - 1);
				return {};
			});
			const requestId = crypto.randomUUID();
			countSent('unassign', devices);
			sendCallbacks(requestId, devices, outcomes);
			return { status: 200, body: { requestId } };
		},

		subscriptions(ctx) {
			const g = m2m(ctx, { takesBody: true });
			if (g.error) return g.error;
			const b = g.body === undefined ? {} : g.body;
			if (!isObject(b)) return uws(400, 'INPUT_INVALID.Request.Body', 'The request body must be a JSON object.');
			if (!accountOk(b.accountName)) return accountNotFound();
			if (b.skuNumber !== undefined && b.skuNumber !== null && !SKUS[b.skuNumber]) {
				return uws(400, 'INPUT_INVALID.SkuNumber', 'The SKU number is invalid.');
			}
			const skus = b.skuNumber ? [b.skuNumber] : Object.keys(SKUS);
			const subscriptionList = skus.map((sku) => {
				const { purchased, assigned } = state.licenses[sku];
				return {
					skuNumber: sku,
					licenseType: SKUS[sku].licenseType,
					licensePurchased: purchased,
					licenseAssigned: assigned,
					licenseAvailable: Math.max(0, purchased - assigned),
				};
			});
			return { status: 200, body: { accountName: config.accountName, subscriptionList } };
		},

		callbacksRegister(ctx) {
			const g = m2m(ctx, { takesBody: true });
			if (g.error) return g.error;
			if (ctx.params[0] !== config.accountName) return accountNotFound();
			const b = g.body;
			if (!isObject(b)) return uws(400, 'INPUT_INVALID.Request.Body', 'The request body is missing.');
			if (typeof b.name !== 'string' || !SERVICE_NAMES.has(b.name)) {
				return uws(400, 'INPUT_INVALID.ServiceName', 'The callback service name is missing or invalid.');
			}
			let url;
			try {
				url = new URL(b.url);
			} catch {
				url = null;
			}
			if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
				return uws(400, 'INPUT_INVALID.Url', 'The callback URL is missing or invalid.');
			}
			for (const f of ['username', 'password']) {
				if (b[f] !== undefined && b[f] !== null && typeof b[f] !== 'string') {
					return uws(400, `INPUT_INVALID.${f === 'username' ? 'UserName' : 'Password'}`, `${f} must be a string.`);
				}
			}
			// Re-registering the same service name overwrites (doc: Unconfirmed; brief: overwrite).
			state.callbacks.set(b.name, { url: b.url, username: b.username || '', password: b.password || '' });
			return { status: 200, body: { accountName: config.accountName, serviceName: b.name } };
		},

		callbacksList(ctx) {
			const g = m2m(ctx);
			if (g.error) return g.error;
			if (ctx.params[0] !== config.accountName) return accountNotFound();
			const list = [...state.callbacks].map(([serviceName, c]) => ({
				accountName: config.accountName,
				serviceName,
				url: c.url,
				username: c.username,
				password: c.password,
			}));
			return { status: 200, body: list };
		},

		callbacksDelete(ctx) {
			const g = m2m(ctx);
			if (g.error) return g.error;
			const [account, serviceName] = ctx.params;
			if (account !== config.accountName) return accountNotFound();
			if (!state.callbacks.delete(serviceName)) {
				return uws(400, 'REQUEST_FAILED.CallbackNotFound', 'No callback listener is registered for that service.');
			}
			return { status: 200, body: { accountName: config.accountName, serviceName } };
		},
	};
}

module.exports = { resolveRoute, createHandlers, ROUTE_NAMES: ROUTES.flatMap((r) => Object.values(r.methods)) };
