// The deferred store as the roles use it (protocol profile §4): storing a payload for members who are not
// connected (resolves once committed, so the sender's MSRP 200 can wait for it), the source a delivery reads
// from (including writes still in flight), and the "backlog first, then live traffic" of a session leg
// (A2.i). It tells whoever listens what it stored (`stored`): the participating role delivers at once to a
// registered member.
import { EventEmitter } from 'node:events';
import type { Logger, NodeEvents } from '../../runtime/index.js';
import { type BacklogSource, DeliveryInterrupted, flushBacklog } from './deferred-delivery.js';
import type { CpimPayloadInfo } from './domain/index.js';
import type { ErrorSink } from './error-sink.js';
import { pairKey } from './in-flight.js';
import type { Leg } from './leg.js';
import type { DeferredItemInput, DeferredWriter, PfStores, WriteBatcher } from './store/index.js';

export type BacklogEvents = {
  /** An item was committed for `recipient` in `groupId` (not a duplicate). */
  stored: [recipient: string, groupId: string];
};

export interface BacklogDeps {
  stores: PfStores;
  writer: DeferredWriter;
  batcher: WriteBatcher;
  events: NodeEvents;
  logger: Logger;
  sink: ErrorSink;
  /** How long a leg's MSRP session may take to bind before its delivery is given up (ms). */
  msrpTimeoutMs: number;
}

export class Backlog extends EventEmitter<BacklogEvents> {
  readonly #deps: BacklogDeps;
  readonly #pendingWrites = new Map<string, Set<Promise<unknown>>>();

  constructor(deps: BacklogDeps) {
    super();
    this.#deps = deps;
  }

  /** Store a payload for members not connected (protocol profile §4); nothing acknowledged is dropped. */
  store(
    groupId: string,
    recipients: string[],
    body: Buffer,
    contentType: string,
    info: CpimPayloadInfo,
  ): Promise<void> {
    const { events, logger, writer } = this.#deps;
    const inputs: DeferredItemInput[] = recipients.map((recipient) => ({
      recipient,
      groupId,
      kind: info.kind,
      messageId: info.messageId,
      sender: info.sender,
      contentType,
      body,
    }));
    const write = writer.enqueueMany(inputs);
    const keys = recipients.map((r) => pairKey(r, groupId));
    for (const k of keys) {
      const set = this.#pendingWrites.get(k) ?? new Set<Promise<unknown>>();
      this.#pendingWrites.set(k, set);
      set.add(write);
    }
    write
      .then(
        (results) => {
          results.forEach((r, i) => {
            events.emit(r.stored ? 'message-stored' : 'message-duplicate', {
              groupId,
              recipient: recipients[i],
              messageId: info.messageId,
              kind: info.kind,
              sender: info.sender,
            });
          });
          for (const [i, r] of results.entries()) if (r.stored) this.emit('stored', recipients[i]!, groupId);
        },
        (err: unknown) => logger.error('deferred store write failed', { groupId, error: String(err) }),
      )
      .finally(() => {
        for (const k of keys) {
          const set = this.#pendingWrites.get(k);
          set?.delete(write);
          if (set?.size === 0) this.#pendingWrites.delete(k);
        }
      });
    // Settles when the items are committed (the sender's MSRP 200 waits for it); rejects if the write failed.
    return write.then(() => undefined);
  }

  /** What a delivery reads: the store, its writer, and the writes for (user, group) not committed yet. */
  source(): BacklogSource {
    return {
      store: this.#deps.stores.deferred,
      writer: this.#deps.writer,
      pendingWrites: (user: string, groupId: string) => {
        const set = this.#pendingWrites.get(pairKey(user, groupId));
        return set && set.size > 0 ? Promise.allSettled([...set]).then(() => undefined) : undefined;
      },
    };
  }

  /**
   * A2.i: a session leg gets its backlog first, then live traffic. Records the delivery (finished, or back to
   * pending when interrupted). Resolves with the number of items delivered; rejects with DeliveryInterrupted.
   */
  async flushThenLive(leg: Leg): Promise<number> {
    const { user, groupId } = leg;
    const { stores, batcher, writer, events, sink } = this.#deps;
    try {
      await leg.bound(this.#deps.msrpTimeoutMs);
      const delivered = await flushBacklog(this.source(), leg, {
        onDelivered: (item) => events.emit('item-delivered', { user, groupId, messageId: item.messageId }),
      });
      if (leg.ended) throw new DeliveryInterrupted(`session ended (${leg.ended})`, delivered);
      leg.live = true;
      events.emit('participant-live', { user, groupId, delivered });
      if (delivered > 0) {
        await batcher
          .run(() => stores.deferred.finishDelivery(user, groupId))
          .catch(sink('delivery not recorded as finished', { user, groupId }));
      }
      return delivered;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (!leg.ended) await leg.end();
      if (stores.deferred.pendingCount(user, groupId) > 0) {
        await writer
          .setDeliveryStatus(user, groupId, 'pending', { reason: `delivery interrupted: ${detail}` })
          .catch(sink('delivery not set back to pending', { user, groupId }));
      }
      throw err instanceof DeliveryInterrupted ? err : new DeliveryInterrupted(detail, 0, { cause: err });
    }
  }
}
