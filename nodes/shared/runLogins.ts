import type { IExecuteSingleFunctions } from 'n8n-workflow';

import type { AuthContext } from './client';
import { faultLine, thrownFailure, type Failure } from './errors';
import { credentialSecrets } from './login';
import { CREDENTIAL_TYPE } from './policy';
import { ensureSession, NoLoginLeft, type LoginBudget } from './sessionLease';

/** The logins of one node run, the sessions ThingSpace accepted a call of this run with, and why the run stopped logging in. */
export interface RunLogins extends LoginBudget {
	accepted: Set<string>;
	stopped?: Failure;
}

/** Per node run: n8n hands every item and every try of Retry On Fail the same execute data, and drops it with the run. */
const runs = new WeakMap<object, RunLogins>();

/** The run's logins; a context without execute data (the trigger's hooks) counts per request. */
export function loginsOf(context: AuthContext): RunLogins {
	const run = (
		context as Partial<Pick<IExecuteSingleFunctions, 'getExecuteData'>>
	).getExecuteData?.();
	if (!run) return { used: 0, accepted: new Set() };
	let logins = runs.get(run);
	if (!logins) {
		logins = { used: 0, accepted: new Set() };
		runs.set(run, logins);
	}
	return logins;
}

/**
 * The instance's session (other than `rejected`), or why there is none. When the run has no login left
 * and ThingSpace has just refused its session (`refusal`), the run stops: this request fails with that
 * refusal and the reason, and its later requests are not sent.
 */
export async function session(
	context: AuthContext,
	logins: RunLogins,
	rejected?: string,
	refusal?: Failure,
): Promise<{ session: string; failure?: undefined } | { failure: Failure }> {
	// Stopped meanwhile (a request in flight met the stop): no more logins for this run.
	if (logins.stopped && refusal) return { failure: { ...refusal, auth: logins.stopped.auth } };
	try {
		return { session: await ensureSession(context, logins, rejected) };
	} catch (error) {
		if (!(error instanceof NoLoginLeft) || !refusal)
			return { failure: thrownFailure(error, await secretsOf(context)) };
		return stopLogins(logins, refusal);
	}
}

/** The run stops logging in: ThingSpace refused `refusal`'s session though this run's logins succeeded; its later requests are not sent. */
export function stopLogins(logins: RunLogins, refusal: Failure): { failure: Failure } {
	const auth = everySessionRefused(refusal, logins.used);
	logins.stopped = { auth };
	return { failure: { ...refusal, auth } };
}

/** Why a run stopped logging in: ThingSpace accepts the logins but refuses the sessions they give. */
function everySessionRefused(refusal: Failure, used: number): Failure['auth'] {
	return {
		message: `ThingSpace refuses every new session: it refused the session again after this run's ${used === 1 ? 'login' : `${used} logins`} (${refusal.status === undefined ? 'no status' : `HTTP ${refusal.status}`}${refusal.code ? ` [${refusal.code}]` : ''}), so the node stopped logging in`,
		description: `${faultLine(refusal)}\n\nThe logins themselves succeeded, so the UWS username and password are right and the account is not at risk of a lock. ThingSpace does not accept the session (or the app's token) for this call: check that the app key has the Connectivity Management and SIM-Secure for IoT APIs and that the UWS user may manage this account. If it persists, contact Verizon ThingSpace support with the code above. The rest of this run was not sent; run it again later.`,
	};
}

/** The credential's secret values and current tokens, read only when an answer has to be quoted. */
export async function secretsOf(context: AuthContext, more: unknown[] = []): Promise<unknown[]> {
	try {
		return [...credentialSecrets(await context.getCredentials(CREDENTIAL_TYPE)), ...more];
	} catch {
		return more;
	}
}
