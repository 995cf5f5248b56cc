'use strict';
// Simulator state: licence pools, assigned devices, callback registrations, auth bookkeeping.
// Kept apart from the HTTP layer so tests can inspect it (sim.state) without reading routes.

const SKUS = Object.freeze({
	'SIMSec-IoT-Lt': { licenseType: 'Lifetime', removable: false, defaultPurchased: 500 },
	'SIMSec-IoT': { licenseType: 'Flexible', removable: true, defaultPurchased: 1000 },
	'TS-BUNDLE-KTO-SIMSEC-MRC': { licenseType: 'Flexible Bundle', removable: true, defaultPurchased: 50 },
	// Doc says "probably removable" (Unconfirmed); the brief treats it as flexible.
	'TSS-IOT-INTLG-TIERED-SIMSEC': { licenseType: 'Flexible', removable: true, defaultPurchased: 200 },
});

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
