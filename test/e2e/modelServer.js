// A scripted OpenAI-compatible model on 127.0.0.1 for the AI Agent end-to-end test (agent.js). It speaks just
// enough of the Chat Completions API for n8n's OpenAI Chat Model node: without a tool result in the conversation
// it calls the ThingSpace tool with the arguments the test scripted; once the tool's result is in the
// conversation it answers with a final message quoting that result. Every request is recorded, so the test can
// read exactly what the agent sent to the model and what the tool returned.
const http = require('http');

const MODEL = 'scripted-model';
const FINAL_PREFIX = 'ThingSpace answered: ';

/** The text of a message's content: n8n may send a string or an array of content parts. */
function textOf(content) {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) return content.map((part) => (typeof part === 'string' ? part : (part?.text ?? ''))).join('');
	return content == null ? '' : JSON.stringify(content);
}

/** The ThingSpace tool among those the agent offers: the only one, or the one that names ThingSpace. */
function pickTool(tools) {
	const functions = (tools ?? []).filter((tool) => tool?.type === 'function' && tool.function).map((tool) => tool.function);
	if (functions.length <= 1) return functions[0];
	return functions.find((fn) => /thingspace/i.test(`${fn.name} ${fn.description ?? ''}`));
}

/**
 * What the model says to this request: a tool call while the conversation holds fewer tool results than
 * `script.calls` (one), the final message after. `script.toolArguments(fn)` builds the call's arguments from the tool's own schema.
 */
function decide(body, script) {
	const messages = body.messages ?? [];
	const toolMessages = messages.filter((message) => message.role === 'tool');
	if (toolMessages.length > 0 && toolMessages.length >= (script?.calls ?? 1)) {
		const result = textOf(toolMessages[toolMessages.length - 1].content);
		return { kind: 'final', toolResult: result, message: { role: 'assistant', content: `${FINAL_PREFIX}${result}` } };
	}
	const tool = pickTool(body.tools);
	if (!tool || !script) {
		// Nothing to call: say so, so the test fails on a readable answer instead of a hang.
		return { kind: 'final', message: { role: 'assistant', content: `No ThingSpace tool was offered (tools: ${JSON.stringify((body.tools ?? []).map((t) => t.function?.name))})` } };
	}
	const args = script.toolArguments(tool);
	const call = { id: `call_${Math.random().toString(36).slice(2, 12)}`, type: 'function', function: { name: tool.name, arguments: JSON.stringify(args) } };
	return { kind: 'toolCall', tool, toolCall: call, message: { role: 'assistant', content: null, tool_calls: [call] } };
}

const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };

function completion(message) {
	return {
		id: `chatcmpl-${Date.now()}`,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model: MODEL,
		choices: [{ index: 0, message, logprobs: null, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
		usage,
	};
}

/** The same answer as Server-Sent Events, in the chunk shapes OpenAI streams. */
function streamChunks(message, includeUsage) {
	const base = { id: `chatcmpl-${Date.now()}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: MODEL };
	const chunk = (delta, finishReason = null) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
	const chunks = [chunk({ role: 'assistant', content: message.tool_calls ? null : '' })];
	if (message.tool_calls) {
		message.tool_calls.forEach((call, index) => chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }] })));
		chunks.push(chunk({}, 'tool_calls'));
	} else {
		chunks.push(chunk({ content: message.content }), chunk({}, 'stop'));
	}
	if (includeUsage) chunks.push({ ...base, choices: [], usage });
	return chunks;
}

/**
 * Starts the server on 127.0.0.1. `url` is the base URL for the openAiApi credential (…/v1). setScript()
 * gives the next conversation's tool arguments; requests() lists every request with what was answered.
 */
function startModelServer() {
	const recorded = [];
	let script;
	const server = http.createServer((req, res) => {
		let data = '';
		req.setEncoding('utf8');
		req.on('data', (chunk) => (data += chunk));
		req.on('end', () => {
			const entry = { method: req.method, path: req.url, at: Date.now() };
			recorded.push(entry);
			const send = (status, json) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(json));
			if (req.method === 'GET' && req.url.replace(/\?.*/, '') === '/v1/models') {
				// Only the editor's model list asks for this; answered so a person can open the workflow too.
				return send(200, { object: 'list', data: [{ id: MODEL, object: 'model', created: 0, owned_by: 'e2e' }] });
			}
			if (req.method !== 'POST' || req.url.replace(/\?.*/, '') !== '/v1/chat/completions') {
				entry.status = 404;
				return send(404, { error: { message: `not served by the scripted model: ${req.method} ${req.url}`, type: 'invalid_request_error' } });
			}
			try {
				entry.body = JSON.parse(data);
			} catch {
				entry.status = 400;
				return send(400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
			}
			try {
				entry.answer = decide(entry.body, script);
			} catch (error) {
				entry.status = 500;
				return send(500, { error: { message: `script failed: ${error.message}`, type: 'server_error' } });
			}
			entry.status = 200;
			if (!entry.body.stream) return send(200, completion(entry.answer.message));
			res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
			for (const chunk of streamChunks(entry.answer.message, entry.body.stream_options?.include_usage)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
			res.end('data: [DONE]\n\n');
		});
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () =>
			resolve({
				url: `http://127.0.0.1:${server.address().port}/v1`,
				setScript: (next) => (script = next),
				requests: () => recorded.slice(),
				reset: () => {
					recorded.length = 0;
					script = undefined;
				},
				close: () =>
					new Promise((done) => {
						// n8n may keep a pooled connection open; it must not hold the test up.
						server.closeAllConnections?.();
						server.close(() => done());
					}),
			}),
		);
	});
}

module.exports = { FINAL_PREFIX, MODEL, startModelServer };
