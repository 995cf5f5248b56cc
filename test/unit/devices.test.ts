import { checkDevices, luhnCheckDigit, luhnValid } from '../../nodes/ThingSpaceSimSecure/helpers/deviceChecks';
import { DeviceInputError, devicesFromCollection, devicesFromList } from '../../nodes/ThingSpaceSimSecure/helpers/deviceInput';

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

	it('splits text on commas, semicolons and new lines only: spaces belong to the entry', () => {
		expect(devicesFromList('312 555 1234;(312) 555-1235\n+1 312 555 1236', 'MDN').map((device) => device.deviceIds[0].id)).toEqual([
			'312 555 1234',
			'(312) 555-1235',
			'+1 312 555 1236',
		]);
		expect(devicesFromList('ICCID: 89148000004123456785', 'IMEI')).toEqual([{ deviceIds: [{ id: '89148000004123456785', kind: 'ICCID' }] }]);
	});

	it('normalises MDN and MSISDN from the common formats, and refuses what is not a number', () => {
		const as = (id: string, kind: string) => checkDevices([{ deviceIds: [{ id, kind }] }], { checkDigits: true })[0].deviceIds[0].id;
		for (const typed of ['312 555 1234', '(312) 555-1234', '312.555.1234', '+1 312 555 1234', '1-312-555-1234', '3125551234']) {
			expect(as(typed, 'MDN')).toBe('3125551234');
		}
		expect(as('+1 (312) 555-1234', 'MSISDN')).toBe('13125551234');
		expect(as('312 555 1234', 'MSISDN')).toBe('13125551234');
		expect(as('+44 7700 900123', 'MSISDN')).toBe('447700900123');
		expect(() => as('312-555-12', 'MDN')).toThrow(/MDN 312-555-12 has 8 digits/);
		expect(() => as('call me', 'MDN')).toThrow(/is not a phone number/);
	});

	it('accepts MEID and ESN in hexadecimal (upper-cased) or decimal form', () => {
		const as = (id: string, kind: string) => checkDevices([{ deviceIds: [{ id, kind }] }], { checkDigits: true })[0].deviceIds[0].id;
		expect(as('a0000012345678', 'MEID')).toBe('A0000012345678');
		expect(as('270113177609606898', 'MEID')).toBe('270113177609606898');
		expect(as('8f0a12bc', 'ESN')).toBe('8F0A12BC');
		expect(as('12345678901', 'ESN')).toBe('12345678901');
		expect(() => as('A00000123456', 'MEID')).toThrow(/neither 14 hexadecimal characters nor 18 decimal digits/);
		expect(() => as('8F0A12BG', 'ESN')).toThrow(/neither 8 hexadecimal characters nor 11 decimal digits/);
	});

	it('quotes at most 40 characters of a pasted id', () => {
		expect(() => checkDevices([{ deviceIds: [{ id: 'x'.repeat(100_000), kind: 'IMEI' }] }], { checkDigits: true })).toThrow(
			/"x{40}… \(99960 more characters\)" must contain digits only/,
		);
	});
});
