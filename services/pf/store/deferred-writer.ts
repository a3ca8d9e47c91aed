// The deferred store's writes for the message path: each call is queued on a WriteBatcher and resolves once
// committed (see write-batcher.ts for the trade-offs). Reads stay on DeferredStore (indexed point reads).
import type { DeliveryStatus } from '../domain/index.js';
import type {
  DeferredItemInput,
  DeferredStore,
  EnqueueResult,
  SetDeliveryStatusOptions,
} from './deferred-store.js';
import type { WriteBatcher } from './write-batcher.js';

export class DeferredWriter {
  readonly #store: DeferredStore;
  readonly #batcher: WriteBatcher;

  constructor(store: DeferredStore, batcher: WriteBatcher) {
    this.#store = store;
    this.#batcher = batcher;
  }

  /** Store an item (for a participant not connected to the session); resolves when durable. */
  enqueue(input: DeferredItemInput): Promise<EnqueueResult> {
    return this.#batcher.run(() => this.#store.enqueue(input));
  }

  /** Store the copies of one message for several recipients atomically. */
  enqueueMany(inputs: readonly DeferredItemInput[]): Promise<EnqueueResult[]> {
    return this.#batcher.run(() => this.#store.enqueueMany(inputs));
  }

  /** After MSRP 200 OK for every chunk of the item. Idempotent. */
  ack(itemId: number): Promise<boolean> {
    return this.#batcher.run(() => this.#store.ack(itemId));
  }

  drop(recipient: string, groupId: string): Promise<number> {
    return this.#batcher.run(() => this.#store.drop(recipient, groupId));
  }

  setDeliveryStatus(
    recipient: string,
    groupId: string,
    status: DeliveryStatus,
    options?: SetDeliveryStatusOptions,
  ): Promise<void> {
    return this.#batcher.run(() => {
      this.#store.setDeliveryStatus(recipient, groupId, status, options);
    });
  }

  flush(): Promise<void> {
    return this.#batcher.flush();
  }
}
