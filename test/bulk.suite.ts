import type { Simulator } from './simulator/thingspace-simulator';
import type { Harness } from './harness';
import { assignParams, imeis, itemsOf, setUp } from './fixtures';

const pairedIndex = (item: { pairedItem?: unknown }) =>
	(Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem) as { item: number };

describe('Bulk: items combined into shared requests, bounded concurrency', () => {
	let sim: Simulator;
	let harness: Harness;

	afterEach(async () => {
		await sim.close();
	});

	it('1,000 items with one device each go out as 10 requests, with one login, each item paired to its request', async () => {
		({ sim, harness } = await setUp());
		const ids = imeis(1000);
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(ids));

		expect(result.error).toBeUndefined();
		expect(sim.count('assign')).toBe(10);
		expect(sim.count('token') + sim.count('login')).toBe(2);
		const sent = sim.devicesSent('assign');
		expect(ids.every((id) => sent.get(id) === 1)).toBe(true);
		expect(result.items).toHaveLength(1000);
		const requestIds = sim.requests.filter((request) => request.route === 'assign');
		expect(requestIds.map((request) => (request.body as { devices: unknown[] }).devices.length)).toEqual(Array(10).fill(100));
		// Compared as whole lists: a thousand expect calls cost more than the run.
		expect(result.items.map(pairedIndex)).toEqual(ids.map((_, index) => ({ item: index })));
		const firstDevices = result.items.map((item) => {
			const [request] = item.json.requests as Array<{ devices: Array<{ deviceIds: Array<{ id: string }> }> }>;
			return request.devices[0].deviceIds[0].id;
		});
		expect(firstDevices).toEqual(ids);
		expect(new Set(result.items.map((item) => (item.json.requestIds as string[])[0])).size).toBe(10);
	});

	it('mixed SKUs form one group per SKU, each request carrying one SKU', async () => {
		({ sim, harness } = await setUp());
		const ids = imeis(300);
		const skus = ['SIMSec-IoT', 'SIMSec-IoT-Lt', 'TSS-IOT-INTLG-TIERED-SIMSEC'];
		const items = ids.map((sims, index) => ({ json: { sims, sku: skus[index % 3] } }));
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}', skuNumber: '={{ $json.sku }}' }), items);

		expect(result.error).toBeUndefined();
		const assign = sim.requests.filter((request) => request.route === 'assign');
		expect(assign).toHaveLength(3);
		const bySku = assign.map((request) => request.body as { skuNumber: string; devices: Array<{ deviceIds: Array<{ id: string }> }> });
		expect(bySku.map((body) => body.skuNumber).sort()).toEqual([...skus].sort());
		for (const body of bySku) {
			const expected = ids.filter((_, index) => skus[index % 3] === body.skuNumber);
			expect(body.devices.map((device) => device.deviceIds[0].id)).toEqual(expected);
		}
	});

	it('a failed shared request fails exactly the items whose devices it carried', async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.UnexpectedError', errorMessage: 'Refused.' }, after: 1 });
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(imeis(250)), { continueOnFail: true });

		expect(result.items).toHaveLength(250);
		const failed = result.items.flatMap((item, index) => ((item.json as { error?: string }).error ? [index] : []));
		expect(failed).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
		expect(sim.count('assign')).toBe(3);
	});

	it('an item spread over two requests that fails in the first sends none of its later devices', async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'assign', status: 400, body: { errorCode: 'X', errorMessage: 'Refused.' } });
		// Item 0: 60 devices; item 1: 80 devices (40 in the first request, 40 in the second); item 2: 30 devices.
		const ids = imeis(170);
		const items = [ids.slice(0, 60), ids.slice(60, 140), ids.slice(140)].map((list) => ({ json: { sims: list } }));
		// One request at a time, so the second request starts after the first one failed.
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}', options: { maxConcurrentRequests: 1 } }), items, {
			continueOnFail: true,
		});

		expect(result.items.map((item) => (item.json as { error?: string }).error === undefined)).toEqual([false, false, true]);
		const sentIds = new Set(
			sim.requests
				.filter((request) => request.route === 'assign' && request.status === 200)
				.flatMap((request) => (request.body as { devices: Array<{ deviceIds: Array<{ id: string }> }> }).devices.map((device) => device.deviceIds[0].id)),
		);
		expect(ids.slice(100, 140).some((id) => sentIds.has(id))).toBe(false);
		expect(ids.slice(140).every((id) => sentIds.has(id))).toBe(true);
		expect(result.items[1].json.description).toContain('Not sent: 40 devices');
		expect(result.items[1].json.devicesNotSent).toHaveLength(40);
	});

	it.each([1, 3])('never has more than K=%i licensing requests in flight', async (k) => {
		({ sim, harness } = await setUp({ latencyMs: 30 }));
		const result = await harness.run(
			assignParams({ deviceList: '={{ $json.sims }}', options: { combineItems: false, maxConcurrentRequests: k } }),
			itemsOf(imeis(12)),
		);
		expect(result.error).toBeUndefined();
		expect(sim.count('assign')).toBe(12);
		expect(sim.maxInFlight('assign')).toBe(k);
	});

	it('a throttled combined run (429 with Retry-After, several times) finishes with every device sent once', async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'assign', status: 429, body: { errorCode: 'Throttled' }, headers: { 'Retry-After': '0' }, times: 4, after: 2 });
		const ids = imeis(500);
		const result = await harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), itemsOf(ids));

		expect(result.error).toBeUndefined();
		expect(sim.count('assign')).toBe(5 + 4);
		const sent = sim.devicesSent('assign');
		expect(ids.every((id) => sent.get(id) === 1)).toBe(true);
	});

	it('retries a 5xx only when "Retry on Server Errors" is on, and says the devices are in doubt otherwise', async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'assign', status: 503, raw: 'Service Unavailable' });
		const off = await harness.run(assignParams({ deviceList: imeis(2).join(',') }));
		expect(off.error?.message).toMatch(/HTTP 503/);
		expect(off.error?.description).toMatch(/In doubt \(ThingSpace may have applied them/);
		expect(sim.count('assign')).toBe(1);

		sim.inject({ route: 'assign', status: 503, raw: 'Service Unavailable' });
		const on = await harness.run(assignParams({ deviceList: imeis(2, 10).join(','), options: { retryServerErrors: true } }));
		expect(on.error).toBeUndefined();
		expect(sim.count('assign')).toBe(3);
	});

	it('devices whose first send got no clear answer stay in doubt, whatever the retry then meets', async () => {
		({ sim, harness } = await setUp());
		sim.inject({ route: 'assign', status: 502, raw: 'Bad Gateway' });
		sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.Assigned', errorMessage: 'Device already licensed.' } });
		const result = await harness.run(assignParams({ deviceList: imeis(2, 20).join(','), options: { retryServerErrors: true } }));
		expect(sim.count('assign')).toBe(2);
		expect(result.error?.message).toBe('ThingSpace rejected the request as invalid');
		expect(result.error?.description).toMatch(/An earlier send of this request got no clear answer/);
		expect(result.error?.description).toMatch(/In doubt \(ThingSpace may have applied them/);
		expect(result.error?.description).not.toMatch(/Refused by ThingSpace|No device is in doubt/);
	});
});
