import { identityConflict } from '../nodes/ThingSpaceSimSecure/helpers/deviceIdentity';
import { assignParams, iccid, imei, simulatorPerTest } from './fixtures';

const device = (...ids: Array<[kind: string, id: string]>) => ({ deviceIds: ids.map(([kind, id]) => ({ kind, id })) });
const rows = (...devices: Array<ReturnType<typeof device>>) => devices.map((one) => ({ json: { devices: [one] } }));
const params = assignParams({ deviceList: '={{ $json.devices }}' });

describe('A device is all of its identifiers', () => {
	const t = simulatorPerTest();
	const sentIds = () => t.sim.requests.filter((request) => request.route === 'assign').flatMap((request) => (request.body as { devices: Array<{ deviceIds: Array<{ id: string }> }> }).devices.map((one) => one.deviceIds.map((id) => id.id).join('+')));

	it('two items sharing an IMEI with different ICCIDs: without Continue On Fail nothing is sent, and the error names both items and the IMEI', async () => {
		const result = await t.harness.run(params, rows(device(['ICCID', iccid(1)], ['IMEI', imei(1)]), device(['ICCID', iccid(2)], ['IMEI', imei(1)])));

		expect(t.sim.count('assign')).toBe(0);
		expect(result.error?.message).toContain(`shares IMEI ${imei(1)}`);
		expect(result.error?.message).toMatch(/of item 1 shares .* of item 0, but not its other identifiers \[item 1\]/);
		expect(result.error?.description).toMatch(/A device is all of its identifiers/);
	});

	it('with Continue On Fail the first device goes out and the second item fails: neither reports the other\'s requestId', async () => {
		const result = await t.harness.run(params, rows(device(['ICCID', iccid(3)], ['IMEI', imei(3)]), device(['ICCID', iccid(4)], ['IMEI', imei(3)])), {
			continueOnFail: true,
		});

		expect(sentIds()).toEqual([`${iccid(3)}+${imei(3)}`]);
		expect(result.items[0].json.requestIds).toHaveLength(1);
		expect(result.items[1].json.error).toMatch(new RegExp(`shares IMEI ${imei(3)}`));
		expect(result.items[1].json.requestIds).toBeUndefined();
	});

	it('the same identifiers in another order are the same device: sent once, both items get its requestId', async () => {
		const result = await t.harness.run(params, rows(device(['ICCID', iccid(5)], ['IMEI', imei(5)]), device(['IMEI', imei(5)], ['ICCID', iccid(5)])));

		expect(result.error).toBeUndefined();
		expect(sentIds()).toEqual([`${iccid(5)}+${imei(5)}`]);
		expect(result.items[1].json.requestIds).toEqual(result.items[0].json.requestIds);
	});

	it('a device with one identifier of another item\'s device is not that device: refused, not dropped', async () => {
		const result = await t.harness.run(params, rows(device(['ICCID', iccid(6)], ['IMEI', imei(6)]), device(['IMEI', imei(6)])), { continueOnFail: true });

		expect(sentIds()).toEqual([`${iccid(6)}+${imei(6)}`]);
		expect(result.items[1].json.error).toMatch(/but not its other identifiers/);
	});

	it('the Retry On Fail memory applies the same rule: a device accepted in an earlier try is "already sent" only when it is the same device', () => {
		const accepted = { device: device(['ICCID', iccid(7)], ['IMEI', imei(7)]), where: 'an earlier try of this node (requestId r-1)' };
		const lookup = (idKey: string) => (idKey === `IMEI:${imei(7)}` || idKey === `ICCID:${iccid(7)}` ? accepted : undefined);

		expect(identityConflict(device(['IMEI', imei(7)], ['ICCID', iccid(7)]), 'item 0', lookup)).toBeUndefined();
		expect(identityConflict(device(['ICCID', iccid(8)], ['IMEI', imei(7)]), 'item 0', lookup)).toMatch(
			/of item 0 shares IMEI \d+ with device .* of an earlier try of this node \(requestId r-1\)/,
		);
	});
});
