/** How many entries a memory of this process holds at most (per credential or per login: logins, paces). */
const MAX_ENTRIES = 1000;

/** Adds to a memory of at most `limit` keys, forgetting the oldest first. */
export function rememberBounded<T>(
	map: Map<string, T> | Set<string>,
	key: string,
	value?: T,
	limit = MAX_ENTRIES,
): void {
	if (map instanceof Set) map.add(key);
	else map.set(key, value as T);
	while (map.size > limit) map.delete(map.keys().next().value as string);
}
