// When the next binding expires, without looking at every binding: a binary min-heap of (time, AoR) entries.
// The registrar pushes an AoR's earliest expiry each time its bindings change; entries a later change made
// stale stay in the heap until they reach the top, where the registrar drops them (lazy deletion). Push and
// pop are O(log n), so a REGISTER costs the same with 10 bindings or 100,000.

export interface ExpiryEntry {
  /** Milliseconds since the epoch. */
  at: number;
  aor: string;
}

export class ExpiryHeap {
  readonly #items: ExpiryEntry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): ExpiryEntry | undefined {
    return this.#items[0];
  }

  push(entry: ExpiryEntry): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= entry.at) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): ExpiryEntry | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]!.at < items[left]!.at ? right : left;
      if (items[child]!.at >= last.at) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
