import { ThingSpaceAuthError } from './credentialError';
import type { Held, Refusal } from './refusals';
import { FAILED_LOGIN_HOLD_MS, REFUSALS_HELD_FOR_GOOD } from './policy';

/** What a refused login tells the user: the refusal itself, and a login not attempted because of it. */

/** How many logins of the username ThingSpace refused in a row, when more than of this password alone. */
const userRefusals = (refusal: Refusal): string =>
	refusal.userCount > refusal.count
		? `; ${refusal.userCount} logins in a row of this username were refused (that this n8n knows of: the 5th locks the account)`
		: '';

const LOCK = `Five failed logins in a row lock the ThingSpace account, whatever the password (it counts refusals this n8n did not see too)`;

export const refusedError = (refusal: Refusal) =>
	new ThingSpaceAuthError(
		`the Connectivity Management login refused the UWS username or password (${refusal.reason})${userRefusals(refusal)}`,
		`The app key and secret were accepted. Check the UWS Username and UWS Password in the ThingSpace API credential. ${LOCK}. So no process of this n8n repeats a refused password for ${FAILED_LOGIN_HOLD_MS / 60000} minutes, nor at all once the username was refused ${REFUSALS_HELD_FOR_GOOD} times in a row, until it changes; a changed password is tried at once.`,
	);

export function notAttempted(refusal: Held): ThingSpaceAuthError {
	if (!Number.isFinite(refusal.leftMs)) {
		const times = refusal.count > 1 ? ` ${refusal.count} times in a row` : '';
		return new ThingSpaceAuthError(
			`login not attempted: ThingSpace refused this UWS username and password${times} (${refusal.reason})${userRefusals(refusal)}, and repeating them could lock the account`,
			`${LOCK}. So once the username was refused ${REFUSALS_HELD_FOR_GOOD} times in a row, no process of this n8n sends a refused password again, also after a restart, until the UWS Username or UWS Password changes. Fix them in the ThingSpace API credential (reset the password at ThingSpace if needed); a changed password is tried at once, so make sure it is right.`,
		);
	}
	const minutes = Math.ceil(refusal.leftMs / 60000);
	return new ThingSpaceAuthError(
		`login not attempted: the last login with this UWS username and password was refused (${refusal.reason}), and repeating it could lock the account`,
		`${LOCK}, so no process of this n8n sends this password again for ${minutes} more minute(s), also after a restart, and then only once more. Fix the UWS Username or UWS Password in the ThingSpace API credential; a changed password is tried at once.`,
	);
}
