import { rateLimitDelay } from '../../nodes/ThingSpaceSimSecure/helpers/transport';

describe('rateLimitDelay: waiting after a 429', () => {
	it('follows Retry-After in seconds or as an HTTP date', () => {
		expect(rateLimitDelay('5', 1)).toBe(5000);
		expect(rateLimitDelay('0', 3)).toBe(0);
		const now = Date.parse('2026-11-26T10:00:00Z');
		expect(rateLimitDelay('Thu, 26 Nov 2026 10:00:07 GMT', 1, now)).toBe(7000);
		expect(rateLimitDelay('Thu, 26 Nov 2026 09:00:00 GMT', 1, now)).toBe(0);
	});

	it('backs off exponentially with jitter, capped at 30 s, when there is no Retry-After', () => {
		for (let i = 0; i < 50; i++) {
			const first = rateLimitDelay(undefined, 1);
			expect(first).toBeGreaterThanOrEqual(750);
			expect(first).toBeLessThanOrEqual(1250);
			const third = rateLimitDelay('not a date', 3);
			expect(third).toBeGreaterThanOrEqual(3000);
			expect(third).toBeLessThanOrEqual(5000);
			expect(rateLimitDelay(undefined, 20)).toBeLessThanOrEqual(37500);
		}
	});
});
