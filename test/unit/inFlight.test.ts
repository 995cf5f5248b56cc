import { InFlightBudget } from '../../nodes/shared/inFlight';
import { IN_FLIGHT, RATE_LIMIT } from '../../nodes/shared/policy';

/** The in-flight budget is plain arithmetic on what the answers showed: no clock, no n8n. */
function budgetAfter(answers: Array<[answerMs: number, status: number | undefined]>): InFlightBudget {
	const budget = new InFlightBudget();
	for (const [answerMs, status] of answers) budget.answered(answerMs, status);
	return budget;
}

const accepted = (count: number, answerMs = 300): Array<[number, number]> => Array.from({ length: count }, () => [answerMs, 200]);

describe('InFlightBudget: as many requests in flight as the rate and the answer time call for', () => {
	it(`starts at ${IN_FLIGHT.start} and grows with each accepted answer, up to ${IN_FLIGHT.cap}`, () => {
		expect(new InFlightBudget().limit(undefined)).toBe(IN_FLIGHT.start);
		expect(budgetAfter(accepted(3)).limit(undefined)).toBe(IN_FLIGHT.start + 3 * IN_FLIGHT.firstGrowth);
		expect(budgetAfter(accepted(500)).limit(undefined)).toBe(IN_FLIGHT.cap);
	});

	it('with a known rate, fills it at the typical answer time, plus one: 50 per window at 300 ms is 16', () => {
		const budget = budgetAfter(accepted(40));
		expect(budget.limit(50)).toBe(Math.ceil((50 * 300) / RATE_LIMIT.windowMs) + 1);
		expect(budget.limit(10)).toBe(4);
		// A second per answer needs more in flight for the same rate.
		expect(budgetAfter(accepted(40, 1000)).limit(10)).toBe(Math.ceil((10 * 1000) / RATE_LIMIT.windowMs) + 1);
	});

	it('halves on a 429, and grows by one per answer after it', () => {
		const before = budgetAfter(accepted(10)).limit(undefined);
		const budget = budgetAfter([...accepted(10), [300, 429]]);
		expect(budget.limit(undefined)).toBe(Math.floor(before / 2));
		budget.answered(300, 200);
		expect(budget.limit(undefined)).toBe(Math.floor(before / 2) + 1);
	});

	it('steps back when an answer takes more than twice the fastest', () => {
		const budget = budgetAfter(accepted(5));
		const before = budget.limit(undefined);
		budget.answered(300 * IN_FLIGHT.climbFactor + 1, 200);
		expect(budget.limit(undefined)).toBe(before - 1);
	});

	it('answers that were not accepted (5xx, none) neither grow nor time it', () => {
		const budget = budgetAfter([...accepted(2), [5, 503], [10, undefined]]);
		expect(budget.limit(undefined)).toBe(IN_FLIGHT.start + 2 * IN_FLIGHT.firstGrowth);
		expect(budget.fastestMs).toBe(300);
	});
});
