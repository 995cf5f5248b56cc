import { assignParams, imei, imeis, simulatorPerTest } from './fixtures';

const badImei = (() => {
	const good = imei(3);
	return good.slice(0, 14) + String((Number(good[14]) + 1) % 10);
})();

const REFUSED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' };

/** The node as n8n's AI Agent runs it: the "…Tool" variant, devices filled in by the model. */
describe('As an AI Agent tool', () => {
	const t = simulatorPerTest();

	it('a bad IMEI is the tool\'s answer, with the rule and the hint, not a failed run; nothing is sent', async () => {
		const result = await t.harness.run(assignParams({ deviceList: badImei }), [{ json: {} }], { asTool: true });

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json.error).toMatch(/wrong check digit \(Luhn\)/);
		expect(result.items[0].json.description).toMatch(/Verify Check Digits/);
		expect(t.sim.count('assign')).toBe(0);

		// The same input outside a tool still stops the run.
		const plain = await t.harness.run(assignParams({ deviceList: badImei }));
		expect(plain.error?.message).toMatch(/wrong check digit \(Luhn\)/);
	});

	it('a good call answers with its requestIds', async () => {
		const ids = imeis(3, 40);
		const result = await t.harness.run(assignParams({ deviceList: ids.join(',') }), [{ json: {} }], { asTool: true });
		expect(result.items[0].json.requestIds).toHaveLength(1);
		expect(result.items[0].json.licensed).toBe(true);
		expect(t.sim.devicesSent('assign').size).toBe(3);
	});

	it('a licensing ThingSpace refused is marked licensed: false beside the readable error; a dry run too', async () => {
		t.sim.inject({ route: 'assign', status: 400, body: REFUSED });
		const refused = await t.harness.run(assignParams({ deviceList: imei(60) }), [{ json: {} }], { asTool: true });
		expect(refused.items[0].json).toEqual(expect.objectContaining({ licensed: false, error: expect.stringMatching(/rejected the request as invalid/) }));

		const dry = await t.harness.run(assignParams({ deviceList: imei(61), options: { dryRun: true } }), [{ json: {} }], { asTool: true });
		expect(dry.items[0].json.licensed).toBe(false);
	});

	it('a request refused after another was accepted: the answer lists the accepted requestId and each device by fate', async () => {
		t.sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 1 });
		const result = await t.harness.run(
			assignParams({ deviceList: imeis(150, 100).join(','), options: { maxConcurrentRequests: 1 } }),
			[{ json: {} }],
			{ asTool: true },
		);
		expect(result.error).toBeUndefined();
		const json = result.items[0].json as { error: string; acceptedRequestIds: string[]; devicesRefused: unknown[] };
		expect(json.error).toMatch(/rejected the request as invalid/);
		expect(json.acceptedRequestIds).toHaveLength(1);
		expect(result.items[0].json.licensed).toBe(false);
		expect(json.devicesRefused).toHaveLength(50);
	});
});
