/** Starts the message of every error from the credential step, so the node can tell it from a failed call. */
export const CREDENTIAL_ERROR_PREFIX = 'ThingSpace credential: ';

/** An error with no HTTP fields, so n8n neither retries it as a 401 nor keeps the request (and its secrets) as its cause. */
export class ThingSpaceAuthError extends Error {
	description: string;

	/** The login call went out with the password, and its outcome is not a session: ThingSpace may have counted it. */
	passwordSent = false;

	constructor(message: string, description: string) {
		super(CREDENTIAL_ERROR_PREFIX + message);
		this.name = 'ThingSpaceAuthError';
		this.description = description;
	}
}
