import type { IDataObject } from 'n8n-workflow';

import { cut } from '../../shared/redaction';

export interface DeviceId {
	id: string;
	kind: string;
}

/** One device as ThingSpace's licensing body carries it. */
export interface LicenseDevice {
	deviceIds: DeviceId[];
}

/** A device identifier as one key: its kind and value. */
export const deviceIdKey = ({ kind, id }: DeviceId): string => `${kind}:${id}`;

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
	'an array of ID strings, an array of {id, kind}, an array of {deviceIds: [{id, kind}]}, or IDs separated by commas, semicolons or new lines';

/** An id as an error quotes it: a pasted 5 MB cell does not become a 5 MB message. */
export const shown = (id: string): string => cut(id, 40);

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
		if (text.startsWith('[') || text.startsWith('{'))
			return devicesFromList(parseJson(text), defaultKind);
		// Spaces never split an entry: "312 555 1234" is one phone number.
		return text
			.split(/[\r\n,;]+/)
			.map((token) => token.trim())
			.filter((token) => token !== '')
			.map((token) => {
				// "ICCID:8914..." names its own kind; a bare ID takes the list's kind.
				const named = /^([A-Za-z]+)\s*[:=]\s*(.+)$/.exec(token);
				return {
					deviceIds: [named ? toDeviceId(named[2], named[1]) : toDeviceId(token, defaultKind)],
				};
			});
	}
	if (!Array.isArray(value)) {
		const object = value as IDataObject;
		if (typeof value === 'object' && Array.isArray(object.devices))
			return devicesFromList(object.devices, defaultKind);
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
			if (object.id !== undefined)
				return { deviceIds: [toDeviceId(object.id, object.kind ?? defaultKind, index)] };
		}
		throw new DeviceInputError(
			`Device ${index + 1} in Device List has no ID`,
			`Each entry must be an ID string, {id, kind} or {deviceIds: [{id, kind}]}; got ${cut(JSON.stringify(entry) ?? String(entry), 80)}.`,
		);
	});
}

function parseJson(text: string): unknown {
	let problem = '';
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		problem = cut((error as Error).message, 120);
	}
	if (problem)
		throw new DeviceInputError(
			'Device List looks like JSON but cannot be parsed',
			`${problem}. Give ${LIST_FORMS}.`,
		);
	return parsed;
}

function toDeviceId(id: unknown, kind: unknown, index?: number): DeviceId {
	if (typeof id === 'number') {
		// A number longer than 15 digits has already lost digits (ICCIDs are 19–20).
		if (!Number.isSafeInteger(id) || String(id).length > 15) {
			throw new DeviceInputError(
				`Device ${index === undefined ? '' : `${index + 1} `}has the numeric ID ${shown(String(id))}, which lost digits`,
				'Pass device IDs as text (strings): numbers longer than 15 digits cannot be stored exactly, so ICCIDs must be quoted.',
			);
		}
		id = String(id);
	}
	return {
		id: typeof id === 'string' ? id.trim() : String(id ?? ''),
		kind: typeof kind === 'string' ? kind.trim().toUpperCase() : String(kind ?? ''),
	};
}
