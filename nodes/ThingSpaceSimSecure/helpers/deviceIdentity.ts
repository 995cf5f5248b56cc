import { deviceIdKey, type LicenseDevice } from './deviceInput';

/**
 * A device is all of its identifiers. Two items name the same device only when they give the same
 * set of identifiers; when they share one identifier but differ in another (a dual-SIM module, a
 * swapped SIM), combining them would drop one, so the later item is refused instead.
 */

/** The device's identifiers in one key, whatever their order. */
export function deviceKey(device: LicenseDevice): string {
	if (device.deviceIds.length === 1) return deviceIdKey(device.deviceIds[0]);
	return device.deviceIds.map(deviceIdKey).sort().join('|');
}

const shownDevice = (device: LicenseDevice) =>
	`{${device.deviceIds.map(({ kind, id }) => `${kind} ${id}`).join(', ')}}`;

/** Who named a device first: an item of this run, or an earlier try of the node (Retry On Fail) that ThingSpace accepted. */
export interface NamedBy {
	device: LicenseDevice;
	/** "item 0", or "an earlier try of this node (requestId …)". */
	where: string;
}

/**
 * The problem with naming `device` at `where`, when one of its identifiers already belongs to another
 * device (`named` finds who holds an identifier key); undefined when it is new or the very same device.
 */
export function identityConflict(
	device: LicenseDevice,
	where: string,
	named: (idKey: string) => NamedBy | undefined,
): string | undefined {
	let key: string | undefined;
	for (const id of device.deviceIds) {
		const first = named(deviceIdKey(id));
		if (!first) continue;
		key ??= deviceKey(device);
		if (deviceKey(first.device) !== key) {
			return `Device ${shownDevice(device)} of ${where} shares ${id.kind} ${id.id} with device ${shownDevice(first.device)} of ${first.where}, but not its other identifiers`;
		}
	}
	return undefined;
}

export const IDENTITY_FIX =
	'A device is all of its identifiers, so one of the two would be dropped: give each device the same identifiers in every item, or only one identifier (such as the ICCID). Nothing was sent for this item.';
