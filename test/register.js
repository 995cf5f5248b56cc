// Lets the plain-JavaScript scripts (demo, bench) load the TypeScript harness and node sources.
// n8n's logger would print every handled error; the scripts print their own lines.
process.env.N8N_LOG_LEVEL = process.env.N8N_LOG_LEVEL || 'silent';
require('ts-node').register({ transpileOnly: true, project: `${__dirname}/tsconfig.json` });
// "X.node" must resolve to X.node.ts, not to the codex file X.node.json: try .ts before .json, as jest does.
const json = require.extensions['.json'];
delete require.extensions['.json'];
require.extensions['.json'] = json;
