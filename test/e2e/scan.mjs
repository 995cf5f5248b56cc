#!/usr/bin/env node
// `npm run scan`: the ESLint leg of n8n's community-package scanner (@n8n/scan-community-package), on the packed
// tarball and on the sources, as n8n runs it before listing a package. Its provenance leg needs a published version.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const folder = mkdtempSync(join(tmpdir(), 'n8n-scan-'));
try {
	const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', folder], { cwd: root }).toString().trim().split('\n').pop();
	const unpacked = join(folder, 'package');
	execFileSync('tar', ['xzf', join(folder, tarball), '-C', folder]);
	const legs = [
		['tarball', await analyzePackage(unpacked)],
		['sources', await analyzePackage(root, SOURCE_FILE_PATTERNS)],
	];
	let failed = 0;
	for (const [leg, result] of legs) {
		process.stdout.write(`${result.passed ? 'ok' : 'not ok'} - scanner, ${leg}${result.passed ? '' : `: ${result.message}\n${result.details ?? ''}`}\n`);
		if (!result.passed) failed++;
	}
	process.stdout.write(`${legs.length - failed} passed, ${failed} failed\n`);
	process.exitCode = failed === 0 ? 0 : 1;
} finally {
	rmSync(folder, { recursive: true, force: true });
}
