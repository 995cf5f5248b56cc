import {
	ERROR_TEXT_LIMIT,
	FAILED_LOGIN_HOLD_MS,
	IN_FLIGHT,
	LISTED_DEVICES_LIMIT,
	LOGIN_CLAIM,
	LOGIN_TIMEOUT_MS,
	MAX_DEVICES_PER_REQUEST,
	MAX_SERVER_RETRIES,
	RATE_LIMIT,
	REDACT_REACH,
	REFUSALS_HELD_FOR_GOOD,
	REQUEST_TIMEOUT_MS,
	SKUS,
} from '../../nodes/shared/policy';
import { DEDUPE_MAX_KEYS } from '../../nodes/ThingSpaceSimSecureTrigger/deliveries';
import { DOCS, README as readme, doc } from '../readme';

/** A figure as the docs write it: 50,000 and 0.2. */
const written = (value: number) => value.toLocaleString('en-US');

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A phrase of the docs with its figures as "#": matches the phrase whatever figures it states. */
const phrase = (template: string) => new RegExp(template.split('#').map(escape).join(String.raw`(\d+(?:,\d{3})*(?:\.\d+)?)`), 'g');

/**
 * Each figure, the file that states it, and the code's value. A figure moved to another file moves here too.
 * The phrase must be in that file, and wherever the README or docs/ say it, with the code's figure.
 */
const FIGURES: Array<[file: string, template: string, values: number[]]> = [
	['README.md', 'requests of at most #', [MAX_DEVICES_PER_REQUEST]],
	['README.md', 'give up after # seconds', [LOGIN_TIMEOUT_MS / 1000]],
	['README.md', 'again for # minutes', [FAILED_LOGIN_HOLD_MS / 60000]],
	['docs/design.md', 'So after # refusals in a row of the username, a refused password is held until it changes', [REFUSALS_HELD_FOR_GOOD]],
	['README.md', 'the first # devices', [LISTED_DEVICES_LIMIT]],
	['README.md', 'answer times call for, up to # per credential', [IN_FLIGHT.cap]],
	['docs/design.md', 'starts at # calls in flight, never more than #', [IN_FLIGHT.start, IN_FLIGHT.cap]],
	['docs/design.md', 'by # until ThingSpace first answers 429', [IN_FLIGHT.firstGrowth]],
	['docs/design.md', 'never closer than # ms', [RATE_LIMIT.unknownSpacingMs]],
	['docs/design.md', 'more than # % of the last # ms running code', [RATE_LIMIT.busyShare * 100, RATE_LIMIT.busyWindowMs]],
	['docs/design.md', '(1 − #) ÷ (1 − the busy share) times as far, at most # times', [RATE_LIMIT.busyShare, RATE_LIMIT.maxBusySpacing]],
	['docs/design.md', 'for # ms after it was last that busy, while answers come sooner', [RATE_LIMIT.busyHoldMs]],
	['README.md', 'up to # more times', [MAX_SERVER_RETRIES]],
	['README.md', 'at most # messages per node', [DEDUPE_MAX_KEYS]],
	['docs/behaviour.md', 'never sooner than # s', [RATE_LIMIT.minWaitMs / 1000]],
	['docs/behaviour.md', 'sent # times at most', [RATE_LIMIT.maxAttempts]],
	['docs/behaviour.md', 'waits # minutes at most in all', [RATE_LIMIT.budgetMs / 60000]],
	['docs/behaviour.md', 'allows fewer than # calls per second', [RATE_LIMIT.firstPaceFloor]],
	['docs/design.md', 'a contract below # calls per second with a single', [RATE_LIMIT.firstPaceFloor]],
	['docs/behaviour.md', 'at most # s)', [RATE_LIMIT.maxBackoffMs / 1000]],
	['docs/behaviour.md', 'in the same n8n process for # minutes', [RATE_LIMIT.keepLearnedMs / 60000]],
	['docs/behaviour.md', 'gives up after # seconds', [REQUEST_TIMEOUT_MS / 1000]],
	['docs/behaviour.md', 'cut to # characters', [ERROR_TEXT_LIMIT]],
	['docs/design.md', 'from # s to # s', [LOGIN_CLAIM.minSettleMs / 1000, LOGIN_CLAIM.maxSettleMs / 1000]],
	['docs/design.md', 's to # s: # s when reading and writing the claim took less', [LOGIN_CLAIM.maxSettleMs / 1000, LOGIN_CLAIM.minSettleMs / 1000]],
	['docs/design.md', 'void after # seconds', [LOGIN_CLAIM.leaseMs / 1000]],
	['docs/design.md', 'A read that alone took # s or more is not claimed from', [LOGIN_CLAIM.maxSettleMs / 1000]],
	['docs/design.md', 'watches the store for # s before it reports the refusal (every # s)', [(2 * LOGIN_CLAIM.maxSettleMs) / 1000, LOGIN_CLAIM.pollMs / 1000]],
	['docs/design.md', 'at most that many in any # s', [RATE_LIMIT.windowMs / 1000]],
	['docs/design.md', 'below # calls per window', [RATE_LIMIT.firstPaceFloor]],
	['docs/design.md', 'leaves below # (another worker', [RATE_LIMIT.firstPaceFloor]],
	['docs/design.md', 'that low) lasts only # s', [RATE_LIMIT.keepThinPaceMs / 1000]],
	['docs/design.md', 'such a pace lasts only # s', [RATE_LIMIT.keepThinPaceMs / 1000]],
	['docs/design.md', 'it is kept only # s (two windows)', [RATE_LIMIT.keepCrowdedPaceMs / 1000]],
	['docs/design.md', 'forgotten # minutes after', [RATE_LIMIT.keepLearnedMs / 60000]],
	['docs/design.md', '429s, kept # minutes', [RATE_LIMIT.keepLearnedMs / 60000]],
	['docs/design.md', '# characters of text per character of the longest secret (its most escaped forms take 14), at least #, beyond what an error quotes (# characters)', [REDACT_REACH.charsPerSecretChar, REDACT_REACH.minChars, ERROR_TEXT_LIMIT]],
	['docs/design.md', 'in the last hour, at most #', [DEDUPE_MAX_KEYS]],
	['docs/benchmarks.md', 'claim pause (# s here', [LOGIN_CLAIM.minSettleMs / 1000]],
];

/** The README and docs/ quote the policy: each figure they state must be the one the code uses. */
describe('README and docs/ state the policy the code applies', () => {
	it('lists every SKU once in the README, with whether it can be unassigned', () => {
		for (const sku of SKUS) {
			const rows = readme.split('\n').filter((line) => line.startsWith(`| \`${sku.value}\` |`));
			expect(rows).toHaveLength(1);
			expect(rows[0].trim().endsWith(sku.removable ? '| yes |' : '| no |')).toBe(true);
		}
		expect(readme.split('\n').filter((line) => /^\| `[A-Za-z-]+` \| .* \| (yes|no) \|$/.test(line))).toHaveLength(SKUS.length);
	});

	it.each(FIGURES.map(([file, template, values]) => {
		let index = 0;
		return [file, template.replace(/#/g, () => written(values[index++])), template, values] as const;
	}))('%s says "%s"', (file, _text, template, values) => {
		const stated = DOCS.flatMap((name) => [...doc(name).matchAll(phrase(template))].map((match) => ({ name, figures: match.slice(1) })));
		expect(stated.filter(({ name }) => name === file)).not.toHaveLength(0);
		for (const { name, figures } of stated) expect({ name, figures }).toEqual({ name, figures: values.map(written) });
	});
});
