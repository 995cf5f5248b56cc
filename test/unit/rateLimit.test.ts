import { rateLimitDelay } from '../../nodes/shared/client';
import { RATE_LIMIT } from '../../nodes/shared/policy';

describe('rateLimitDelay: waiting after a 429', () => {
	it('follows Retry-After in seconds or as an HTTP date', () => {
		expect(rateLimitDelay('5', 1)).toBe(5000);
		const now = Date.parse('2026-11-26T10:00:00Z');
		expect(rateLimitDelay('Thu, 26 Nov 2026 10:00:07 GMT', 1, now)).toBe(7000);
	});

	it('never waits less than the minimum, whatever Retry-After says (0, negative, past date, tiny, garbage)', () => {
		const now = Date.parse('2026-11-26T10:00:00Z');
		for (const odd of ['0', '-5', '0.0001', 'Thu, 26 Nov 2026 09:00:00 GMT', '1e-9', 'NaN', '-Infinity']) {
			expect(rateLimitDelay(odd, 1, now)).toBeGreaterThanOrEqual(RATE_LIMIT.minWaitMs);
		}
		expect(RATE_LIMIT.minWaitMs).toBe(1000);
	});

	it('backs off exponentially with jitter, capped at 30 s, when there is no Retry-After', () => {
		for (let i = 0; i < 50; i++) {
			const first = rateLimitDelay(undefined, 1);
			expect(first).toBeGreaterThanOrEqual(1000);
			expect(first).toBeLessThanOrEqual(1250);
			const third = rateLimitDelay('not a date', 3);
			expect(third).toBeGreaterThanOrEqual(3000);
			expect(third).toBeLessThanOrEqual(5000);
			expect(rateLimitDelay(undefined, 20)).toBeLessThanOrEqual(37500);
		}
	});
});
