import { assignParams, imeis, simulatorPerTest } from './fixtures';

const REFUSED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' };
const acceptedIds = (requests: Array<{ route: string | null; status?: number; answer?: unknown }>) =>
	requests.filter((request) => request.route === 'assign' && request.status === 200).map((request) => (request.answer as { requestId: string }).requestId);

describe('A run that stops says everything it had already applied', () => {
	const t = simulatorPerTest({ licenses: { 'SIMSec-IoT': 100000 } });

	it('without Continue On Fail, the error lists every accepted requestId of the run (all items) and counts the devices by fate', async () => {
		// 40 items × 75 devices: 30 requests of 100 that span items. The 5th is refused, the 9th applied with its answer lost.
		t.sim.planFaults('assign', (n) => (n === 5 ? { route: 'assign', status: 400, body: REFUSED } : n === 9 ? { route: 'assign', destroy: true, applied: true } : undefined));
		const items = Array.from({ length: 40 }, (_, i) => ({ json: { sims: imeis(75, i * 75).join(',') } }));
		const result = await t.harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), items);

		const accepted = acceptedIds(t.sim.requests);
		expect(accepted).toHaveLength(28);
		expect(result.error).toBeDefined();
		const description = String(result.error?.description);
		for (const requestId of accepted) expect(description).toContain(requestId);
		expect(description).toContain('2800 devices accepted by ThingSpace in 28 requests');
		expect(description).toMatch(/100 devices in doubt \(ThingSpace may have applied them/);
		expect(description).toMatch(/100 devices refused by ThingSpace/);
	});

	it('Check Availability First: a count that is not a number is an error that says what came back; nothing is sent', async () => {
		const sim = t.sim;
		sim.inject({
			route: 'subscriptions',
			status: 200,
			body: { accountName: '0000123456-00001', subscriptionList: [{ skuNumber: 'SIMSec-IoT', licenseAvailable: 'N/A' }] },
		});
		const result = await t.harness.run(assignParams({ deviceList: imeis(10).join(','), options: { checkAvailability: true } }));

		expect(result.error?.message).toBe('Check Availability First could not read the license count of SIMSec-IoT: licenseAvailable was "N/A"');
		expect(sim.count('assign')).toBe(0);
	});
});
