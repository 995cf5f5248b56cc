export const CREDENTIAL_TYPE = 'thingSpaceApi';

export const PATHS = {
	license: '/api/m2m/v1/devices/license/actions/assign',
	licenseCounts: '/api/m2m/v1/accounts/subscriptions/actions/list',
} as const;

/** ThingSpace accepts at most 100 devices in one licensing request (and 100 ids per device). */
export const MAX_DEVICES_PER_REQUEST = 100;
export const MAX_IDS_PER_DEVICE = 100;

/** Licensing requests of one node run in flight at a time, unless the node's options say otherwise. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 2;

/** Extra attempts after a 5xx or lost connection, when the user allows them. */
export const MAX_SERVER_RETRIES = 2;

/** How long one request may wait in all for ThingSpace's rate limit (429) before the node gives up. */
export const RATE_LIMIT_BUDGET_MS = 120_000;

export interface Sku {
	value: string;
	name: string;
	removable: boolean;
	description: string;
}

export const SKUS: Sku[] = [
	{
		value: 'SIMSec-IoT-Lt',
		name: 'Lifetime (SIMSec-IoT-Lt)',
		removable: false,
		description: 'Stays on the SIM for its whole life; cannot be unassigned',
	},
	{
		value: 'SIMSec-IoT',
		name: 'Flex (SIMSec-IoT)',
		removable: true,
		description: 'Flexible license bought à la carte; can be assigned and removed at any time',
	},
	{
		value: 'TS-BUNDLE-KTO-SIMSEC-MRC',
		name: 'Flex Bundle (TS-BUNDLE-KTO-SIMSEC-MRC)',
		removable: true,
		description: 'Flexible license bundled with other ThingSpace services; removable',
	},
	{
		value: 'TSS-IOT-INTLG-TIERED-SIMSEC',
		name: 'Intelligence Bundle (TSS-IOT-INTLG-TIERED-SIMSEC)',
		removable: true,
		description: 'Flexible license included in the ThingSpace Intelligence bundle; removable',
	},
];

/** Device identifier kinds that ThingSpace Connectivity Management documents. */
export const DEVICE_ID_KINDS = ['IMEI', 'ICCID', 'EID', 'ESN', 'IMSI', 'MDN', 'MEID', 'MIN', 'MSISDN'];
