/**
 * Every number and fixed fact of the ThingSpace client, defined once. Messages and the README
 * quote these; the simulator reads the SKUs from skus.json.
 */
import skus from './skus.json';

export const CREDENTIAL_TYPE = 'thingSpaceApi';

export const PRODUCTION_BASE_URL = 'https://thingspace.verizon.com';

export const PATHS = {
	clientCredentials: '/api/ts/v1/oauth2/token',
	login: '/api/m2m/v1/session/login',
	license: '/api/m2m/v1/devices/license/actions/assign',
	licenseCounts: '/api/m2m/v1/accounts/subscriptions/actions/list',
	callbacks: '/api/m2m/v1/callbacks',
} as const;

/** ThingSpace accepts at most 100 devices in one licensing request, and 100 ids per device. */
export const MAX_DEVICES_PER_REQUEST = 100;
export const MAX_IDS_PER_DEVICE = 100;

/** Extra attempts after a 5xx or lost connection, when the user allows them. */
export const MAX_SERVER_RETRIES = 2;

/** ThingSpace's rate window as the pace keeps it: a second and a margin. */
const WINDOW_MS = 1_030;

/** How one request lives with ThingSpace's rate limit (429). */
export const RATE_LIMIT = {
	/** Total wait for one request before the node gives up. */
	budgetMs: 120_000,
	/** Sends of one request at most, the first included. */
	maxAttempts: 8,
	/** No wait is shorter, whatever Retry-After says (0, negative, a past date, garbage). */
	minWaitMs: 1_000,
	/** Without Retry-After: 1 s, 2 s, 4 s … (±25 %), at most this. */
	maxBackoffMs: 30_000,
	/** The pace: at most `rate` calls arrive in any window this long (a second and a margin), each counted until a window after its answer. */
	windowMs: WINDOW_MS,
	/** A learned pace is kept this long for later runs of the same credential (a given rate: this long after a run last stated it). */
	keepLearnedMs: 10 * 60 * 1000,
	/**
	 * A later 429 that leaves the pace below firstPaceFloor (another worker of the cluster took most of the
	 * window, or the contract is that low) is kept only this long, then the rate is learned again: once the
	 * other worker is done, this one does not crawl for 10 minutes.
	 */
	keepThinPaceMs: 7_000,
	/**
	 * A rate learned again within a window of a thin pace's end, below twice firstPaceFloor, is kept only this long
	 * (also when a 429 lowers it), then learned once more: the window it counted may have held another worker's last calls.
	 */
	keepCrowdedPaceMs: 2 * WINDOW_MS,
	/** A pace of one call per window that ThingSpace still refused (another worker fills the contract) goes down to this, and no lower: it still finds out soon when there is room. */
	starvedPace: 0.5,
	/** A first 429 teaches no pace below this many calls per window, whatever the window before it showed (it may have been others' calls). */
	firstPaceFloor: 5,
	/** While no rate is known, calls start at least this far apart (100 a second), so that even when answers are instant the first 429 comes back before many more have gone. */
	unknownSpacingMs: 10,
	/**
	 * …and further apart while this process is busy more than this share of the time (other executions starting):
	 * it reads each answer late, so the calls it releases meanwhile all meet the 429 it has not read yet. At a
	 * busy share b above it, the spacing is (1 − this) ÷ (1 − b) times as far apart…
	 */
	busyShare: 0.75,
	/** …at most this many times. */
	maxBusySpacing: 20,
	/**
	 * …and for this long after it was that busy, one call unread at a time, while answers come sooner than this: a
	 * worker busy in bursts let 3 to 5 calls meet its first 429 between two of them (n8n 2.x queue mode).
	 */
	busyHoldMs: 300,
	/** The lowest Max Requests per Second taken (one request every 100 s): slower, one request would wait longer than budgetMs. */
	minGivenRate: 0.01,
	/** How busy the process is: the share of the last this many milliseconds (or a little more) it spent running code. */
	busyWindowMs: 50,
} as const;

/** How many licensing calls of a credential are in flight at once: measured (inFlight.ts), within these bounds. */
export const IN_FLIGHT = {
	/** Before any answer. */
	start: 4,
	/** Each accepted answer adds this many until ThingSpace first answers 429 (then one). */
	firstGrowth: 3,
	/** Never more, whatever the rate and answer time. */
	cap: 64,
	/** The fastest and typical answer times are taken from this many accepted answers. */
	recentAnswers: 20,
	/** An answer this many times slower than the fastest counts as answer times climbing. */
	climbFactor: 2,
} as const;

/** A login that ThingSpace refused is not repeated with the same password for this long (5 failures lock the account). */
export const FAILED_LOGIN_HOLD_MS = 15 * 60 * 1000;

/**
 * After this many refusals in a row of a username (whatever the passwords), a refused password is not sent again
 * at all until it changes: five in a row lock the account, whatever the time between them and the passwords tried
 * (a run every 15 minutes would lock it in an hour; a repeat of each wrong password would, after three of them).
 */
export const REFUSALS_HELD_FOR_GOOD = 2;

/** The token and login calls each give up after this (the whole answer, not only a silence); every caller waiting on that login is released. */
export const LOGIN_TIMEOUT_MS = 20_000;

/**
 * Logins one node run may start, whatever its number of items, requests and tries (Retry On Fail): the
 * first one and fresh ones after ThingSpace refused the session. When ThingSpace refuses every new
 * session, the run stops with an error that says so instead of logging in again and again.
 */
export const MAX_LOGINS_PER_RUN = 3;

/** How the processes of one n8n instance (main, workers) take turns to log in; see nodes/shared/loginRecord.ts. */
export const LOGIN_CLAIM = {
	/** A claim is read back this long after it was written, when reading and writing it took less… */
	minSettleMs: 200,
	/** …and this long otherwise. A claim whose reading and writing took this long or longer never leads to a login (see sessionLease.ts). */
	maxSettleMs: 2_000,
	/** A claim older than this is void: its process stopped or hung (both login calls, and a margin). */
	leaseMs: 2 * LOGIN_TIMEOUT_MS + 5_000,
	/** How often a process that waits for another's login reads the credential. */
	pollMs: 250,
} as const;

/** A licensing or listener call gives up after this (its devices are then in doubt). */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Server text quoted in an error is cut to this many characters. */
export const ERROR_TEXT_LIMIT = 300;

/**
 * Beyond what an error quotes, server text is searched for the credential's secrets this far, so that an echo
 * that starts inside the quote and ends after it is removed whole: this many characters of text per character
 * of the longest secret (its most escaped forms take 14, `&amp;amp;#x41;`), and never fewer than minChars.
 */
export const REDACT_REACH = { charsPerSecretChar: 16, minChars: 512 } as const;

/** Device lists in an error name this many devices, then "and N more". */
export const LISTED_DEVICES_LIMIT = 5;

export interface Sku {
	value: string;
	name: string;
	licenseType: string;
	removable: boolean;
	description: string;
}

export const SKUS: readonly Sku[] = skus;

/** Device identifier kinds that ThingSpace Connectivity Management documents. */
export const DEVICE_ID_KINDS = [
	'IMEI',
	'ICCID',
	'EID',
	'ESN',
	'IMSI',
	'MDN',
	'MEID',
	'MIN',
	'MSISDN',
];
