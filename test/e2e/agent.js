#!/usr/bin/env node
// `node test/e2e/agent.js`: n8n's AI Agent calls this package's node as a tool, in real n8n 1.x and 2.x (the
// TARGETS of n8n.js; N8N_E2E_ONLY picks one). The agent's language model is n8n's OpenAI Chat Model node,
// pointed at a scripted OpenAI-compatible server on 127.0.0.1 (modelServer.js) that decides which tool call
// the "model" makes; the tool's credential points at the simulator. Workflows run with `n8n execute`.
const assert = require('assert/strict');
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

require('../register');
const { forkSimulator } = require('../simulator/fork');
const { imeis } = require('../fixtures');
const { FINAL_PREFIX, startModelServer } = require('./modelServer');
const { NODE_TYPE, finish, TARGETS, freePort, installInto, installN8n, log, n8nEnv, nodeBin, packPackage, resultDataOf, simulatorCredential } = require('./n8n');

const CLI_TIMEOUT_MS = 6 * 60 * 1000;
const AGENT = 'AI Agent';
const TOOL = 'ThingSpace SIM-Secure';
const MODEL_CREDENTIAL = { id: 'e2eScriptedModel', name: 'Scripted model' };
const SIM_CREDENTIAL = { id: 'tsSimCredential', name: 'ThingSpace simulator' };
const TOOL_DESCRIPTION =
	'Assigns a Verizon ThingSpace SIM-Secure license to SIMs, given their IMEIs. Returns the ThingSpace request ID, or an error that names each bad IMEI.';

// Agent 3 and Chat Model 1.2 exist in both n8n 1.123 and 2.41. Chat Model 1.3 would default to the Responses
// API; 1.2 always uses Chat Completions, which is what the scripted server speaks.
const AGENT_VERSION = 3;
const CHAT_MODEL_VERSION = 1.2;

/** Manual Trigger → AI Agent, with the OpenAI Chat Model as its model and ThingSpace SIM-Secure as its tool. */
function agentWorkflow(id, prompt, { failWhenNotLicensed = false, agentVersion = AGENT_VERSION } = {}) {
	const flow = {
		id,
		name: id,
		active: false,
		// As the editor saves every new workflow. Under the legacy order (v0, what an import without settings
		// gets) n8n 2.41 resumes Agent 3 before its tool has run, and the model gets an empty tool result.
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'agent',
				name: AGENT,
				type: '@n8n/n8n-nodes-langchain.agent',
				typeVersion: agentVersion,
				position: [250, 0],
				parameters: { promptType: 'define', text: prompt, options: { maxIterations: 4, ...(failWhenNotLicensed ? { returnIntermediateSteps: true } : {}) } },
			},
			{
				id: 'model',
				name: 'OpenAI Chat Model',
				type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				typeVersion: CHAT_MODEL_VERSION,
				position: [150, 250],
				// No retries: a failed call must show up as a failure, not as a second request to the script.
				parameters: { model: { __rl: true, mode: 'id', value: 'scripted-model' }, options: { maxRetries: 0, timeout: 60000 } },
				credentials: { openAiApi: MODEL_CREDENTIAL },
			},
			{
				id: 'tool',
				name: TOOL,
				type: `${NODE_TYPE}Tool`,
				typeVersion: 1,
				position: [400, 250],
				parameters: {
					descriptionType: 'manual',
					toolDescription: TOOL_DESCRIPTION,
					resource: 'license',
					operation: 'assign',
					skuNumber: 'SIMSec-IoT',
					deviceSource: 'list',
					deviceKind: 'IMEI',
					deviceList: "={{ $fromAI('imeis', 'The IMEIs of the SIMs to license, separated by commas', 'string') }}",
				},
				credentials: { thingSpaceApi: SIM_CREDENTIAL },
			},
		],
		connections: {
			Start: { main: [[{ node: AGENT, type: 'main', index: 0 }]] },
			'OpenAI Chat Model': { ai_languageModel: [[{ node: AGENT, type: 'ai_languageModel', index: 0 }]] },
			[TOOL]: { ai_tool: [[{ node: AGENT, type: 'ai_tool', index: 0 }]] },
		},
	};
	if (failWhenNotLicensed) {
		// The README's recipe: the agent's intermediate steps, an If on licensed: false, and Stop and Error.
		flow.nodes.push(
			{
				id: 'notLicensed',
				name: 'Not Licensed?',
				type: 'n8n-nodes-base.if',
				typeVersion: 2,
				position: [500, 0],
				parameters: {
					conditions: {
						options: { caseSensitive: true, leftValue: '', typeValidation: 'loose' },
						conditions: [{ id: 'c1', leftValue: '={{ /licensed\\W+false/.test(JSON.stringify($json.intermediateSteps ?? [])) }}', rightValue: '', operator: { type: 'boolean', operation: 'true', singleValue: true } }],
						combinator: 'and',
					},
					options: {},
				},
			},
			{ id: 'stop', name: 'Stop', type: 'n8n-nodes-base.stopAndError', typeVersion: 1, position: [700, 0], parameters: { errorMessage: 'ThingSpace licensing was not done' } },
		);
		flow.connections[AGENT] = { main: [[{ node: 'Not Licensed?', type: 'main', index: 0 }]] };
		flow.connections['Not Licensed?'] = { main: [[{ node: 'Stop', type: 'main', index: 0 }], []] };
	}
	return flow;
}

/**
 * The scripted model's tool call: the given IMEIs in the one parameter the tool's own schema declares (n8n
 * derives the schema from $fromAI; its name is read from the request, not guessed).
 */
const callWith = (value, calls = 1) => ({
	calls,
	toolArguments: (tool) => {
		const names = Object.keys(tool.parameters?.properties ?? {});
		assert.equal(names.length, 1, `the tool should take one parameter, its schema has: ${names.join(', ')}`);
		return { [names[0]]: value };
	},
});

/** What the agent printed last: the json of its final run's first item. */
function agentOutput(resultData) {
	const runs = resultData.runData[AGENT] ?? [];
	return runs.map((run) => run.data?.main?.[0]?.[0]?.json).filter(Boolean).pop();
}

/** The items the tool node handed the agent (its output is logged under ai_tool). */
const toolItems = (resultData) => (resultData.runData[TOOL] ?? []).map((run) => (run.data?.ai_tool?.[0] ?? []).map((item) => item.json));

/** The chat completion requests, each with what the scripted model answered. */
const completions = (model) => model.requests().filter((request) => request.path.startsWith('/v1/chat/completions'));

const ids = imeis(3, 7100);
const good = imeis(1, 7200)[0];
// A valid IMEI with its last digit changed: only the Luhn check digit is wrong.
const badImei = good.slice(0, 14) + String((Number(good[14]) + 1) % 10);
const assigns = (requests) => requests.filter((request) => request.route === 'assign');

/** The first request offered the tool as the workflow describes it, and the model called it. */
function offeredAndCalled(calls) {
	assert.ok(calls.length > 0, 'the agent never asked the model');
	assert.equal(calls[0].answer.kind, 'toolCall', `the model was not offered the tool: ${calls[0].answer.message.content}`);
	assert.equal(calls[0].answer.tool.description, TOOL_DESCRIPTION);
}

const CASES = [
	{
		name: 'the model licenses 3 IMEIs through the tool and quotes its requestId',
		workflow: agentWorkflow('agentAssign', `License SIM-Secure for these SIMs: ${ids.join(', ')}`),
		script: callWith(ids.join(',')),
		check: ({ resultData, calls, requests }) => {
			offeredAndCalled(calls);
			assert.ok(!resultData.error, `the execution failed: ${resultData.error?.message}`);
			assert.equal(assigns(requests).length, 1);
			assert.deepEqual(
				assigns(requests)[0].body.devices,
				ids.map((id) => ({ deviceIds: [{ id, kind: 'IMEI' }] })),
			);
			const [items] = toolItems(resultData);
			const requestId = items?.[0]?.requestIds?.[0];
			assert.match(String(requestId), /^[0-9a-f-]{36}$/, 'the tool reports the ThingSpace requestId');
			assert.equal(calls.length, 2, 'one request with the tool call, one with its result');
			assert.ok(calls[1].answer.toolResult.includes(requestId), `the tool result the model got lacks ${requestId}`);
			assert.equal(agentOutput(resultData)?.output, `${FINAL_PREFIX}${calls[1].answer.toolResult}`);
		},
	},
	{
		name: 'a bad IMEI: nothing sent, the model reads the Luhn error and the agent still answers',
		workflow: agentWorkflow('agentBadImei', `License SIM-Secure for this SIM: ${badImei}`),
		script: callWith(badImei),
		check: ({ resultData, calls, requests }) => {
			offeredAndCalled(calls);
			assert.equal(assigns(requests).length, 0, 'no assign request reaches ThingSpace');
			assert.ok(!resultData.error, `the whole execution failed instead of the tool answering: ${resultData.error?.message}`);
			assert.equal(calls.length, 2, 'one request with the tool call, one with its result');
			const result = calls[1].answer.toolResult;
			assert.match(result, /wrong check digit \(Luhn\)/);
			assert.ok(result.includes(badImei), 'the result names the IMEI');
			assert.equal(agentOutput(resultData)?.output, `${FINAL_PREFIX}${result}`);
		},
	},
	// Agent 2.2 calls its tools inside its own execution, and n8n gives each call the agent's execute data; Agent 3
	// runs each call as a node execution. Either way, what one call sent must not make the next skip its SIM.
	...[3, 2.2].map((agentVersion, n) => ({
		name: `two calls of the tool in one run of Agent ${agentVersion} each send their SIM`,
		workflow: agentWorkflow(`agentTwoCalls${n}`, `License SIM-Secure for this SIM, twice: ${imeis(1, 7400 + n)[0]}`, { agentVersion }),
		script: callWith(imeis(1, 7400 + n)[0], 2),
		check: ({ resultData, calls, requests }) => {
			offeredAndCalled(calls);
			assert.ok(!resultData.error, `the execution failed: ${resultData.error?.message}`);
			assert.equal(calls.length, 3, 'two requests with a tool call, one with the last result');
			assert.equal(assigns(requests).length, 2, 'each call sent its SIM to ThingSpace');
		},
	})),
	{
		name: 'the README\'s recipe: a licensing ThingSpace refused (licensed: false) fails the execution',
		workflow: agentWorkflow('agentRefusedFails', `License SIM-Secure for this SIM: ${good}`, { failWhenNotLicensed: true }),
		before: (sim) => sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' } }),
		script: callWith(good),
		check: ({ resultData, calls }) => {
			offeredAndCalled(calls);
			assert.match(calls[1].answer.toolResult, /licensed\W+false/);
			assert.equal(resultData.error?.message, 'ThingSpace licensing was not done', `the execution did not fail: ${JSON.stringify(resultData.error ?? null)}`);
		},
	},
	{
		name: 'the same recipe lets a licensing that was done through',
		workflow: agentWorkflow('agentLicensedPasses', `License SIM-Secure for this SIM: ${imeis(1, 7300)[0]}`, { failWhenNotLicensed: true }),
		script: callWith(imeis(1, 7300)[0]),
		check: ({ resultData, requests }) => {
			assert.equal(assigns(requests).length, 1);
			assert.ok(!resultData.error, `the execution failed: ${resultData.error?.message}`);
		},
	},
];

/** The process groups of the n8n commands running now: stopped if this script is stopped. */
const running = new Set();
const stopGroup = (pid) => {
	try {
		process.kill(-pid, 'SIGKILL');
	} catch {
		// already gone
	}
};
process.on('exit', () => running.forEach(stopGroup));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

/** Runs an n8n command without blocking this process (the model server answers from it); bounded. */
function cli(n8n, args, env) {
	return new Promise((resolve) => {
		// Its own process group, so a timeout stops n8n and anything it started, and nothing else.
		const child = spawn(n8n, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
		running.add(child.pid);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			stopGroup(child.pid);
		}, CLI_TIMEOUT_MS);
		child.on('close', (status) => {
			clearTimeout(timer);
			running.delete(child.pid);
			resolve({ status, stdout, stderr, timedOut });
		});
	});
}

async function runTarget(target, tarball) {
	const major = Number(target.version.split('.')[0]);
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-agent-'));
	const results = [];
	let sim;
	let model;
	try {
		sim = await forkSimulator({});
		model = await startModelServer();
		installInto(home, tarball);
		// n8n 2.x starts a task broker in every process; each gets a free port, other n8n processes may be running.
		const env = async () => n8nEnv(home, bin, { N8N_LOG_LEVEL: 'info', N8N_LOG_FORMAT: 'json', ...(major >= 2 ? { N8N_RUNNERS_BROKER_PORT: String(await freePort()) } : {}) });
		const run = async (...args) => {
			const result = await cli(n8n, args, await env());
			if (result.timedOut) throw new Error(`n8n ${args[0]} did not finish within ${CLI_TIMEOUT_MS / 1000} s`);
			return result;
		};
		const credentials = path.join(home, 'credentials.json');
		const openAi = { ...MODEL_CREDENTIAL, type: 'openAiApi', data: { apiKey: 'sk-e2e-scripted', url: model.url, header: false } };
		fs.writeFileSync(credentials, JSON.stringify([...simulatorCredential(sim.url), openAi]));
		const imported = await run('import:credentials', `--input=${credentials}`);
		assert.equal(imported.status, 0, `credential import: ${imported.stderr.slice(-1000)}`);
		const workflows = path.join(home, 'workflows');
		fs.mkdirSync(workflows);
		for (const testCase of CASES) fs.writeFileSync(path.join(workflows, `${testCase.workflow.id}.json`), JSON.stringify(testCase.workflow));
		const importedFlows = await run('import:workflow', '--separate', `--input=${workflows}`);
		assert.equal(importedFlows.status, 0, `workflow import: ${importedFlows.stderr.slice(-1000)}`);

		for (const testCase of CASES) {
			const started = Date.now();
			try {
				await sim.reset();
				await testCase.before?.(sim);
				model.reset();
				model.setScript(testCase.script);
				const result = await run('execute', `--id=${testCase.workflow.id}`, '--rawOutput');
				const resultData = resultDataOf(`${result.stdout}\n${result.stderr}`);
				const calls = completions(model);
				const requests = await sim.requests();
				// What went over the wire, for whoever reads the log.
				const toolCall = calls.find((call) => call.answer?.kind === 'toolCall');
				if (toolCall) log(`# ${target.name} - tool offered: ${JSON.stringify({ name: toolCall.answer.tool.name, parameters: toolCall.answer.tool.parameters?.properties })}`);
				if (toolCall) log(`# ${target.name} - tool call sent: ${JSON.stringify(toolCall.answer.toolCall)}`);
				for (const call of calls.filter((entry) => entry.answer?.toolResult !== undefined)) log(`# ${target.name} - tool result received: ${call.answer.toolResult}`);
				log(`# ${target.name} - simulator calls: ${JSON.stringify(requests.map((request) => `${request.method} ${request.route} ${request.status}`))}`);
				if (result.status !== 0) log(`# ${target.name} - n8n execute exited with ${result.status}`);
				if (resultData.error) log(`# ${target.name} - execution error: ${JSON.stringify({ message: resultData.error.message, node: resultData.error.node?.name, description: resultData.error.description })}`);
				await testCase.check({ resultData, calls, requests });
				results.push(true);
				log(`ok - ${target.name} - ${testCase.name} (${Date.now() - started} ms)`);
			} catch (failure) {
				results.push(false);
				log(`not ok - ${target.name} - ${testCase.name}\n  ${String(failure.stack ?? failure).split('\n').slice(0, 6).join('\n  ')}`);
			}
		}
	} finally {
		await model?.close();
		await sim?.close();
		fs.rmSync(home, { recursive: true, force: true });
	}
	return results;
}

async function main() {
	const tarball = packPackage();
	const results = [];
	try {
		for (const target of TARGETS) {
			const started = Date.now();
			try {
				results.push(...(await runTarget(target, tarball)));
			} catch (error) {
				results.push(false);
				log(`not ok - ${target.name} - setup\n  ${String(error.stack ?? error).split('\n').slice(0, 6).join('\n  ')}`);
			}
			log(`# ${target.name} (${target.version}): ${Math.round((Date.now() - started) / 1000)} s`);
		}
	} finally {
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
	finish(results);
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
