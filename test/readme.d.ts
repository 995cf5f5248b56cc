/** The README's text. */
export const README: string;
/** A documentation file's text, by its path from the repository's root (README.md, docs/design.md …). */
export function doc(file: string): string;
/** Every documentation file: the README and the pages under docs/. */
export const DOCS: string[];
