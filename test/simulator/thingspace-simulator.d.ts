// Types for thingspace-simulator.js (CommonJS). Import from TypeScript tests with:
//   import { startSimulator, Simulator } from './simulator/thingspace-simulator';

/** Route names used by count(), maxInFlight() and inject(). */
export type RouteName =
	| 'token'
	| 'login'
	| 'logout'
	| 'assign'
	| 'unassign'
	| 'subscriptions'
	| 'callbacksRegister'
	| 'callbacksList'
	| 'callbacksDelete';

/** A SKU value of the node's list (nodes/shared/skus.json). */
export type Sku = string;

export interface SimulatorOptions {
	/** Port on 127.0.0.1; 0 (default) picks a free one. */
	port?: number;
	/** Delay in ms before answering each request that gets through the rate limit (a 429 is answered at once, as a gateway does; default 0). Mutable later via sim.config.latencyMs. */
	latencyMs?: number;
	/** OAuth app key/secret (defaults 'demo-app-key' / 'demo-app-secret'). */
	appKey?: string;
	appSecret?: string;
	/** UWS login (defaults 'demo-uws-user' / 'demo-uws-password'). */
	username?: string;
	password?: string;
	/** The single account (default '0000123456-00001'). */
	accountName?: string;
	/** OAuth token lifetime from first issue (default 3600). */
	tokenTtlSeconds?: number;
	/** Session idle timeout (default 1200 = 20 min). */
	sessionIdleSeconds?: number;
	/** HTTP status for SessionToken.Expired (default 401; Verizon's real status is unconfirmed). */
	expiredSessionStatus?: number;
	/**
	 * Initial licences per SKU: a number = purchased (assigned 0), or {purchased, assigned}.
	 * Unlisted SKUs keep defaults: Lt 500, SIMSec-IoT 1000, TS-BUNDLE 50, TSS-IOT 200.
	 */
	licenses?: Record<Sku, number | { purchased: number; assigned?: number }>;
	/** Delay between callback delivery retries (default 50). */
	callbackRetryMs?: number;
	/** Delay before the first callback delivery (default 10). */
	callbackDelayMs?: number;
	/** Max concurrent outbound callback POSTs (default 16). */
	callbackConcurrency?: number;
	/** 'thingspace' (default): deliver only to ThingSpace's ports (80, 443, 9001–9006, 50551–50559, 28200–28220); 'any': every port. */
	callbackPorts?: 'thingspace' | 'any';
	/** Licensing calls (assign, unassign) accepted in any one second; beyond it 429 with Retry-After. 0 (default): no limit. */
	rateLimitPerSecond?: number;
	/** Retry-After of those 429s (default '1'). */
	rateLimitRetryAfter?: string;
	/** Every login answers the same session token, as the OAuth token is re-issued within its hour (default false). */
	reuseSessionToken?: boolean;
	/** Device ids whose assign/unassign callbacks report status 'Failed' (DeviceNotFound). */
	failingDevices?: string[];
	/** Called with each request's record the moment it reaches the simulator, before its body is read. */
	onRequest?: ((request: RecordedRequest) => void) | null;
	/**
	 * The clock it keeps time by: its rate-limit window, arrival stamps, token and session lifetimes, and the
	 * answers it holds back (latency, delays, trickles). A test's clock that moves instead of waiting (test/testClock.js);
	 * null (default): real time.
	 */
	clock?: SimulatorClock | null;
}

export interface SimulatorClock {
	now(): number;
	sleep(ms: number): Promise<void>;
	/** Told that the simulator holds a request on purpose until `promise` settles (a delay, a hung answer). */
	hold?(promise: Promise<unknown>): void;
}

/** Resolved, mutable configuration (changes apply to later requests). */
export interface SimulatorConfig extends Required<Omit<SimulatorOptions, 'failingDevices' | 'licenses' | 'onRequest' | 'clock'>> {
	onRequest: SimulatorOptions['onRequest'];
	clock: SimulatorClock | null;
	licenses?: SimulatorOptions['licenses'];
	/** Mutable set of failing device ids. */
	failingDevices: Set<string>;
}

export interface RecordedRequest {
	seq: number;
	method: string;
	/** URL path without query string. */
	path: string;
	/** Route name, or null for unknown path / unsupported method. */
	route: RouteName | null;
	/** Header names lower-cased. */
	headers: Record<string, string | string[] | undefined>;
	/** Parsed JSON, form object (for x-www-form-urlencoded), raw string, or undefined when empty. */
	body: unknown;
	/** Filled in when answered; stays undefined if the connection was dropped. */
	status: number | undefined;
	/** The body answered (for an applied request whose answer was lost: the body it would have had). */
	answer?: unknown;
	/** The request was processed but its answer lost (inject {destroy, applied}). */
	applied?: boolean;
	/** Arrival time, ms since epoch (after any transit delay: when the rate limit counts it). */
	at: number;
}

export interface InjectRule {
	/** Route to match, or '*' for every request (including unknown paths). */
	route: RouteName | '*';
	/** HTTP status to answer with (required unless destroy, hang, delayMs or trickleMs). */
	status?: number;
	/** Sent as JSON. */
	body?: unknown;
	/** Sent as-is with content-type text/html (non-JSON bodies). Wins over body. */
	raw?: string;
	/** Extra response headers, e.g. {'Retry-After': '2'}. */
	headers?: Record<string, string>;
	/** How many matching requests to answer this way (default 1; Infinity allowed). */
	times?: number;
	/** Skip this many matching requests first (default 0). */
	after?: number;
	/** Destroy the socket without answering (simulates a lost response). */
	destroy?: boolean;
	/** With destroy: process the request first (it is applied), then lose the answer. */
	applied?: boolean;
	/** Never answer (a call that hangs until the client gives up or the simulator closes). */
	hang?: boolean;
	/**
	 * Answer with `status` and an error that quotes the request (a server that echoes requests): true or 'dump':
	 * method, path, headers and body in a JSON message; 'body': the raw body first (JSON-escaped by the answer's
	 * JSON); 'html': an error page quoting body, Authorization and session token HTML-escaped; 'wrapped': those
	 * three wrapped onto lines of 24 characters.
	 */
	echo?: boolean | 'dump' | 'body' | 'html' | 'wrapped';
	/** A response header (e.g. 'Retry-After') that repeats the request's session token, else its Authorization value. */
	echoInHeader?: string;
	/** Answer this many ms later; without a status of its own, with the normal answer. */
	delayMs?: number;
	/** Send the headers at once, then the body one byte every this many ms (a link that never idles out); without a status, the normal answer. */
	trickleMs?: number;
}

/** Requests held in transit: they arrive (and count for the rate limit) `ms` later. */
export interface DelayRule {
	route: RouteName | '*';
	ms: number;
	/** How many matching requests to hold (default 1; Infinity allowed). */
	times?: number;
	/** Skip this many matching requests first (default 0). */
	after?: number;
	/** Then hold every n-th matching request (default 1: each). */
	every?: number;
}

export interface CallbackRegistration {
	url: string;
	username: string;
	password: string;
}

export interface CallbackBody {
	username: string;
	password: string;
	requestId: string;
	deviceIds: Array<{ id: string; kind: string }>;
	deviceResponse?: Record<string, unknown>;
	faultResponse?: { faultcode: string; faultstring: string };
	status: 'Success' | 'Failed';
	callbackCount: number;
	maxCallbackThreshold: number;
}

export interface CallbackDelivery {
	url: string;
	body: CallbackBody;
	/** Listener's HTTP status, or 0 on connection error/timeout. */
	status: number;
	/** 1-based attempt number (equals body.callbackCount). */
	attempt: number;
	/** Milliseconds from sending to the listener's answer (or the error). */
	ms: number;
	/** Connection error message when status is 0. */
	error?: string;
}

export interface SimulatorState {
	licenses: Record<Sku, { purchased: number; assigned: number }>;
	/** deviceKey ('KIND:id' of the device's first identifier, e.g. 'IMEI:356938035641233') -> SKU. */
	assigned: Map<string, Sku>;
	/** serviceName -> registration (single account). */
	callbacks: Map<string, CallbackRegistration>;
	lockedUsers: Set<string>;
	/** username -> consecutive failed logins. */
	failedLogins: Map<string, number>;
	/** access_token -> {expiresAt} */
	tokens: Map<string, { expiresAt: number }>;
	/** appKey -> current access_token */
	currentToken: Map<string, string>;
	/** sessionToken -> {username, lastUsed} */
	sessions: Map<string, { username: string; lastUsed: number }>;
	/** The one session token every login answers with reuseSessionToken. */
	lastSessionToken?: string;
}

export interface Simulator {
	/** Base URL, e.g. 'http://127.0.0.1:43121' (no trailing slash). */
	readonly url: string;
	readonly port: number;
	readonly config: SimulatorConfig;
	readonly state: SimulatorState;
	/** Every request in arrival order (cleared by reset()). */
	readonly requests: RecordedRequest[];
	/** Every callback POST attempt the simulator made. */
	readonly callbacksDelivered: CallbackDelivery[];

	/** TCP connections opened since start (a client without keep-alive opens one per request). */
	connections(): number;
	/** Number of requests to a route (also counts injected and rejected ones). */
	count(route: RouteName): number;
	/** count('assign') + count('unassign') + count('subscriptions'). */
	licensingRequests(): number;
	/** device id -> times it appeared in an accepted (200) request of that operation. */
	devicesSent(op: 'assign' | 'unassign'): Map<string, number>;
	/** Peak concurrent in-flight requests, overall or for one route. */
	maxInFlight(route?: RouteName): number;
	/** Decides the fault of the n-th request of a route (1-based) from now on; undefined: none (then inject rules apply). Without plan: stop. */
	planFaults(route: RouteName, plan?: (n: number) => InjectRule | undefined): void;
	/** Fault injection; takes precedence over normal processing; injected answers never accept devices. */
	inject(rule: InjectRule): void;
	/** Holds matching requests in transit (a slow path or a stalled proxy); cleared by reset(). */
	delay(rule: DelayRule): void;
	/** All session tokens become expired (next use -> SessionToken.Expired). */
	expireSessions(): void;
	/** All OAuth tokens become invalid (next use -> 401 fault 900901; next token request issues a new one). */
	expireTokens(): void;
	/**
	 * Clears requests, counters, devicesSent, maxInFlight, inject and delay rules, callbacksDelivered and
	 * pending callback deliveries. With {all: true} also licences, assignments, callback
	 * registrations and login lockouts. OAuth tokens and sessions are kept either way.
	 */
	reset(opts?: { all?: boolean }): void;
	/** Callback messages not yet finished (waiting, queued, in flight or awaiting retry). */
	pendingCallbacks(): number;
	/** Resolves once callbacksDelivered.length >= n (attempts, any status); rejects on timeout (default 5000) or close. */
	waitForCallbacks(n: number, timeoutMs?: number): Promise<CallbackDelivery[]>;
	/** Resolves once no callback delivery is pending; rejects on timeout (default 5000). */
	callbacksSettled(timeoutMs?: number): Promise<CallbackDelivery[]>;
	/** Stops the server, all sockets, timers and pending deliveries. Idempotent. */
	close(): Promise<void>;
}

export function startSimulator(options?: SimulatorOptions): Promise<Simulator>;

export const DEFAULTS: Readonly<Required<Omit<SimulatorOptions, 'failingDevices' | 'licenses'>>>;
