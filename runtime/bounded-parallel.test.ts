import { describe, expect, it } from 'vitest';
import { forEachBounded } from './bounded-parallel.js';

/** A call that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('forEachBounded', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachBounded(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
        done.push(i);
      },
    );
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBe(4);
  });

  it('a failure: rejects with the first one only after the calls in flight settled, and starts no new ones', async () => {
    const started: number[] = [];
    const slow = gate();
    let slowSettled = false;
    const run = forEachBounded([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      if (i === 0) {
        await slow.promise;
        slowSettled = true;
        return;
      }
      throw new Error(`item ${i} failed`);
    });
    let rejected: unknown;
    run.catch((e: unknown) => {
      rejected = e;
    });
    await new Promise((r) => setImmediate(r));
    expect(rejected).toBeUndefined(); // item 0 is still running
    slow.open();
    await expect(run).rejects.toThrow('item 1 failed');
    expect(slowSettled).toBe(true);
    expect(started).toEqual([0, 1]);
  });
});
