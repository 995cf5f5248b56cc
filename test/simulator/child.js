// The simulator in a process of its own, driven over the IPC channel of child_process.fork.
// The benchmark uses it so that the simulator's work and memory are not counted as the node's.
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
		};
	} else if (command === 'close') {
		await sim.close();
		result = {};
	}
	process.send({ id, result });
	if (command === 'close') process.disconnect();
});
