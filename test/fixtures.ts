import { luhnCheckDigit } from '../nodes/ThingSpaceSimSecure/helpers/deviceChecks';
import { startSimulator, type Simulator, type SimulatorOptions } from './simulator/thingspace-simulator';
import { freshProcess, Harness, simulatorCredentials } from './harness';
import { testClock } from './time';

/** The n-th valid IMEI of a test range: 14 digits plus its Luhn check digit. */
export function imei(n: number): string {
	const payload = `35693803${String(n).padStart(6, '0')}`;
	return `${payload}${luhnCheckDigit(payload)}`;
}

/** The n-th valid 20-digit ICCID of a test range. */
export function iccid(n: number): string {
	const payload = `891480000041${String(n).padStart(7, '0')}`;
	return `${payload}${luhnCheckDigit(payload)}`;
}

export const imeis = (count: number, from = 0) => Array.from({ length: count }, (_, i) => imei(from + i));

/** One input item per id, the id in `sims` (for Device List `{{ $json.sims }}`). */
export const itemsOf = (ids: string[], extra: Record<string, unknown> = {}) =>
	ids.map((sims) => ({ json: { sims, ...extra } }));

/** UI collection value for these IMEIs, as the editor stores it. */
export function collectionOf(...ids: Array<Array<{ kind: string; id: string }>>) {
	return { device: ids.map((deviceIds) => ({ deviceIds: { deviceId: deviceIds } })) };
}

export const assignParams = (extra: Record<string, unknown> = {}) => ({
	resource: 'license',
	operation: 'assign',
	skuNumber: 'SIMSec-IoT',
	deviceSource: 'list',
	deviceKind: 'IMEI',
	...extra,
});

/** A simulator and a harness whose credential points at it, with a cold login cache; both on the test's clock (test/time.ts). */
export async function setUp(options: SimulatorOptions = {}, credentialExtra = {}) {
	freshProcess();
	const sim: Simulator = await startSimulator({ licenses: { 'SIMSec-IoT': 100000 }, clock: testClock(), ...options });
	const harness = new Harness(simulatorCredentials(sim, credentialExtra));
	return { sim, harness };
}

/** A fresh simulator and harness for each test of the enclosing describe block, closed after it. */
export function simulatorPerTest(options: SimulatorOptions = {}, credentialExtra = {}) {
	const context = {} as { sim: Simulator; harness: Harness };
	beforeEach(async () => {
		Object.assign(context, await setUp(options, credentialExtra));
	});
	afterEach(async () => {
		await context.sim.close();
	});
	return context;
}

/** Every string an error or item could leak, flattened (message, description, cause chain, context). */
export function everythingIn(value: unknown): string {
	const seen = new Set<unknown>();
	const walk = (entry: unknown): string => {
		if (entry === null || entry === undefined) return '';
		if (typeof entry !== 'object') return String(entry);
		if (seen.has(entry)) return '';
		seen.add(entry);
		const own = Object.getOwnPropertyNames(entry).map((key) => `${key}=${walk((entry as Record<string, unknown>)[key])}`);
		return own.join('\n');
	};
	return walk(value);
}
