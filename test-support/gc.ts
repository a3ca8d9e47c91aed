// Garbage-collection checks for tests that assert what a component does not keep alive.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** The real one, taken before a test can fake timers: the check needs a real turn of the event loop. */
const realSetImmediate = setImmediate;

/**
 * Whether each object behind `refs` is gone after a full GC. WeakRef targets (and what a WeakRef was just made
 * of) stay alive until the current turn of the event loop ends, so the check first lets it end.
 */
export async function collected(...refs: Array<WeakRef<object>>): Promise<boolean[]> {
  await new Promise<void>((resolve) => realSetImmediate(resolve));
  gc();
  return refs.map((ref) => ref.deref() === undefined);
}
