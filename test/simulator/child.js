// The simulator in a process of its own, driven over the IPC channel of child_process.fork:
// the benchmark uses it so that the simulator's work and memory are not counted as the node's,
// and the end-to-end tests so that real n8n, in another process, can reach it.
const { startSimulator } = require('./thingspace-simulator');

let sim;

process.on('message', async ({ id, command, options }) => {
	let result;
	if (command === 'start') {
		sim = await startSimulator(options);
		result = { url: sim.url };
	} else if (command === 'stats') {
		const sent = sim.devicesSent('assign');
		result = {
			assign: sim.count('assign'),
			auth: sim.count('token') + sim.count('login'),
			maxInFlight: sim.maxInFlight('assign'),
			distinctDevices: sent.size,
			allOnce: [...sent.values()].every((times) => times === 1),
			sentMoreThanOnce: [...sent.values()].filter((times) => times > 1).length,
			rateLimited: sim.requests.filter((request) => request.route === 'assign' && request.status === 429).length,
			requests: sim.requests.length,
			connections: sim.connections(),
		};
	} else if (command === 'inject') {
		sim.inject(options);
		result = {};
	} else if (command === 'configure') {
		// Later requests follow these settings (e.g. reuseSessionToken).
		Object.assign(sim.config, options);
		result = {};
	} else if (command === 'expireSessions') {
		sim.expireSessions();
		result = {};
	} else if (command === 'requests') {
		result = sim.requests.map(({ route, method, status, body, headers, answer, applied, at }) => ({
			route,
			method,
			status,
			body,
			answer,
			applied,
			requestId: headers['x-request-id'],
			// The tokens n8n sent, so a test can make sure none of them shows up in n8n's output.
			bearer: (headers.authorization || '').replace(/^(Bearer|Basic)\s+/i, ''),
			session: headers['vz-m2m-token'],
			at,
		}));
	} else if (command === 'listeners') {
		result = Object.fromEntries(sim.state.callbacks);
	} else if (command === 'setListener') {
		sim.state.callbacks.set(options.name, options.listener);
		result = {};
	} else if (command === 'callbacks') {
		// Waits until no delivery is pending (bounded by the simulator's own timeout), then lists them all.
		result = await sim.callbacksSettled(options?.timeoutMs ?? 30000).then(
			() => sim.callbacksDelivered,
			(error) => ({ error: error.message }),
		);
	} else if (command === 'reset') {
		sim.reset(options);
		result = {};
	} else if (command === 'close') {
		await sim.close();
		result = {};
	}
	process.send({ id, result });
	if (command === 'close') process.disconnect();
});
