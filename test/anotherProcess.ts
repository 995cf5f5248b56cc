import type * as HarnessModule from './harness';
import type { Harness } from './harness';
import { clockOfTest } from './time';

/**
 * Another process of the same n8n instance (a worker in queue mode): its own copy of every module (its memory:
 * sessions in flight, paces), the credential's row in n8n's database shared with `of`. Time passes alike for
 * all of them: each keeps the test's clock.
 */
export async function anotherProcess(of: Harness): Promise<Harness> {
	let loaded: typeof HarnessModule | undefined;
	await jest.isolateModulesAsync(async () => {
		loaded = await import('./harness');
	});
	const harness = new (loaded as typeof HarnessModule).Harness({});
	harness.credentials.store = of.credentials.store;
	harness.useClock(clockOfTest());
	return harness;
}
