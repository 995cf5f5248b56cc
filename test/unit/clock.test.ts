import { busyMeter, type LoopTimes } from '../../nodes/shared/clock';
import { RATE_LIMIT } from '../../nodes/shared/policy';

/** An event loop whose running and waiting the test states, at a time the test sets. */
function loop() {
	const state = { at: 0, times: { active: 0, idle: 0 } as LoopTimes };
	const meter = busyMeter(() => ({ ...state.times }), () => state.at);
	return {
		meter,
		/** `ms` pass, the loop running code (or waiting) all along. */
		pass(ms: number, running: boolean) {
			state.at += ms;
			if (running) state.times.active += ms;
			else state.times.idle += ms;
		},
	};
}

describe(`The busy share: how much of the last ${RATE_LIMIT.busyWindowMs} ms (or a little more) the event loop ran code`, () => {
	it('all of it while running code without a break, none of it after a window of waiting', () => {
		const { meter, pass } = loop();
		pass(30, true);
		expect(meter()).toBe(1);
		pass(RATE_LIMIT.busyWindowMs, false);
		// The busy 30 ms are out of the window.
		expect(meter()).toBe(0);
	});

	it('asked again within half a window, it looks back to the same sample: 20 ms running after 50 ms waiting reads 20 of 70', () => {
		const { meter, pass } = loop();
		pass(30, true);
		meter();
		pass(RATE_LIMIT.busyWindowMs, false);
		meter();
		pass(20, true);
		expect(meter()).toBeCloseTo(20 / 70);
	});

	it('no time passed: 0, not a division by nothing', () => {
		expect(loop().meter()).toBe(0);
	});
});
