import { randomInt } from 'crypto';

/** ThingSpace's X-Request-ID ("Transaction ID"): one digit, a hyphen, then digits; 32 characters at most. */
const TRANSACTION_ID = /^[0-9]-[0-9]{3,30}$/;

let sequence = 0;

/** A new ID in the documented pattern; the counter keeps IDs unique within this process. */
export function newTransactionId(): string {
	sequence = (sequence + 1) % 10000;
	return `${randomInt(1, 10)}-${Date.now()}${String(sequence).padStart(4, '0')}${String(randomInt(0, 1e6)).padStart(6, '0')}`;
}

/** Why a given Transaction ID is not acceptable, or undefined when it is. */
export function transactionIdProblem(value: string): string | undefined {
	if (TRANSACTION_ID.test(value)) return undefined;
	return `Transaction ID "${value.slice(0, 40)}" does not match ThingSpace's pattern: one digit, a hyphen, then 3 to 30 digits (e.g. 1-20250114001), 32 characters at most`;
}

/**
 * One ID per request. A given ID is used as it is for a single request; for several requests
 * each gets the ID followed by its number, so every request still carries a unique ID.
 */
export function transactionIds(given: string, count: number): string[] {
	if (given === '') return Array.from({ length: count }, newTransactionId);
	if (count === 1) return [given];
	const width = Math.max(3, String(count).length);
	return Array.from({ length: count }, (_, i) => `${given}${String(i + 1).padStart(width, '0')}`);
}
