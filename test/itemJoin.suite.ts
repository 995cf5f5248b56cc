import type { IExecutePaginationFunctions, INodeExecutionData } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { joinRun, JOIN_IDLE_MS, type JoinedItem } from '../nodes/ThingSpaceSimSecure/helpers/itemJoin';
import type { RequestData } from '../nodes/ThingSpaceSimSecure/helpers/routing';
import { assignParams, imeis, itemsOf, simulatorPerTest } from './fixtures';
import { clockOfTest } from './time';
import type { Simulator } from './simulator/thingspace-simulator';

/** The requests and outputs of a run, without what differs between two runs (requestIds, generated Transaction IDs). */
function shapeOf(sim: Simulator, items: INodeExecutionData[]) {
	const requests = sim.requests
		.filter((request) => request.route === 'assign')
		.map((request) => (request.body as { devices: Array<{ deviceIds: Array<{ id: string }> }> }).devices.map((device) => device.deviceIds[0].id));
	const outputs = items.map((item) => ({
		paired: item.pairedItem,
		deviceCount: item.json.deviceCount,
		requestCount: item.json.requestCount,
		devices: (item.json.requests as Array<{ devices: Array<{ deviceIds: Array<{ id: string }> }> }>).map((request) => request.devices.map((device) => device.deviceIds[0].id)),
	}));
	return { requests, outputs };
}

describe("The engine adapter: items join their node run whatever turns n8n's engine hands them over in", () => {
	const t = simulatorPerTest();
	const ids = imeis(6, 300);
	const params = (requestOptions: Record<string, unknown> = {}) => assignParams({ deviceList: '={{ $json.sims }}', requestOptions });

	it("items handed over one per turn (n8n's Batching, 1 item every 5 ms) make the same requests and outputs as items handed over together", async () => {
		const together = await t.harness.run(params(), itemsOf(ids));
		expect(together.error).toBeUndefined();
		const expected = shapeOf(t.sim, together.items);
		expect(expected.requests).toEqual([ids]);
		t.sim.reset();

		const apart = await t.harness.run(params({ batching: { batch: { batchSize: 1, batchInterval: 5 } } }), itemsOf(ids));
		expect(apart.error).toBeUndefined();
		expect(shapeOf(t.sim, apart.items)).toEqual(expected);
	});

	it(`batches further apart than ${JOIN_IDLE_MS} ms are runs of their own: every item is still sent and answered`, async () => {
		const result = await t.harness.run(params({ batching: { batch: { batchSize: 3, batchInterval: JOIN_IDLE_MS + 150 } } }), itemsOf(ids));
		expect(result.error).toBeUndefined();
		expect(shapeOf(t.sim, result.items).requests).toEqual([ids.slice(0, 3), ids.slice(3)]);
		expect(result.items.map((item) => item.json.deviceCount)).toEqual(Array(6).fill(1));
	});

	it('with Continue On Fail, every batch is still sent after one that failed', async () => {
		t.sim.inject({ route: 'assign', status: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.License.NotAvailable', errorMessage: 'No licenses left.' } });
		const spaced = { batching: { batch: { batchSize: 3, batchInterval: JOIN_IDLE_MS + 150 } } };
		const result = await t.harness.run(params(spaced), itemsOf(ids), { continueOnFail: true });
		expect(t.sim.count('assign')).toBe(2);
		expect(result.items.filter((item) => item.json.requestIds)).toHaveLength(3);
	});
});

/**
 * An engine that hands items over as no n8n release does today (each item after an awaited step, or some
 * never): driven here with contexts that give what the adapter reads of n8n's, so the rule is shown.
 */
describe('The engine adapter with an engine of the future', () => {
	function engine(count: number, continueOnFail: boolean, { batchSize = 0, failing = [] as number[] } = {}) {
		const executeData = { data: { main: [Array.from({ length: count }, () => ({ json: {} }))] } };
		const node = { name: 'ThingSpace SIM-Secure', type: 'thingSpaceSimSecure', typeVersion: 1, position: [0, 0], parameters: {} };
		const contextOf = (itemIndex: number) =>
			({
				getExecuteData: () => executeData,
				getItemIndex: () => itemIndex,
				getNode: () => node,
				getNodeParameter: () => (batchSize ? { batching: { batch: { batchSize, batchInterval: JOIN_IDLE_MS + 150 } } } : {}),
				continueOnFail: () => continueOnFail,
			}) as unknown as IExecutePaginationFunctions;
		const runs: number[][] = [];
		const run = async (items: JoinedItem[]) => {
			runs.push(items.map((item) => item.itemIndex));
			for (const item of items) {
				// Without Continue On Fail, a failed item's error is the run's (as failItem does).
				if (failing.includes(item.itemIndex)) item.settle.reject(new Error(`item ${item.itemIndex} failed`));
				else item.settle.resolve([{ json: { item: item.itemIndex } }]);
			}
		};
		const hand = (itemIndex: number) => joinRun(contextOf(itemIndex), {} as RequestData, run);
		return { runs, hand };
	}

	it('items that come one by one, each after an awaited step, still form one run', async () => {
		const { runs, hand } = engine(4, false);
		const outputs: Array<Promise<INodeExecutionData[]>> = [];
		for (let item = 0; item < 4; item++) {
			outputs.push(hand(item));
			await sleep(30);
		}
		expect((await Promise.all(outputs)).map(([output]) => output.json.item)).toEqual([0, 1, 2, 3]);
		expect(runs).toEqual([[0, 1, 2, 3]]);
	});

	it('a run whose last items never come, without Continue On Fail: nothing is run, each item that came ends with an error that says why', async () => {
		const { runs, hand } = engine(3, false);
		const outputs = [hand(0), hand(1)];
		for (const output of outputs) await expect(output).rejects.toThrow('n8n handed this node 2 of its 3 items, so nothing was sent');
		expect(runs).toEqual([]);
	});

	it('with Continue On Fail (n8n failed the missing item itself), the items that came are run', async () => {
		const { runs, hand } = engine(3, true);
		await Promise.all([hand(0), hand(1)]);
		expect(runs).toEqual([[0, 1]]);
	});

	/** Batches of 3, handed over as n8n's Batching does: each batch in one turn, the next after the interval. */
	async function handBatches(hand: (itemIndex: number) => Promise<INodeExecutionData[]>, batches: number[][]) {
		const outputs: Array<Promise<INodeExecutionData[]>> = [];
		for (const batch of batches) {
			outputs.push(...batch.map(hand));
			// The interval on the test's clock: it moves once the batch's run is quiet, nothing is waited for.
			await clockOfTest().sleep(JOIN_IDLE_MS + 150);
		}
		return await Promise.allSettled(outputs);
	}

	// Through n8n's engine this is `npm run test:e2e`'s Batching case: there a stopped batch's error is read only
	// once every batch was handed over (Promise.allSettled), which jest takes for an unhandled rejection.
	it('Batching: after a batch that stopped the node (n8n still hands over the rest), the later batches are not run', async () => {
		const { runs, hand } = engine(6, false, { batchSize: 3, failing: [1] });
		const settled = await handBatches(hand, [[0, 1, 2], [3, 4, 5]]);
		expect(runs).toEqual([[0, 1, 2]]);
		expect(settled.slice(3).map((outcome) => (outcome as PromiseRejectedResult).reason?.message)).toEqual(
			Array(3).fill('Not sent: an earlier batch of this node ended in an error, and n8n stops the run at it'),
		);
	});

	it('Batching: the next try of Retry On Fail (from item 0 again) runs as before', async () => {
		const { runs, hand } = engine(6, false, { batchSize: 3, failing: [1] });
		await handBatches(hand, [[0, 1, 2], [3, 4, 5]]);
		await handBatches(hand, [[0, 1, 2]]);
		expect(runs).toEqual([[0, 1, 2], [0, 1, 2]]);
	});

	it('Batching: a batch that stops part-way (n8n failed at its next item) runs none of its items', async () => {
		const { runs, hand } = engine(6, false, { batchSize: 3 });
		const settled = await handBatches(hand, [[0, 1, 2], [3, 4]]);
		expect(runs).toEqual([[0, 1, 2]]);
		expect(settled.slice(3).every((outcome) => outcome.status === 'rejected')).toBe(true);
	});
});
