// The text of the README and of the docs/ pages, for the test that checks the figures they state (plain
// JavaScript: file reading is not for the TypeScript that n8n's linter checks).
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');

/** A documentation file's text, by its path from the repository's root (README.md, docs/design.md …). */
const doc = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Every documentation file: the README and the pages under docs/. */
const DOCS = [
	'README.md',
	...fs
		.readdirSync(path.join(ROOT, 'docs'))
		.filter((name) => name.endsWith('.md'))
		.sort()
		.map((name) => `docs/${name}`),
];

module.exports = { README: doc('README.md'), doc, DOCS };
