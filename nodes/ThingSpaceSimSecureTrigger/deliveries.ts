import { rememberBounded } from '../shared/bounded';
import { clock } from '../shared/clock';

/**
 * Messages already seen by one trigger node, so that ThingSpace's repeated deliveries start one
 * execution. Bounded in time and in size: retries come minutes apart (Verizon's examples: up to
 * 4 attempts), so an hour covers them, and the oldest keys go first when the size is reached.
 */
export const DEDUPE_WINDOW_MS = 60 * 60 * 1000;
export const DEDUPE_MAX_KEYS = 50_000;

export class RecentDeliveries {
	private readonly seen = new Map<string, number>();

	constructor(
		private readonly windowMs = DEDUPE_WINDOW_MS,
		private readonly maxKeys = DEDUPE_MAX_KEYS,
	) {}

	/** True the first time a key is seen within the window; records it. */
	firstTime(key: string, now = clock.now()): boolean {
		this.evict(now);
		const at = this.seen.get(key);
		if (at !== undefined && now - at < this.windowMs) return false;
		this.seen.delete(key); // re-insert at the end, so insertion order stays time order
		rememberBounded(this.seen, key, now, this.maxKeys);
		return true;
	}

	get size(): number {
		return this.seen.size;
	}

	private evict(now: number): void {
		for (const [key, at] of this.seen) {
			if (now - at < this.windowMs) break;
			this.seen.delete(key);
		}
	}
}

/** One memory per trigger node of a workflow, in this n8n process. */
const byNode = new Map<string, RecentDeliveries>();

export function deliveriesOf(workflowId: string, nodeId: string): RecentDeliveries {
	const key = `${workflowId}\u0000${nodeId}`;
	let deliveries = byNode.get(key);
	if (!deliveries) {
		deliveries = new RecentDeliveries();
		byNode.set(key, deliveries);
	}
	return deliveries;
}

/** Forgets every node's memory (tests). */
export function resetDeliveries(): void {
	byNode.clear();
}
