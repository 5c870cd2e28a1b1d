/** Ids per `IN (…)` list: far below SQLite's and PostgreSQL's limits on bound parameters. */
const IN_CHUNK = 500;

/** Reads `ids` in `IN (…)` lists of at most 500 (duplicates removed), in the order of the lists. */
export async function chunked<K, T>(ids: readonly K[], read: (ids: K[]) => Promise<T[]>): Promise<T[]> {
  const unique = [...new Set(ids)];
  const found: T[] = [];
  for (let start = 0; start < unique.length; start += IN_CHUNK) {
    found.push(...(await read(unique.slice(start, start + IN_CHUNK))));
  }
  return found;
}
