import { assignParams, collectionOf, iccid, imei, imeis, simulatorPerTest } from './fixtures';

describe('License: Assign and Unassign through n8n', () => {
	const t = simulatorPerTest();

	it('assigns one device given in the UI collection, with both auth headers and a transaction id', async () => {
		const result = await t.harness.run({
			resource: 'license',
			operation: 'assign',
			skuNumber: 'SIMSec-IoT',
			devices: collectionOf([{ kind: 'IMEI', id: imei(1) }]),
		});

		expect(result.error).toBeUndefined();
		const assign = t.sim.requests.filter((request) => request.route === 'assign');
		expect(assign).toHaveLength(1);
		expect(assign[0].method).toBe('POST');
		expect(assign[0].body).toEqual({
			accountName: '0000123456-00001',
			skuNumber: 'SIMSec-IoT',
			devices: [{ deviceIds: [{ id: imei(1), kind: 'IMEI' }] }],
		});
		expect(assign[0].headers.authorization).toMatch(/^Bearer \S+/);
		expect(assign[0].headers['vz-m2m-token']).toMatch(/^[0-9a-f-]{36}$/);
		expect(assign[0].headers['x-request-id']).toMatch(/^[0-9]-[0-9]{3,30}$/);
		expect(assign[0].status).toBe(200);

		expect(result.items).toHaveLength(1);
		const json = result.items[0].json;
		expect(json).toMatchObject({ operation: 'assign', skuNumber: 'SIMSec-IoT', deviceCount: 1, requestCount: 1 });
		expect(json.requestIds).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(t.sim.state.licenses['SIMSec-IoT'].assigned).toBe(1);
	});

	it('sends a device with two identifiers from the UI as one device', async () => {
		const result = await t.harness.run({
			resource: 'license',
			operation: 'assign',
			skuNumber: 'TS-BUNDLE-KTO-SIMSEC-MRC',
			devices: collectionOf([
				{ kind: 'IMEI', id: imei(2) },
				{ kind: 'ICCID', id: iccid(2) },
			]),
		});
		expect(result.error).toBeUndefined();
		const [assign] = t.sim.requests.filter((request) => request.route === 'assign');
		expect((assign.body as { devices: unknown[] }).devices).toEqual([
			{ deviceIds: [{ id: imei(2), kind: 'IMEI' }, { id: iccid(2), kind: 'ICCID' }] },
		]);
	});

	it.each([
		['an array of id strings', [imei(3), imei(4)]],
		['an array of {id, kind}', [{ id: imei(3), kind: 'imei' }, { id: imei(4), kind: 'IMEI' }]],
		['an array of device objects', [{ deviceIds: [{ id: imei(3), kind: 'IMEI' }] }, { deviceIds: [{ id: imei(4), kind: 'IMEI' }] }]],
		['a comma and newline separated string', `${imei(3)},\n ${imei(4)}\n`],
	])('assigns devices given by expression as %s', async (_label, list) => {
		const result = await t.harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), [{ json: { sims: list } }]);

		expect(result.error).toBeUndefined();
		const [assign] = t.sim.requests.filter((request) => request.route === 'assign');
		expect((assign.body as { devices: unknown[] }).devices).toEqual([
			{ deviceIds: [{ id: imei(3), kind: 'IMEI' }] },
			{ deviceIds: [{ id: imei(4), kind: 'IMEI' }] },
		]);
		expect(result.items[0].json.deviceCount).toBe(2);
	});

	it('unassigns with DELETE carrying the JSON body (account, SKU, devices)', async () => {
		await t.harness.run(assignParams({ deviceList: imeis(2).join(',') }));
		const result = await t.harness.run({
			resource: 'license',
			operation: 'unassign',
			skuNumber: 'SIMSec-IoT',
			deviceSource: 'list',
			deviceKind: 'IMEI',
			deviceList: imeis(2).join(','),
		});

		expect(result.error).toBeUndefined();
		const unassign = t.sim.requests.filter((request) => request.route === 'unassign');
		expect(unassign).toHaveLength(1);
		expect(unassign[0].method).toBe('DELETE');
		expect(unassign[0].headers['content-type']).toMatch(/application\/json/);
		expect(unassign[0].body).toEqual({
			accountName: '0000123456-00001',
			skuNumber: 'SIMSec-IoT',
			devices: imeis(2).map((id) => ({ deviceIds: [{ id, kind: 'IMEI' }] })),
		});
		expect(result.items[0].json).toMatchObject({ operation: 'unassign', deviceCount: 2 });
		expect(t.sim.state.licenses['SIMSec-IoT'].assigned).toBe(0);
	});

	it('refuses to unassign a Lifetime SKU given by expression, sending nothing', async () => {
		const result = await t.harness.run({
			resource: 'license',
			operation: 'unassign',
			skuNumber: '={{ "SIMSec-IoT-Lt" }}',
			deviceSource: 'list',
			deviceList: imei(5),
		});

		expect(result.error?.message).toMatch(/Lifetime.*cannot be unassigned/);
		expect(result.error?.description).toMatch(/Nothing was sent/);
		expect(t.sim.requests).toHaveLength(0);
	});

	it('sends 250 devices as 3 requests of 100, 100 and 50 with one login, and lists them all', async () => {
		const ids = imeis(250);
		const result = await t.harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), [{ json: { sims: ids } }]);

		expect(result.error).toBeUndefined();
		const assign = t.sim.requests.filter((request) => request.route === 'assign');
		expect(assign.map((request) => (request.body as { devices: unknown[] }).devices.length)).toEqual([100, 100, 50]);
		expect(new Set(assign.map((request) => request.headers['x-request-id'])).size).toBe(3);
		expect(t.sim.count('token')).toBe(1);
		expect(t.sim.count('login')).toBe(1);
		const sent = t.sim.devicesSent('assign');
		expect(ids.every((id) => sent.get(id) === 1)).toBe(true);

		const json = result.items[0].json as { requests: Array<{ requestId: string; devices: Array<{ deviceIds: Array<{ id: string }> }> }> };
		expect(json.requests).toHaveLength(3);
		expect(json.requests.flatMap((request) => request.devices.map((device) => device.deviceIds[0].id))).toEqual(ids);
		expect(new Set(json.requests.map((request) => request.requestId)).size).toBe(3);
	});

	it('sends 10,000 devices in one item as 100 requests of 100, with 1 token call and 1 login', async () => {
		const ids = imeis(10000);
		const result = await t.harness.run(assignParams({ deviceList: '={{ $json.sims }}' }), [{ json: { sims: ids } }]);

		expect(result.error).toBeUndefined();
		expect(t.sim.count('assign')).toBe(100);
		expect(t.sim.count('token') + t.sim.count('login')).toBe(2);
		const sent = t.sim.devicesSent('assign');
		expect(sent.size).toBe(10000);
		expect([...sent.values()].every((times) => times === 1)).toBe(true);
		expect(result.items[0].json.requestCount).toBe(100);
	});

	it('uses a given Transaction ID, numbered when the devices need several requests', async () => {
		await t.harness.run(assignParams({ deviceList: imeis(150).join(','), options: { transactionId: '1-2025011400' } }));
		const assign = t.sim.requests.filter((request) => request.route === 'assign');
		expect(assign.map((request) => request.headers['x-request-id'])).toEqual(['1-2025011400001', '1-2025011400002']);
	});

	it('refuses a given Transaction ID that another item of the run already used', async () => {
		const result = await t.harness.run(
			assignParams({ deviceList: '={{ $json.sims }}', options: { transactionId: '1-555' } }),
			[{ json: { sims: imei(1) } }, { json: { sims: imei(2) } }],
			{ continueOnFail: true },
		);
		const errors = result.items.map((item) => (item.json as { error?: string }).error);
		expect(errors.filter((error) => error === undefined)).toHaveLength(1);
		expect(errors.find(Boolean)).toMatch(/Transaction ID "1-555" is already used by another item of this run/);
		expect(t.sim.requests.filter((request) => request.route === 'assign').map((request) => request.headers['x-request-id'])).toEqual(['1-555']);
	});

	it('refuses a Transaction ID outside the documented pattern, sending nothing', async () => {
		const result = await t.harness.run(assignParams({ deviceList: imei(1), options: { transactionId: 'abc' } }));
		expect(result.error?.message).toMatch(/Transaction ID "abc" does not match/);
		expect(t.sim.requests).toHaveLength(0);
	});
});
