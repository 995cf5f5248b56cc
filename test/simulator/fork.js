// Starts the simulator in a child process (see child.js) and returns a small client for it.
const { fork } = require('child_process');

async function forkSimulator(options) {
	const child = fork(`${__dirname}/child.js`, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
	let next = 0;
	const pending = new Map();
	child.on('message', ({ id, result }) => {
		pending.get(id)?.resolve(result);
		pending.delete(id);
	});
	child.on('exit', (code) => {
		for (const { reject, command } of pending.values()) reject(new Error(`simulator exited (${code}) during ${command}`));
		pending.clear();
	});
	const call = (command, extra = {}) =>
		new Promise((resolve, reject) => {
			const id = ++next;
			pending.set(id, { resolve, reject, command });
			child.send({ id, command, ...extra });
		});
	const { url } = await call('start', { options });
	return {
		url,
		stats: () => call('stats'),
		requests: () => call('requests'),
		inject: (rule) => call('inject', { options: rule }),
		expireSessions: () => call('expireSessions'),
		/** Changes the simulator's settings for later requests, e.g. { reuseSessionToken: true }. */
		configure: (settings) => call('configure', { options: settings }),
		/** { all: true } also restores the account's licences and devices. */
		reset: (options) => call('reset', { options }),
		/** serviceName → {url, username, password} */
		listeners: () => call('listeners'),
		setListener: (name, listener) => call('setListener', { options: { name, listener } }),
		/** Every callback delivery attempt, once none is pending. */
		callbacks: (timeoutMs) => call('callbacks', { options: { timeoutMs } }),
		close: async () => {
			await call('close').catch(() => undefined);
			child.kill();
		},
	};
}

module.exports = { forkSimulator };
