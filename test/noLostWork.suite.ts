import { assignParams, imei, imeis, simulatorPerTest } from './fixtures';

const REFUSED = { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' };
const rows = (lists: string[][]) => lists.map((ids) => ({ json: { sims: ids.join(',') } }));
const sims = assignParams({ deviceList: '={{ $json.sims }}' });
// n8n's shortest wait between tries, in real time (0 would mean its default of 1 s).
const retry = { retryOnFail: true, maxTries: 3, waitBetweenTries: 1 };

describe('No work lost or doubled: Retry On Fail, a device named twice, a bad item in a batch', () => {
	const t = simulatorPerTest();
	const assigns = () => t.sim.requests.filter((request) => request.route === 'assign');
	const sentMoreThanOnce = () => [...t.sim.devicesSent('assign').values()].filter((times) => times > 1).length;

	it('Retry On Fail: the retry sends only the devices ThingSpace did not accept, and reports the others as already sent', async () => {
		// 3 items × 100 devices: the third request is refused once.
		t.sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 2 });
		const lists = [imeis(100, 0), imeis(100, 100), imeis(100, 200)];
		const result = await t.harness.run(sims, rows(lists), retry);

		expect(result.error).toBeUndefined();
		expect(assigns().map((request) => request.status)).toEqual([200, 200, 400, 200]);
		expect(sentMoreThanOnce()).toBe(0);
		expect(t.sim.devicesSent('assign').size).toBe(300);
		const [first, second, third] = result.items.map((item) => item.json as { requests: Array<{ alreadySent?: boolean; deviceCount: number }> });
		expect(first.requests).toEqual([expect.objectContaining({ alreadySent: true, deviceCount: 100 })]);
		expect(second.requests).toEqual([expect.objectContaining({ alreadySent: true, deviceCount: 100 })]);
		expect(third.requests).toEqual([expect.not.objectContaining({ alreadySent: true })]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('Retry On Fail with a Transaction ID: the retry is not refused as a reuse of its own ID, and its one request takes the ID as given', async () => {
		t.sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 2 });
		const ids = imeis(250, 400);
		const result = await t.harness.run(assignParams({ deviceList: ids.join(','), options: { transactionId: '1-777', maxConcurrentRequests: 1 } }), undefined, retry);

		expect(result.error).toBeUndefined();
		expect(assigns().map((request) => request.headers['x-request-id'])).toEqual(['1-777001', '1-777002', '1-777003', '1-777']);
		expect(sentMoreThanOnce()).toBe(0);
		expect((result.items[0].json.requestIds as string[]).length).toBe(3);
	});

	it('Retry On Fail: a try that stops before it sends still says what an earlier try had ThingSpace accept', async () => {
		t.sim.inject({ route: 'assign', status: 503, raw: 'Service Unavailable', after: 1 });
		t.sim.inject({ route: 'subscriptions', status: 503, raw: 'Service Unavailable', after: 1 });
		const ids = imeis(150, 900);
		const result = await t.harness.run(
			assignParams({ deviceList: ids.join(','), options: { checkAvailability: true, maxConcurrentRequests: 1 } }),
			undefined,
			{ ...retry, maxTries: 2 },
		);
		expect(assigns().map((request) => request.status)).toEqual([200, 503]);
		expect(result.error?.description).toMatch(/Check Availability First could not read the license counts/);
		expect(result.error?.description).toMatch(/Earlier in this execution \(an earlier try or batch of this node\): 100 devices accepted by ThingSpace in 1 requests \(do not send them again\): requestIds [0-9a-f-]{36}\./);
	});

	it('Retry On Fail: the last try\'s error lists the requestIds an earlier try had accepted', async () => {
		t.sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 1, times: 2 });
		const result = await t.harness.run(assignParams({ deviceList: imeis(150, 1100).join(','), options: { maxConcurrentRequests: 1 } }), undefined, {
			...retry,
			maxTries: 2,
		});
		expect(assigns().map((request) => request.status)).toEqual([200, 400, 400]);
		expect(result.error?.description).toMatch(/100 devices accepted by ThingSpace in 1 requests \(do not send them again\): requestIds [0-9a-f-]{36}\./);
	});

	it('Retry On Fail: devices an earlier try left in doubt stay in doubt when the next try is refused', async () => {
		t.sim.inject({ route: 'assign', status: 503, raw: 'Service Unavailable' });
		t.sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.Assigned', errorMessage: 'Device already licensed.' } });
		const result = await t.harness.run(assignParams({ deviceList: imeis(3, 1300).join(',') }), undefined, { ...retry, maxTries: 2 });
		expect(assigns().map((request) => request.status)).toEqual([503, 400]);
		expect(result.error?.description).toMatch(/An earlier send of this request got no clear answer/);
		expect(result.error?.description).toMatch(/3 devices in doubt/);
		expect(result.error?.description).not.toMatch(/refused by ThingSpace|Refused by ThingSpace/);
	});

	it('a device named by two items goes out once; both items get the requestId that carried it', async () => {
		const [a, b, c] = imeis(3, 600);
		const result = await t.harness.run(sims, rows([[a, b], [b, c]]));

		expect(result.error).toBeUndefined();
		expect(assigns()).toHaveLength(1);
		expect((assigns()[0].body as { devices: unknown[] }).devices).toHaveLength(3);
		expect(sentMoreThanOnce()).toBe(0);
		expect(result.items[0].json.requestIds).toEqual(result.items[1].json.requestIds);
		expect(result.items.map((item) => item.json.deviceCount)).toEqual([2, 2]);
	});

	it('a device named again in a later chunk or by an uncombined item still goes out once', async () => {
		const ids = imeis(150, 700);
		const result = await t.harness.run(
			assignParams({ deviceList: '={{ $json.sims }}', options: { combineItems: '={{ $itemIndex === 0 }}' } }),
			rows([ids, ids.slice(120)]),
		);
		expect(result.error).toBeUndefined();
		expect(t.sim.devicesSent('assign').size).toBe(150);
		expect(sentMoreThanOnce()).toBe(0);
		expect(assigns()).toHaveLength(2);
		// Item 1's devices all rode in item 0's second request.
		expect(result.items[1].json.requestIds).toEqual([(result.items[0].json.requestIds as string[])[1]]);
	});

	it('without Continue On Fail, a bad item means nothing is sent for any item, and the error names every bad item', async () => {
		const badCheckDigit = imei(800).slice(0, 14) + String((Number(imei(800)[14]) + 1) % 10);
		const result = await t.harness.run(sims, rows([[imei(801)], [badCheckDigit], [imei(802)], ['12345']]));

		expect(t.sim.count('assign')).toBe(0);
		expect(result.error?.message).toMatch(/^Items 1, 3 have bad input, so nothing was sent/);
		expect(result.error?.description).toContain('[item 1]');
		expect(result.error?.description).toContain('[item 3]');
		expect(result.error?.description).toMatch(/wrong check digit[\s\S]*has 5 digits/);
	});

	it('with Continue On Fail the good items of that batch still go out', async () => {
		const result = await t.harness.run(sims, rows([[imei(811)], ['12345'], [imei(812)]]), { continueOnFail: true });
		expect(t.sim.count('assign')).toBe(1);
		expect(t.sim.devicesSent('assign').size).toBe(2);
		expect(result.items.map((item) => (item.json as { error?: string }).error === undefined)).toEqual([true, false, true]);
	});

	it.each([
		['continueOnFail', { continueOnFail: true }, 'items'],
		['the error output', { onError: 'continueErrorOutput' as const }, 'errorItems'],
	] as const)('a partly applied item carries acceptedRequestIds and its devices by fate in $json (%s)', async (_label, settings, output) => {
		t.sim.inject({ route: 'assign', status: 400, body: REFUSED, after: 1 });
		const ids = imeis(250, 900);
		const result = await t.harness.run(assignParams({ deviceList: ids.join(','), options: { maxConcurrentRequests: 1 } }), undefined, settings);

		expect(result.items.length + result.errorItems.length).toBe(1);
		const [item] = result[output];
		expect(item.pairedItem).toEqual({ item: 0 });
		type Lists = { acceptedRequestIds: string[] } & Record<'devicesRefused' | 'devicesNotSent' | 'devicesInDoubt', Array<{ deviceIds: Array<{ id: string }> }>>;
		// Beside the error text on the regular output; inside `error` on the error output (n8n routes only {error} there).
		const json = item.json as { error: string | (Lists & { message: string }) } & Lists;
		const lists = typeof json.error === 'string' ? json : json.error;
		expect(typeof json.error === 'string' ? json.error : json.error.message).toMatch(/rejected the request as invalid/);
		expect(lists.acceptedRequestIds).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
		expect(lists.devicesRefused.map((device) => device.deviceIds[0].id)).toEqual(ids.slice(100, 200));
		expect(lists.devicesNotSent.map((device) => device.deviceIds[0].id)).toEqual(ids.slice(200));
		expect(lists.devicesInDoubt).toEqual([]);
	});

	it('"Execute Once": the node runs for the first item only, and sends it', async () => {
		const result = await t.harness.run(sims, rows([[imei(950)], [imei(951)], [imei(952)]]), { executeOnce: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect([...t.sim.devicesSent('assign').keys()]).toEqual([imei(950)]);
	});

	it('an item that n8n fails before it reaches the node (an expression error) means nothing is sent', async () => {
		const result = await t.harness.run(
			assignParams({ deviceList: '={{ $json.sims.split(",") }}' }),
			[{ json: { sims: imei(960) } }, { json: {} }, { json: { sims: imei(961) } }],
		);
		expect(result.error).toBeDefined();
		expect(t.sim.count('assign')).toBe(0);
	});
});
