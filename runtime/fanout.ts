// Synchronous fan-out to listeners; a throwing listener never disturbs the publisher or the others.

export type Listener<T> = (value: T) => void;

export class Fanout<T> {
  readonly #listeners = new Set<Listener<T>>();

  constructor(private readonly onListenerError?: (err: unknown) => void) {}

  subscribe(listener: Listener<T>): () => void {
    // Wrap so that the same function can subscribe twice and unsubscribe each independently.
    const entry: Listener<T> = (value) => listener(value);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  get size(): number {
    return this.#listeners.size;
  }

  publish(value: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(value);
      } catch (err) {
        this.onListenerError?.(err);
      }
    }
  }
}
