import type { IDataObject } from 'n8n-workflow';

import { DEVICE_ID_KINDS, MAX_IDS_PER_DEVICE } from './constants';

export interface DeviceId {
	id: string;
	kind: string;
}

/** One device as ThingSpace's licensing body carries it. */
export interface LicenseDevice {
	deviceIds: DeviceId[];
}

/** Bad device input: `message` says what and where, `description` the rule and the fix. */
export class DeviceInputError extends Error {
	constructor(
		message: string,
		readonly description: string,
	) {
		super(message);
		this.name = 'DeviceInputError';
	}
}

const LIST_FORMS =
	'an array of id strings, an array of {id, kind}, an array of {deviceIds: [{id, kind}]}, or ids separated by commas or new lines';

/** Devices from the UI collection: devices.device[].deviceIds.deviceId[] = {kind, id}. */
export function devicesFromCollection(collection: IDataObject | undefined): LicenseDevice[] {
	const entries = (collection?.device ?? []) as IDataObject[];
	return entries.map((entry) => {
		const ids = ((entry.deviceIds as IDataObject | undefined)?.deviceId ?? []) as IDataObject[];
		return { deviceIds: ids.map((deviceId) => toDeviceId(deviceId.id, deviceId.kind)) };
	});
}

/** Devices from an expression: any of the LIST_FORMS, or a JSON text of one of them. */
export function devicesFromList(value: unknown, defaultKind: string): LicenseDevice[] {
	if (value === undefined || value === null || value === '') return [];
	if (typeof value === 'string') {
		const text = value.trim();
		if (text.startsWith('[') || text.startsWith('{')) return devicesFromList(parseJson(text), defaultKind);
		return text
			.split(/[\s,;]+/)
			.filter((token) => token !== '')
			.map((token) => {
				// "ICCID:8914..." names its own kind; a bare id takes the list's kind.
				const named = /^([A-Za-z]+)[:=](.+)$/.exec(token);
				return named
					? { deviceIds: [toDeviceId(named[2], named[1])] }
					: { deviceIds: [toDeviceId(token, defaultKind)] };
			});
	}
	if (!Array.isArray(value)) {
		const object = value as IDataObject;
		if (typeof value === 'object' && Array.isArray(object.devices)) {
			return devicesFromList(object.devices, defaultKind);
		}
		if (typeof value === 'object' && (Array.isArray(object.deviceIds) || object.id !== undefined)) {
			return devicesFromList([value], defaultKind);
		}
		if (typeof value === 'number') return devicesFromList([value], defaultKind);
		throw new DeviceInputError(
			`Device List must be a list, not ${typeof value}`,
			`Give ${LIST_FORMS}.`,
		);
	}
	return value.map((entry, index) => {
		if (typeof entry === 'string' || typeof entry === 'number') {
			return { deviceIds: [toDeviceId(entry, defaultKind, index)] };
		}
		if (entry && typeof entry === 'object') {
			const object = entry as IDataObject;
			if (Array.isArray(object.deviceIds)) {
				return {
					deviceIds: (object.deviceIds as IDataObject[]).map((deviceId) =>
						toDeviceId(deviceId?.id, deviceId?.kind ?? defaultKind, index),
					),
				};
			}
			if (object.id !== undefined) {
				return { deviceIds: [toDeviceId(object.id, object.kind ?? defaultKind, index)] };
			}
		}
		throw new DeviceInputError(
			`Device ${index + 1} in Device List has no id`,
			`Each entry must be an id string, {id, kind} or {deviceIds: [{id, kind}]}; got ${JSON.stringify(entry)}.`,
		);
	});
}

function parseJson(text: string): unknown {
	let problem = '';
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		problem = (error as Error).message;
	}
	if (problem) {
		throw new DeviceInputError('Device List looks like JSON but cannot be parsed', `${problem}. Give ${LIST_FORMS}.`);
	}
	return parsed;
}

function toDeviceId(id: unknown, kind: unknown, index?: number): DeviceId {
	if (typeof id === 'number') {
		// A number longer than 15 digits has already lost digits (ICCIDs are 19–20).
		if (!Number.isSafeInteger(id) || String(id).length > 15) {
			throw new DeviceInputError(
				`Device ${index === undefined ? '' : `${index + 1} `}has the numeric id ${id}, which lost digits`,
				'Pass device ids as text (strings): numbers longer than 15 digits cannot be stored exactly, so ICCIDs must be quoted.',
			);
		}
		id = String(id);
	}
	return {
		id: typeof id === 'string' ? id.trim() : String(id ?? ''),
		kind: typeof kind === 'string' ? kind.trim().toUpperCase() : String(kind ?? ''),
	};
}

export interface CheckOptions {
	/** Verify the Luhn check digit of IMEIs and ICCIDs. */
	checkDigits: boolean;
}

/** The one place where device ids are checked before anything is sent. */
export function checkDevices(devices: LicenseDevice[], options: CheckOptions): void {
	if (devices.length === 0) {
		throw new DeviceInputError(
			'No devices given',
			'Add at least one device, in the Devices list or as a Device List expression.',
		);
	}
	const seen = new Map<string, number>();
	devices.forEach((device, index) => {
		const where = `Device ${index + 1}`;
		if (device.deviceIds.length === 0) {
			throw new DeviceInputError(`${where} has no identifier`, 'Give each device at least one identifier (kind and id).');
		}
		if (device.deviceIds.length > MAX_IDS_PER_DEVICE) {
			throw new DeviceInputError(
				`${where} has ${device.deviceIds.length} identifiers`,
				`ThingSpace accepts at most ${MAX_IDS_PER_DEVICE} identifiers per device.`,
			);
		}
		device.deviceIds.forEach(({ id, kind }, idIndex) => {
			const field = `${where}, identifier ${idIndex + 1}`;
			const rule = idRule(id, kind, options);
			if (rule) throw new DeviceInputError(`${field}: ${rule.problem}`, rule.fix);
			const key = `${kind}:${id}`;
			const first = seen.get(key);
			if (first !== undefined) {
				throw new DeviceInputError(
					`${field}: ${kind} ${id} is already listed as device ${first + 1}`,
					'Each device may appear only once per item, so it is not licensed twice. Remove the duplicate.',
				);
			}
			seen.set(key, index);
		});
	});
}

function idRule(
	id: string,
	kind: string,
	options: CheckOptions,
): { problem: string; fix: string } | undefined {
	if (!DEVICE_ID_KINDS.includes(kind)) {
		return {
			problem: `kind "${kind}" is not a ThingSpace identifier kind`,
			fix: `Use one of ${DEVICE_ID_KINDS.join(', ')} (IMEI or ICCID for SIM-Secure).`,
		};
	}
	if (!/^[0-9]+$/.test(id)) {
		return {
			problem: `${kind} "${id}" must contain digits only`,
			fix: 'Remove spaces, dashes and letters from the id.',
		};
	}
	if (kind === 'IMEI' && id.length !== 15) {
		return { problem: `IMEI ${id} has ${id.length} digits`, fix: 'An IMEI has exactly 15 digits (14 plus a check digit).' };
	}
	if (kind === 'ICCID' && (id.length < 19 || id.length > 20)) {
		return { problem: `ICCID ${id} has ${id.length} digits`, fix: 'An ICCID has 19 or 20 digits, including its check digit.' };
	}
	if (id.length < 3 || id.length > 32) {
		return { problem: `${kind} ${id} has ${id.length} digits`, fix: 'ThingSpace accepts ids of 3 to 32 digits.' };
	}
	if (options.checkDigits && (kind === 'IMEI' || kind === 'ICCID') && !luhnValid(id)) {
		return {
			problem: `${kind} ${id} has a wrong check digit (Luhn): the last digit should be ${luhnCheckDigit(id.slice(0, -1))}`,
			fix: 'The id is probably mistyped. If your ids really do not carry a Luhn check digit, turn off "Verify Check Digits" in the node options.',
		};
	}
	return undefined;
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
