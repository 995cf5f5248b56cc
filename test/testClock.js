'use strict';
// Test time (issue #20). A TestClock is the one clock of a test: the node's code reads it and sleeps on it
// (nodes/shared/clock.ts useClock), and so does the simulator (its rate-limit window, arrival stamps, token and
// session lifetimes, and every answer it holds back). It never waits for real time: it jumps to the earliest
// sleeper's wake, but only once nothing else can happen first: every HTTP request under way is one a simulator
// holds on purpose (a delay, a hung or trickled answer), the work already queued has run, and so has every short
// real timer due before that wake (n8n's own sleep(0) or Batching interval). So a 20 s login
// deadline, a 15-minute hold or a paced run of minutes takes milliseconds, and how busy this machine is changes
// nothing: an answer on its way always arrives before time moves on.
//
// Plain JavaScript: timers and Node's diagnostics channels are not for the TypeScript that n8n's linter checks.

const dc = require('diagnostics_channel');

/** The running test's clock. */
let current;

const REQUEST_START = 'http.client.request.start';

/** Turns of the event loop that must pass quiet before time moves. */
const CALM_TURNS = 4;

// Short real timers not yet run (n8n's sleep(0), its Batching interval, a library's setTimeout(fn)), each with
// the test time it is due at: time moves past that only after the timer ran, as it would for real. Tracked where
// they are set, so that a move need not wait out real timer turns when none is pending. Longer real timers (a
// waiter's timeout) are not waited for.
const SHORT_TIMER_MS = 100;
const shortTimers = new Map();
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
if (!realSetTimeout.watchesShortTimers) {
	const watched = function setTimeout(callback, ms, ...args) {
		const delay = Math.max(0, Number(ms) || 0);
		if (typeof callback !== 'function' || delay > SHORT_TIMER_MS) return realSetTimeout(callback, ms, ...args);
		const timer = realSetTimeout((...given) => {
			shortTimers.delete(timer);
			callback(...given);
		}, ms, ...args);
		// A timer cleared some other way (by its number) is given up a second after it should have run.
		shortTimers.set(timer, { due: (current ? current.at : -Infinity) + delay, realBy: Date.now() + delay + 1000 });
		return timer;
	};
	watched.watchesShortTimers = true;
	globalThis.setTimeout = watched;
	globalThis.clearTimeout = function clearTimeout(timer) {
		shortTimers.delete(timer);
		return realClearTimeout(timer);
	};
}

class TestClock {
	/** @param {number} [start] the time it shows first (ms since the epoch); by default the real time. */
	constructor(start = Date.now()) {
		this.at = start;
		/** Everything the code under test slept for, in all (overlapping sleeps add up). */
		this.slept = 0;
		this.sleepers = [];
		this.seq = 0;
		this.held = 0;
		this.inFlight = new Set();
		this.scheduled = false;
		this.calm = 0;
		this.stopped = false;
		this.onRequest = ({ request }) => this.track(request);
		dc.subscribe(REQUEST_START, this.onRequest);
	}

	now() {
		return this.at;
	}

	/** Resolves once the clock reaches now + ms (it moves there as soon as nothing else can happen). */
	sleep(ms) {
		const step = Math.max(0, Number(ms) || 0);
		this.slept += step;
		return new Promise((resolve) => {
			if (this.stopped) return; // the test is over: nothing wakes
			const sleeper = { wake: this.at + step, seq: ++this.seq, resolve };
			let i = this.sleepers.length;
			while (i > 0 && this.sleepers[i - 1].wake > sleeper.wake) i--;
			this.sleepers.splice(i, 0, sleeper);
			this.schedule('immediate');
		});
	}

	/** The test moves time on itself (time passing between runs, a clock that jumps); due sleepers wake. */
	advance(ms) {
		this.wakeUntil(this.at + ms);
	}

	/** A simulator holds a request on purpose until `promise` settles: time may move meanwhile. */
	hold(promise) {
		this.held++;
		const release = () => {
			this.held--;
			this.schedule(0);
		};
		promise.then(release, release);
	}

	/** The test is over: no more waking, no more watching requests. */
	stop() {
		this.stopped = true;
		dc.unsubscribe(REQUEST_START, this.onRequest);
		this.sleepers = [];
	}

	/** A client request of this process (the node's, through n8n's helpers): under way until it closes. */
	track(request) {
		if (this.stopped) return;
		this.inFlight.add(request);
		const done = () => {
			this.inFlight.delete(request);
			this.schedule(0);
		};
		// Every request closes in the end: answered, aborted or failed (an error listener would change what n8n sees).
		request.once('close', done);
	}

	quiet() {
		return this.inFlight.size === this.held;
	}

	schedule(when) {
		if (this.scheduled || this.stopped || this.sleepers.length === 0) return;
		this.scheduled = true;
		const run = () => {
			this.scheduled = false;
			this.pump();
		};
		if (when === 'immediate') setImmediate(run);
		else realSetTimeout(run, when);
	}

	pump() {
		if (this.stopped || this.sleepers.length === 0) return;
		if (!this.quiet()) {
			// Something is under way: look again in a moment (a request's close schedules a look too).
			this.calm = 0;
			return this.schedule(1);
		}
		// Quiet turns (immediates); a short real timer due before the next wake runs first.
		const timerFirst = [...shortTimers].some(([timer, { due, realBy }]) => {
			if (Date.now() <= realBy) return due <= this.sleepers[0].wake;
			shortTimers.delete(timer);
			return false;
		});
		if (this.calm < CALM_TURNS || timerFirst) {
			this.calm++;
			return this.schedule(timerFirst ? 1 : 'immediate');
		}
		this.calm = 0;
		this.wakeUntil(this.sleepers[0].wake);
		this.schedule('immediate');
	}

	wakeUntil(time) {
		this.at = Math.max(this.at, time);
		while (this.sleepers.length > 0 && this.sleepers[0].wake <= this.at) this.sleepers.shift().resolve();
	}
}

/** Starts the test's own clock (test/setup.ts does, through test/time.ts, before each test). */
function startTestTime(start) {
	stopTestTime();
	current = new TestClock(start);
	return current;
}

function stopTestTime() {
	current?.stop();
	current = undefined;
}

/** The clock of the running test; undefined when it runs in real time. */
function testClock() {
	return current;
}

module.exports = { TestClock, startTestTime, stopTestTime, testClock };
