import type { InjectRule, RecordedRequest } from './simulator/thingspace-simulator';
import { assignParams, imeis, simulatorPerTest } from './fixtures';

/** A small seeded generator (mulberry32): the same seed, the same faults. */
function seeded(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const REFUSED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' };
const EXPIRED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired', errorMessage: 'The Session has expired.' };

/** Random faults for the n-th assign: 429, 503, an expired session (twice at most), 400, an applied request whose answer is lost. */
function randomFaults(seed: number): (n: number) => InjectRule | undefined {
	const random = seeded(seed);
	let expiries = 0;
	return () => {
		const r = random();
		if (r < 0.08) return { route: 'assign', status: 429, body: { errorCode: 'Throttled' }, headers: { 'Retry-After': '1' } };
		if (r < 0.14) return { route: 'assign', status: 503, raw: '<html>Service Unavailable</html>' };
		if (r < 0.18 && expiries++ < 2) return { route: 'assign', status: 401, body: EXPIRED };
		if (r < 0.26) return { route: 'assign', status: 400, body: REFUSED };
		if (r < 0.3) return { route: 'assign', destroy: true, applied: true };
		return undefined;
	};
}

type Device = { deviceIds: Array<{ id: string }> };
const idOf = (device: Device) => device.deviceIds[0].id;
const devicesOf = (request: RecordedRequest) => (request.body as { devices: Device[] }).devices.map(idOf);

/** What ThingSpace did with each licensing request, by its last send (a 429 or a refused session is sent again). */
function finalSends(requests: RecordedRequest[]): RecordedRequest[] {
	const last = new Map<string, RecordedRequest>();
	for (const request of requests) if (request.route === 'assign') last.set(String(request.headers['x-request-id']), request);
	return [...last.values()];
}

const fateOfSend = (request: RecordedRequest) =>
	request.status === 200 ? 'accepted' : request.status === undefined || request.status >= 500 ? 'inDoubt' : 'refused';

describe('Property: a long bulk run through random faults accounts for every device', () => {
	const t = simulatorPerTest();
	// 40 items × 75 devices: 30 requests of 100 that span items.
	const lists = Array.from({ length: 40 }, (_, i) => imeis(75, i * 75));
	const items = lists.map((ids) => ({ json: { sims: ids.join(',') } }));
	const params = assignParams({ deviceList: '={{ $json.sims }}' });

	const applied = () => {
		// Applied: answered 200, or processed with the answer lost.
		const byRequestId = new Map<string, Set<string>>();
		for (const request of t.sim.requests) {
			if (request.route !== 'assign' || !(request.status === 200 || request.applied)) continue;
			byRequestId.set((request.answer as { requestId: string }).requestId, new Set(devicesOf(request)));
		}
		return byRequestId;
	};

	it.each([1, 2, 3, 4, 5])('with Continue On Fail (seed %i): every device in exactly one fate, accepted ones with the requestId that carried them', async (seed) => {
		t.sim.planFaults('assign', randomFaults(seed));
		const result = await t.harness.run(params, items, { continueOnFail: true });

		expect([...t.sim.devicesSent('assign').values()].every((times) => times === 1)).toBe(true);
		const carried = applied();
		expect(result.items).toHaveLength(40);
		// Every device of every item checked; what is wrong is collected and compared once (thousands of expect calls cost seconds).
		const wrong: string[] = [];
		result.items.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			const json = item.json as {
				requests?: Array<{ requestId: string; devices: Device[] }>;
				acceptedRequestIds?: string[];
				devicesInDoubt?: Device[];
				devicesRefused?: Device[];
				devicesNotSent?: Device[];
				error?: string;
			};
			const fates = new Map<string, string>();
			const mark = (id: string, fate: string) => {
				if (fates.has(id)) wrong.push(`item ${index}: ${id} both ${fates.get(id)} and ${fate}`);
				fates.set(id, fate);
			};
			// A successful item lists its requests; a partly applied one its accepted requestIds and devices by fate.
			const accepted = json.requests ?? [];
			for (const request of accepted) for (const device of request.devices) {
				mark(idOf(device), 'accepted');
				if (!carried.get(request.requestId)?.has(idOf(device))) wrong.push(`item ${index}: ${idOf(device)} not carried by ${request.requestId}`);
			}
			for (const device of json.devicesInDoubt ?? []) mark(idOf(device), 'inDoubt');
			for (const device of json.devicesRefused ?? []) mark(idOf(device), 'refused');
			for (const device of json.devicesNotSent ?? []) mark(idOf(device), 'notSent');
			if (json.error === undefined && ![...fates.values()].every((fate) => fate === 'accepted')) wrong.push(`item ${index}: no error, yet not every device accepted`);
			expect([...fates.keys()].sort()).toEqual([...lists[index]].sort());
		});
		expect(wrong).toEqual([]);
	});

	it.each([1, 2, 3, 4, 5])('without Continue On Fail (seed %i): a stopped run names every accepted requestId and counts the rest', async (seed) => {
		t.sim.planFaults('assign', randomFaults(seed));
		const result = await t.harness.run(params, items);

		expect([...t.sim.devicesSent('assign').values()].every((times) => times === 1)).toBe(true);
		const sends = finalSends(t.sim.requests);
		const count = (fate: string) => sends.filter((request) => fateOfSend(request) === fate).reduce((sum, request) => sum + devicesOf(request).length, 0);
		if (sends.every((request) => request.status === 200)) {
			expect(result.error).toBeUndefined();
			return;
		}
		const description = String(result.error?.description);
		for (const request of sends.filter((send) => send.status === 200)) expect(description).toContain((request.answer as { requestId: string }).requestId);
		expect(description).toContain(count('accepted') === 0 ? 'no request was accepted' : `${count('accepted')} devices accepted by ThingSpace`);
		expect(description).toContain(count('inDoubt') === 0 ? 'No device is in doubt' : `${count('inDoubt')} devices in doubt`);
		if (count('refused') > 0) expect(description).toContain(`${count('refused')} devices refused by ThingSpace`);
	});
});
