import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { clock } from './clock';
import type { LeaseStore } from './credentialStore';
import { keysOf, loginRecordOf } from './loginRecord';
import { heldRefusal, storesRefusal } from './refusals';
import { LOGIN_CLAIM } from './policy';
import { hasOutcome } from './preAuthentication';

/**
 * A refusal the store lost, put back. n8n's store keeps the last write, and a claim is written from a read
 * made before it: a claim whose read came before a refusal was stored and whose write came after replaces
 * the refusal, and its process, or the next one, would send the refused password again. So a process
 * that holds a refusal puts it back whenever it reads a store without it, and the process whose login
 * was refused watches the store for as long as such a claim takes: a read under maxSettleMs (a slower one
 * is never written) and a write of as long.
 */

/** Stores the refusal this process holds of these credentials again (the save step; it then reports the refusal, as meant). */
export async function restoreRefusal(
	store: LeaseStore,
	credentials: ICredentialDataDecryptedObject,
): Promise<void> {
	const keys = keysOf(credentials);
	// A login of this process whose outcome is yet to be stored: its own save step stores it.
	if (credentials.sessionToken || hasOutcome(keys.full) || !heldRefusal({}, keys)) return;
	if (storesRefusal(loginRecordOf(credentials), keys.login)) return;
	await store.store(credentials, 'save').catch(() => undefined);
}

/** After this process stored a refusal of `login`: reads the store every pollMs for twice maxSettleMs, putting the refusal back when it is gone. */
export async function watchRefusal(store: LeaseStore, login: string): Promise<void> {
	const until = clock.now() + 2 * LOGIN_CLAIM.maxSettleMs;
	while (clock.now() < until) {
		await clock.sleep(LOGIN_CLAIM.pollMs);
		const credentials = await store.read();
		// Credentials changed in the editor: that refusal is no longer theirs.
		if (keysOf(credentials).login !== login) return;
		await restoreRefusal(store, credentials);
	}
}
