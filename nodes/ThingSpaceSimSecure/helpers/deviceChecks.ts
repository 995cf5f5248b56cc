import { DEVICE_ID_KINDS, MAX_IDS_PER_DEVICE } from '../../shared/policy';
import { cut } from '../../shared/redaction';
import { DeviceInputError, deviceIdKey, shown, type LicenseDevice } from './deviceInput';

/** The rules of each device ID kind: the one place where device IDs are checked before anything is sent. */

export interface CheckOptions {
	/** Verify the Luhn check digit of IMEIs and ICCIDs. */
	checkDigits: boolean;
	/** Collect each bad device here (a dry run) instead of failing on the first. */
	refused?: RefusedDevice[];
}

/** A device that would be refused, and why (a dry run lists them all). */
export interface RefusedDevice {
	device: number;
	problem: string;
	fix: string;
}

/** The one place where device IDs are checked before anything is sent; returns them in the form ThingSpace takes. */
export function checkDevices(devices: LicenseDevice[], options: CheckOptions): LicenseDevice[] {
	if (devices.length === 0) {
		throw new DeviceInputError(
			'No devices given',
			'Add at least one device, in the Devices list or as a Device List expression.',
		);
	}
	const { refused } = options;
	// One device with one ID (a row of a sheet): nothing to compare it with.
	if (!refused && devices.length === 1 && devices[0].deviceIds.length === 1)
		return [checkDevice(devices[0], 0, options)];
	const seen = new Map<string, number>();
	if (!refused) return devices.map((device, index) => checkDevice(device, index, options, seen));
	// A dry run: every bad device is listed with its rule, the good ones are planned.
	return devices.flatMap((device, index) => {
		try {
			return [checkDevice(device, index, options, seen)];
		} catch (error) {
			refused.push({
				device: index + 1,
				problem: (error as Error).message,
				fix: (error as DeviceInputError).description,
			});
			return [];
		}
	});
}

function checkDevice(
	device: LicenseDevice,
	index: number,
	options: CheckOptions,
	seen?: Map<string, number>,
): LicenseDevice {
	const where = `Device ${index + 1}`;
	if (device.deviceIds.length === 0) {
		throw new DeviceInputError(
			`${where} has no identifier`,
			'Give each device at least one identifier (kind and ID).',
		);
	}
	if (device.deviceIds.length > MAX_IDS_PER_DEVICE) {
		throw new DeviceInputError(
			`${where} has ${device.deviceIds.length} identifiers`,
			`ThingSpace accepts at most ${MAX_IDS_PER_DEVICE} identifiers per device.`,
		);
	}
	const deviceIds = device.deviceIds.map(({ id: given, kind }, idIndex) => {
		const field = `${where}, identifier ${idIndex + 1}`;
		const checked = checkId(given, kind, options);
		if ('problem' in checked)
			throw new DeviceInputError(`${field}: ${checked.problem}`, checked.fix);
		const first = seen?.get(deviceIdKey({ kind, id: checked.id }));
		if (first !== undefined) {
			throw new DeviceInputError(
				`${field}: ${kind} ${checked.id} is already listed as device ${first + 1}`,
				'Each device may appear only once per item, so it is not licensed twice. Remove the duplicate.',
			);
		}
		return { id: checked.id, kind };
	});
	// Recorded once the whole device passed, so a refused device does not shadow a later good one.
	if (seen) deviceIds.forEach((id) => seen.set(deviceIdKey(id), index));
	return { deviceIds };
}

type Checked = { id: string } | { problem: string; fix: string };

const digitsOnly = (kind: string, id: string): Checked => ({
	problem: `${kind} "${shown(id)}" must contain digits only`,
	fix: 'Remove spaces, dashes and letters from the ID.',
});

/** The rule of each kind (../shared/thingspace-api.md §6.3), and the ID in the form ThingSpace takes. */
function checkId(id: string, kind: string, options: CheckOptions): Checked {
	if (!DEVICE_ID_KINDS.includes(kind)) {
		return {
			problem: `kind "${cut(kind, 20)}" is not a ThingSpace identifier kind`,
			fix: `Use one of ${DEVICE_ID_KINDS.join(', ')} (IMEI or ICCID for SIM-Secure).`,
		};
	}
	if (kind === 'MDN' || kind === 'MSISDN') return checkPhoneNumber(id, kind);
	if (kind === 'MEID' || kind === 'ESN') return checkHexOrDecimal(id, kind);
	if (!/^[0-9]+$/.test(id)) return digitsOnly(kind, id);
	if (kind === 'IMEI' && id.length !== 15) {
		return {
			problem: `IMEI ${shown(id)} has ${id.length} digits`,
			fix: 'An IMEI has exactly 15 digits (14 plus a check digit).',
		};
	}
	if (kind === 'ICCID' && (id.length < 19 || id.length > 20)) {
		return {
			problem: `ICCID ${shown(id)} has ${id.length} digits`,
			fix: 'An ICCID has 19 or 20 digits, including its check digit.',
		};
	}
	if (id.length < 3 || id.length > 32) {
		return {
			problem: `${kind} ${shown(id)} has ${id.length} digits`,
			fix: 'ThingSpace accepts IDs of 3 to 32 digits.',
		};
	}
	if (options.checkDigits && (kind === 'IMEI' || kind === 'ICCID') && !luhnValid(id)) {
		return {
			problem: `${kind} ${id} has a wrong check digit (Luhn): the last digit should be ${luhnCheckDigit(id.slice(0, -1))}`,
			fix: 'The ID is probably mistyped. If your IDs really do not carry a Luhn check digit, turn off "Verify Check Digits" in the node options.',
		};
	}
	return { id };
}

/** MDN: a 10-digit US number; MSISDN: E.164 with its country code. People type them with spaces, dashes, dots, parentheses, +1. */
function checkPhoneNumber(given: string, kind: string): Checked {
	const plus = given.startsWith('+');
	const digits = given.replace(/^\+/, '').replace(/[\s\-.()]/g, '');
	if (!/^[0-9]+$/.test(digits)) {
		return {
			problem: `${kind} "${shown(given)}" is not a phone number`,
			fix: 'Give digits, optionally with spaces, dashes, dots, parentheses and a leading +, e.g. (312) 555-1234 or +1 312 555 1234.',
		};
	}
	if (kind === 'MDN') {
		const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
		if (national.length === 10) return { id: national };
		return {
			problem: `MDN ${shown(given)} has ${national.length} digits`,
			fix: 'An MDN is a 10-digit US mobile number, e.g. 312 555 1234 (a leading +1 or 1 is dropped).',
		};
	}
	// A 10-digit number without a + is a US number: its country code 1 is added.
	const international = !plus && digits.length === 10 ? `1${digits}` : digits;
	if (international.length >= 11 && international.length <= 15) return { id: international };
	return {
		problem: `MSISDN ${shown(given)} has ${international.length} digits`,
		fix: 'An MSISDN is an E.164 number, country code included: 11 to 15 digits, e.g. +1 312 555 1234.',
	};
}

/** MEID: 14 hex characters or 18 decimal digits; ESN: 8 hex characters or 11 decimal digits. */
function checkHexOrDecimal(id: string, kind: string): Checked {
	const [hex, decimal] = kind === 'MEID' ? [14, 18] : [8, 11];
	if (new RegExp(`^[0-9]{${decimal}}$`).test(id)) return { id };
	if (new RegExp(`^[0-9A-Fa-f]{${hex}}$`).test(id)) return { id: id.toUpperCase() };
	return {
		problem: `${kind} "${shown(id)}" is neither ${hex} hexadecimal characters nor ${decimal} decimal digits`,
		fix: `A ${kind} is written as ${hex} hexadecimal characters (0-9, A-F) or as ${decimal} decimal digits.`,
	};
}

/** The Luhn check digit for a payload of digits (ITU-T E.118, 3GPP TS 23.003). */
export function luhnCheckDigit(payload: string): number {
	let sum = 0;
	for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
		let digit = payload.charCodeAt(i) - 48;
		if (double) {
			digit *= 2;
			if (digit > 9) digit -= 9;
		}
		sum += digit;
	}
	return (10 - (sum % 10)) % 10;
}

export function luhnValid(id: string): boolean {
	return luhnCheckDigit(id.slice(0, -1)) === id.charCodeAt(id.length - 1) - 48;
}
