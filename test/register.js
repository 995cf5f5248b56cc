// Lets the plain-JavaScript scripts (demo, bench) load the TypeScript harness and node sources.
// n8n's logger would print every handled error; the scripts print their own lines.
process.env.N8N_LOG_LEVEL = process.env.N8N_LOG_LEVEL || 'silent';
// N8N_CORE=1 runs the scripts on n8n-core 1.x with its own n8n-workflow, as jest's "n8n 1.x" project does.
if (process.env.N8N_CORE === '1') {
	const Module = require('module');
	const path = require('path');
	const v1 = path.join(__dirname, '..', 'node_modules', 'n8n-core-v1');
	const aliases = { 'n8n-core': v1, 'n8n-workflow': path.join(v1, 'node_modules', 'n8n-workflow') };
	const resolve = Module._resolveFilename;
	Module._resolveFilename = function (request, ...rest) {
		return resolve.call(this, aliases[request] ?? request, ...rest);
	};
}
require('ts-node').register({ transpileOnly: true, project: `${__dirname}/tsconfig.json` });
// "X.node" must resolve to X.node.ts, not to the codex file X.node.json: try .ts before .json, as jest does.
const json = require.extensions['.json'];
delete require.extensions['.json'];
require.extensions['.json'] = json;
