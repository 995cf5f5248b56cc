import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { SKUS, type Sku } from './policy';
import { cut } from './redaction';

/**
 * Parameters as the user meant them. A value set by expression arrives as whatever the source had: a
 * webhook, a form, a sheet or a model hands over "true", "1", " 42 ". Each is read here, or refused
 * with an error that names the parameter and the value, before anything is sent.
 */

/** A parameter's value that cannot be read: `message` names it and the value, `description` says what it takes. */
export class ParameterValueError extends Error {
	constructor(
		message: string,
		readonly description: string,
	) {
		super(message);
		this.name = 'ParameterValueError';
	}
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** How a value is quoted in an error: a pasted 5 MB cell does not become a 5 MB message. */
export function quoted(value: unknown): string {
	if (typeof value === 'string') return `"${cut(value, 40)}"`;
	let text: string | undefined;
	try {
		text = JSON.stringify(value);
	} catch {
		text = undefined;
	}
	return cut(text ?? String(value), 40);
}

const isEmpty = (value: unknown) =>
	value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** Runs `read`; a value it cannot read becomes the node's error, which names it and says what it takes. */
export function readForNode<T>(node: INode, read: () => T, itemIndex?: number): T {
	try {
		return read();
	} catch (error) {
		throw new NodeOperationError(node, (error as Error).message, {
			description: error instanceof ParameterValueError ? error.description : undefined,
			itemIndex,
		});
	}
}

/** true/false, "true"/"false" (any case, trimmed), 1/0, "yes"/"no"; empty gives the default. */
export function booleanValue(name: string, value: unknown, fallback: boolean): boolean {
	if (typeof value === 'boolean') return value;
	if (isEmpty(value)) return fallback;
	const word =
		typeof value === 'number' || typeof value === 'string'
			? String(value).trim().toLowerCase()
			: undefined;
	if (word !== undefined && TRUE.has(word)) return true;
	if (word !== undefined && FALSE.has(word)) return false;
	throw new ParameterValueError(
		`${name} must be true or false, not ${quoted(value)}`,
		`Give true or false (also accepted: "true"/"false" in any case, 1/0, "yes"/"no").`,
	);
}

/** A number or a numeric text (trimmed); empty gives the default. Refuses what is not a number or is below `min`. */
export function numberValue(
	name: string,
	value: unknown,
	fallback: number,
	min = -Infinity,
): number {
	if (isEmpty(value)) return fallback;
	const number =
		typeof value === 'number'
			? value
			: typeof value === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value.trim())
				? Number(value)
				: NaN;
	if (!Number.isFinite(number)) {
		throw new ParameterValueError(
			`${name} must be a number, not ${quoted(value)}`,
			`Give a number such as 10 or 2.5.`,
		);
	}
	if (number < min)
		throw new ParameterValueError(
			`${name} must be at least ${min}, not ${quoted(value)}`,
			`Give a number of ${min} or more.`,
		);
	return number;
}

/** A whole number or its text: a count such as 4.5 or "0.5" is refused, not rounded to another meaning (0: the node decides). */
export function wholeNumberValue(
	name: string,
	value: unknown,
	fallback: number,
	min = -Infinity,
): number {
	const number = numberValue(name, value, fallback, min);
	if (Number.isInteger(number)) return number;
	throw new ParameterValueError(
		`${name} must be a whole number, not ${quoted(value)}`,
		`Give a whole number such as 4.`,
	);
}

/** Text, trimmed; numbers are refused where they would lose what the text keeps (leading zeros). */
export function textValue(name: string, value: unknown, example: string): string {
	if (isEmpty(value)) return '';
	if (typeof value === 'string') return value.trim();
	throw new ParameterValueError(
		`${name} must be text, not ${typeof value === 'number' ? `the number ${quoted(value)}` : quoted(value)}`,
		`Give it as text, e.g. ${example}${typeof value === 'number' ? ': a number loses leading zeros and dashes' : ''}.`,
	);
}

/** A SIM-Secure SKU by its number, trimmed and in any case; anything else is refused. */
export function skuValue(value: unknown): Sku {
	const given = textValue('SKU', value, 'SIMSec-IoT');
	const sku = SKUS.find((known) => known.value.toLowerCase() === given.toLowerCase());
	if (sku) return sku;
	throw new ParameterValueError(
		`SKU ${quoted(given)} is not a SIM-Secure for IoT SKU`,
		`Use one of ${SKUS.map((known) => known.value).join(', ')}.`,
	);
}
