import {
	checkDevices,
	DeviceInputError,
	devicesFromCollection,
	devicesFromList,
	luhnCheckDigit,
	luhnValid,
} from '../../nodes/ThingSpaceSimSecure/helpers/devices';

describe('devices: reading and checking device ids', () => {
	it('computes the Luhn check digit of known IMEI and ICCID examples', () => {
		// 49015420323751 is the classic IMEI example; its check digit is 8.
		expect(luhnCheckDigit('49015420323751')).toBe(8);
		expect(luhnValid('490154203237518')).toBe(true);
		expect(luhnValid('490154203237517')).toBe(false);
		expect(luhnValid('89148000004123456785')).toBe(luhnCheckDigit('8914800000412345678') === 5);
	});

	it('reads the UI collection as the editor stores it, normalising kind and spaces', () => {
		expect(
			devicesFromCollection({
				device: [{ deviceIds: { deviceId: [{ kind: 'imei', id: ' 490154203237518 ' }, { kind: 'ICCID', id: '89148000004123456785' }] } }],
			}),
		).toEqual([{ deviceIds: [{ id: '490154203237518', kind: 'IMEI' }, { id: '89148000004123456785', kind: 'ICCID' }] }]);
		expect(devicesFromCollection(undefined)).toEqual([]);
	});

	it('reads every documented list form, and JSON text of them', () => {
		const expected = [{ deviceIds: [{ id: '490154203237518', kind: 'IMEI' }] }];
		expect(devicesFromList(['490154203237518'], 'IMEI')).toEqual(expected);
		expect(devicesFromList([{ id: '490154203237518' }], 'IMEI')).toEqual(expected);
		expect(devicesFromList({ devices: expected }, 'ICCID')).toEqual(expected);
		expect(devicesFromList('["490154203237518"]', 'IMEI')).toEqual(expected);
		expect(devicesFromList('490154203237518;ICCID:89148000004123456785', 'IMEI')).toEqual([
			...expected,
			{ deviceIds: [{ id: '89148000004123456785', kind: 'ICCID' }] },
		]);
		expect(devicesFromList(490154203237518, 'IMEI')).toEqual(expected);
	});

	it('refuses input that cannot be devices', () => {
		expect(() => devicesFromList('[not json', 'IMEI')).toThrow(/looks like JSON/);
		expect(() => devicesFromList([true], 'IMEI')).toThrow(/Device 1 in Device List has no id/i);
		expect(() => devicesFromList(true, 'IMEI')).toThrow(DeviceInputError);
		expect(() => devicesFromList([Number('8914800000412345678')], 'ICCID')).toThrow(/lost digits/);
	});

	it('checks each rule, naming the device and identifier', () => {
		const one = (id: string, kind = 'IMEI') => [{ deviceIds: [{ id, kind }] }];
		const on = { checkDigits: true };
		expect(() => checkDevices([], on)).toThrow(/No devices given/);
		expect(() => checkDevices([{ deviceIds: [] }], on)).toThrow(/Device 1 has no identifier/);
		expect(() => checkDevices(one('49015420323751x'), on)).toThrow(/digits only/);
		expect(() => checkDevices(one('4901542032375'), on)).toThrow(/has 13 digits/);
		expect(() => checkDevices(one('490154203237517'), on)).toThrow(/should be 8/);
		expect(() => checkDevices(one('490154203237517'), { checkDigits: false })).not.toThrow();
		expect(() => checkDevices(one('12', 'MDN'), on)).toThrow(/MDN 12 has 2 digits/);
		expect(() => checkDevices(one('490154203237518', 'PHONE'), on)).toThrow(/not a ThingSpace identifier kind/);
		expect(() => checkDevices([...one('490154203237518'), { deviceIds: [{ id: '490154203237518', kind: 'IMEI' }] }], on)).toThrow(
			/Device 2, identifier 1: IMEI 490154203237518 is already listed as device 1/,
		);
		const many = Array.from({ length: 101 }, (_, i) => ({ id: String(1000 + i), kind: 'MDN' }));
		expect(() => checkDevices([{ deviceIds: many }], on)).toThrow(/Device 1 has 101 identifiers/);
	});
});
