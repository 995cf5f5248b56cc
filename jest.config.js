process.env.N8N_LOG_LEVEL = process.env.N8N_LOG_LEVEL || 'silent';
// The tests allocate much and briefly (n8n copies a node's parameters on every read): a larger young generation
// spares the workers most of their garbage collection (about a tenth of the suite's CPU). Workers inherit it.
if (!/--max-semi-space-size/.test(process.env.NODE_OPTIONS || '')) {
	process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS || ''} --max-semi-space-size=64`.trim();
}
// The suite runs twice: on n8n 2.x (n8n-core/n8n-workflow 2.41) and on n8n 1.x (n8n-core 1.122 with its own n8n-workflow),
// because the node must behave the same on both.
const base = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// Every test on a clock that moves instead of waiting (test/time.ts).
	setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
};

module.exports = {
	testTimeout: 60000,
	// A worker per core: jest's default (cores - 1) runs a 2-core machine's suite in a single process.
	maxWorkers: '100%',
	// n8n-core 1.x's request helper leaves a half-closed client socket after a run, which would keep
	// jest waiting forever; every server and timer of our own is closed by the tests themselves.
	forceExit: true,
	projects: [
		// n8nMajor: how the harness's credential store follows that version's CredentialsHelper (test/harness.ts).
		{ ...base, displayName: 'n8n 2.x', globals: { n8nMajor: 2 } },
		{
			...base,
			displayName: 'n8n 1.x',
			globals: { n8nMajor: 1 },
			moduleNameMapper: {
				'^n8n-core$': '<rootDir>/node_modules/n8n-core-v1',
				'^n8n-workflow$': '<rootDir>/node_modules/n8n-core-v1/node_modules/n8n-workflow',
			},
		},
	],
};
