import {
	ERROR_TEXT_LIMIT,
	FAILED_LOGIN_HOLD_MS,
	LISTED_DEVICES_LIMIT,
	LOGIN_CLAIM,
	LOGIN_TIMEOUT_MS,
	MAX_DEVICES_PER_REQUEST,
	RATE_LIMIT,
	REQUEST_TIMEOUT_MS,
	SKUS,
} from '../../nodes/shared/policy';
import { README as readme } from '../readme';

/** The README quotes the policy: each figure it states must be the one the code uses. */
describe('README states the policy the code applies', () => {
	it('lists every SKU once, with whether it can be unassigned', () => {
		for (const sku of SKUS) {
			const rows = readme.split('\n').filter((line) => line.startsWith(`| \`${sku.value}\` |`));
			expect(rows).toHaveLength(1);
			expect(rows[0].trim().endsWith(sku.removable ? '| yes |' : '| no |')).toBe(true);
		}
		expect(readme.split('\n').filter((line) => /^\| `[A-Za-z-]+` \| .* \| (yes|no) \|$/.test(line))).toHaveLength(SKUS.length);
	});

	it.each([
		[`never sooner than ${RATE_LIMIT.minWaitMs / 1000} s`],
		[`sent ${RATE_LIMIT.maxAttempts} times at most`],
		[`waits ${RATE_LIMIT.budgetMs / 60000} minutes at most in all`],
		[`at most ${RATE_LIMIT.maxBackoffMs / 1000} s)`],
		[`give up after ${LOGIN_TIMEOUT_MS / 1000} seconds`],
		[`gives up after ${REQUEST_TIMEOUT_MS / 1000} seconds`],
		[`again for ${FAILED_LOGIN_HOLD_MS / 60000} minutes`],
		[`from ${LOGIN_CLAIM.minSettleMs / 1000} s to ${LOGIN_CLAIM.maxSettleMs / 1000} s`],
		[`void after ${LOGIN_CLAIM.leaseMs / 1000} seconds`],
		[`requests of at most ${MAX_DEVICES_PER_REQUEST}`],
		[`cut to ${ERROR_TEXT_LIMIT} characters`],
		[`the first ${LISTED_DEVICES_LIMIT} devices`],
		[`at most that many in any ${RATE_LIMIT.windowMs / 1000} s`],
		[`for ${RATE_LIMIT.keepLearnedMs / 60000} minutes`],
	])('says "%s"', (text) => {
		expect(readme).toContain(text);
	});
});
