// Work over many items with a bound on how much runs at once: a lab with thousands of clients provisions and
// registers them without waiting for each in turn (each waits on round trips and a store commit), and
// without opening thousands of requests at once.

/**
 * Run `fn` for every item, at most `limit` at once. Resolves when every call is done; if any failed, rejects
 * with the first failure once every call already started has settled (none is left running), and starts no
 * new ones after it.
 */
export async function forEachBounded<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure) {
      const next = iterator.next();
      if (next.done) return;
      try {
        await fn(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(limit)) }, worker));
  if (failure) throw failure.error;
}
