'use strict';
// Simulator state: licence pools, assigned devices, callback registrations, auth bookkeeping.
// Kept apart from the HTTP layer so tests can inspect it (sim.state) without reading routes.

// The node's own SKU list (one source); the simulator adds how many licenses a fresh account holds.
const PURCHASED = { 'SIMSec-IoT-Lt': 500, 'SIMSec-IoT': 1000, 'TS-BUNDLE-KTO-SIMSEC-MRC': 50, 'TSS-IOT-INTLG-TIERED-SIMSEC': 200 };
const SKUS = Object.freeze(
	Object.fromEntries(
		require('../../nodes/shared/skus.json').map(({ value, licenseType, removable }) => [
			value,
			{ licenseType, removable, defaultPurchased: PURCHASED[value] ?? 100 },
		]),
	),
);

const DEVICE_KINDS = new Set(['ICCID', 'MEID', 'IMSI', 'MDN', 'IMEI', 'MSISDN', 'ESN', 'EID', 'MIN']);

// Service names accepted by POST /callbacks (doc §8.1; both spellings of the alert service).
const SERVICE_NAMES = new Set([
	'CarrierService', 'AlertService', 'AlertsService', 'DevicePRLInformation', 'DeviceProfileService',
	'DeviceService', 'DeviceSuspensionStatus', 'DeviceUsage', 'DiagnosticsService',
	'EnhancedConnectivityService', 'ExternalProvisioningChanges', 'NiddService', 'PromoChanges',
	'ResumeTrackingNotification', 'SMSDeliveryConfirmation', 'StateService',
	'SubscriptionNotificationService',
]);

/** Normalise the `licenses` option: number = purchased, or {purchased, assigned}. Unset SKUs keep defaults. */
function initialLicenses(overrides = {}) {
	for (const sku of Object.keys(overrides)) {
		if (!SKUS[sku]) throw new Error(`thingspace-simulator: unknown SKU in licenses option: ${sku}`);
	}
	const out = {};
	for (const [sku, def] of Object.entries(SKUS)) {
		const v = overrides[sku];
		if (v === undefined) out[sku] = { purchased: def.defaultPurchased, assigned: 0 };
		else if (typeof v === 'number') out[sku] = { purchased: v, assigned: 0 };
		else out[sku] = { purchased: Number(v.purchased) || 0, assigned: Number(v.assigned) || 0 };
	}
	return out;
}

function createState(options) {
	return {
		licenses: initialLicenses(options.licenses),
		/** deviceKey ('KIND:id' of the device's first identifier) -> sku */
		assigned: new Map(),
		/** serviceName -> {url, username, password} (single account) */
		callbacks: new Map(),
		lockedUsers: new Set(),
		/** username -> consecutive failed logins */
		failedLogins: new Map(),
		/** access_token -> {expiresAt} */
		tokens: new Map(),
		/** appKey -> current access_token (so a repeat request within the TTL returns the same one) */
		currentToken: new Map(),
		/** sessionToken -> {username, lastUsed} */
		sessions: new Map(),
		/** The one session token every login answers with config.reuseSessionToken. */
		lastSessionToken: undefined,
	};
}

/** Reset licence/registration/lockout state in place (keeps the same objects so references stay valid). */
function resetBusinessState(state, options) {
	const fresh = initialLicenses(options.licenses);
	for (const k of Object.keys(state.licenses)) delete state.licenses[k];
	Object.assign(state.licenses, fresh);
	state.assigned.clear();
	state.callbacks.clear();
	state.lockedUsers.clear();
	state.failedLogins.clear();
}

function deviceKey(device) {
	const first = device.deviceIds[0];
	return `${first.kind}:${first.id}`;
}

module.exports = { SKUS, DEVICE_KINDS, SERVICE_NAMES, createState, resetBusinessState, deviceKey };
