import { rememberBounded } from './bounded';

/**
 * What a secret can become when a server quotes it back: JSON-escaped (four times over), URL-encoded
 * (also twice), HTML-escaped (also twice), base64, or wrapped onto the next line. One pattern per
 * secret matches all of these, and any mix of them, so that no part of it is left behind.
 */

/** Secrets shorter than this are not searched for: they would match ordinary words. */
const MIN_SECRET_LENGTH = 4;

const NAMED_ENTITIES: Record<string, string> = {
	'"': 'quot',
	'&': 'amp',
	'<': 'lt',
	'>': 'gt',
	"'": 'apos',
};

/**
 * How many more backslashes may stand before a character: JSON-escaped four times over gives 15. Bounded, so that
 * a run of backslashes in an answer is not tried in every split between two of them (2,000 backslashes took
 * seconds of the process's time per quoted field when this was unbounded).
 */
const ESCAPES = 15;

/** A line break where a log or a mail wraps a long value, raw or JSON-escaped, with the next line's indent. */
const WRAP = String.raw`(?:(?:\r\n|\r|\n|\\r\\n|\\n|\\r)[ \t]*)?`;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** A hex number as the regex of its digits in either case. */
const hexDigits = (value: number, width: number) =>
	value
		.toString(16)
		.padStart(width, '0')
		.split('')
		.map((digit) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit))
		.join('');

/** Every way one character of a secret may be written in an echo. */
function characterForms(character: string): string {
	const code = character.codePointAt(0) as number;
	const forms = [escapeRegExp(character)];
	// JSON and JavaScript escapes: \uXXXX (a surrogate pair beyond the BMP).
	const units =
		code > 0xffff
			? [0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff)]
			: [code];
	forms.push(units.map((unit) => String.raw`\\{1,${ESCAPES + 1}}u${hexDigits(unit, 4)}`).join(''));
	// HTML: numeric and named entities, also escaped once more (&amp;quot;).
	const named = NAMED_ENTITIES[character];
	forms.push(`&(?:amp;)*(?:#0*${code}|#[xX]0*${hexDigits(code, 1)}${named ? `|${named}` : ''});?`);
	// URL: the UTF-8 bytes as %XX (also %25XX, encoded twice); a space may be a plus.
	const bytes = Array.from(Buffer.from(character, 'utf8'));
	forms.push(bytes.map((byte) => `%(?:25)*${hexDigits(byte, 2)}`).join(''));
	if (character === ' ') forms.push(String.raw`\+`);
	// Any of them may follow backslashes: an echo of an echo escapes its quotes and backslashes again.
	return String.raw`\\{0,${ESCAPES}}(?:${forms.join('|')})`;
}

/** The pattern of one value in every echoed form, wrapped lines included. */
function echoPattern(value: string): string {
	return Array.from(value).map(characterForms).join(WRAP);
}

/**
 * The pattern of each value, by the value (the pattern spells it out anyway): building and compiling one takes
 * milliseconds, and each failed call quotes server text two or three times. One per value, not per set: a
 * login's new tokens leave the app's and the user's secrets as they were. Each is used with String.replace
 * only, which starts a global pattern from the beginning whatever it did before.
 */
const built = new Map<string, RegExp>();
const MAX_BUILT = 64;

const searched = (secret: unknown): secret is string =>
	typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH;

/** The values searched for: these secrets (strings of at least 4 characters) and their base64 forms. */
function echoedValues(secrets: unknown[]): Set<string> {
	const values = new Set<string>();
	for (const secret of secrets.filter(searched)) {
		const base64 = Buffer.from(secret, 'utf8').toString('base64');
		values.add(secret);
		values.add(base64);
		values.add(base64.replace(/=+$/, ''));
		values.add(base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
		for (const core of base64Within(secret)) {
			values.add(core);
			values.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
		}
	}
	return values;
}

/** A base64 core shorter than this is not searched for: it would match ordinary text. */
const MIN_BASE64_CORE = 8;

/**
 * The secret inside a longer base64 text (a gateway's dump of a whole request body): it may start 0, 1 or 2 bytes
 * into a 3-byte group. Its characters that depend on it alone: the first carry bits of the bytes before it, and
 * the last, unless it ends a group, of the byte after it.
 */
function base64Within(secret: string): string[] {
	const bytes = Buffer.from(secret, 'utf8');
	const cores: string[] = [];
	for (const shift of [0, 1, 2]) {
		const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
			.toString('base64')
			.replace(/=+$/, '');
		const start = [0, 2, 3][shift];
		const end = (shift + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 1;
		const core = encoded.slice(start, end);
		if (core.length >= MIN_BASE64_CORE) cores.push(core);
	}
	return cores;
}

/** The characters of the longest value searched for, the padded base64 of the longest secret (0 when none). */
export const longestEchoed = (secrets: unknown[]): number =>
	Math.max(
		0,
		...secrets.filter(searched).map((secret) => 4 * Math.ceil(Buffer.byteLength(secret) / 3)),
	);

/** The patterns of these secrets (strings of at least 4 characters) and of their base64 forms, longest first, so that a secret that contains another is removed whole. */
export function secretEchoes(secrets: unknown[]): RegExp[] {
	return [...echoedValues(secrets)]
		.sort((a, b) => b.length - a.length)
		.map((value) => {
			let pattern = built.get(value);
			if (!pattern) {
				pattern = new RegExp(echoPattern(value), 'g');
				rememberBounded(built, value, pattern, MAX_BUILT);
			}
			return pattern;
		});
}
