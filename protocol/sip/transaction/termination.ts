// A transaction's end as a Promise made on first use: most transactions end without anyone awaiting them,
// so none is allocated for them (one Promise and closure less per message: GC is a large share of a busy
// node's CPU).
export class Termination {
  #promise: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  #done = false;

  /** Settles when settle() has been called (at once if it already was). */
  get promise(): Promise<void> {
    this.#promise ??= this.#done
      ? Promise.resolve()
      : new Promise((resolve) => {
          this.#resolve = resolve;
        });
    return this.#promise;
  }

  settle(): void {
    this.#done = true;
    this.#resolve?.();
  }
}
