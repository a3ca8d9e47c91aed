// Flushing one user's backlog for one group over an MSRP session (protocol-notes §4): optionally the group state
// object first (D1.vii), then each stored item in order as its own SEND; an item leaves the store only after
// the recipient's 200 OK for every chunk of it (MsrpSession.send resolved, architecture.md "Rules").
//
// Pipelining (RFC 4975 §7.1: a sender need not wait for one transaction's response before the next): items
// that fit in one chunk are sent back to back, up to `window` unacknowledged, so the recipient can take a
// burst in one read and the backlog does not cost a round trip per message. Order is kept: one chunk each,
// on one connection, they complete at the recipient in the order sent; an item larger than a chunk waits
// until everything before it is acknowledged and goes alone. Items leave the store strictly in order: after
// a failure none of the later ones is removed (they are sent again next time; the client de-duplicates).
import { type Group, groupStateBody } from './domain/index.js';
import type { Leg } from './leg.js';
import type { DeferredItem, DeferredStore, DeferredWriter } from './store/index.js';

export interface BacklogSource {
  store: DeferredStore;
  writer: DeferredWriter;
  /** Writes for (user, group) queued but not committed yet: wait for them before calling the backlog empty. */
  pendingWrites(user: string, groupId: string): Promise<void> | undefined;
}

export interface FlushOptions {
  /** D1.vii: send the group state object before the first stored item. */
  groupStateFirst?: Group;
  /** Called after each item was acknowledged and removed from the store. */
  onDelivered?: (item: DeferredItem) => void;
  /** Items read from the store per batch (default 32). */
  batch?: number;
  /** Single-chunk items sent before the oldest is acknowledged (default 64; 1 = one at a time). */
  window?: number;
}

/** Thrown when the leg ends or a SEND fails before the backlog is empty: the rest stays stored. */
export class DeliveryInterrupted extends Error {
  override readonly name = 'DeliveryInterrupted';
  constructor(
    message: string,
    readonly delivered: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Send the backlog of (leg.user, leg.groupId) until none is left (including items whose write was still in
 * flight when the store looked empty). Resolves with the number of items delivered; rejects with
 * DeliveryInterrupted. Undelivered items are never removed.
 */
export async function flushBacklog(
  source: BacklogSource,
  leg: Leg,
  options: FlushOptions = {},
): Promise<number> {
  let delivered = 0;
  const check = () => {
    if (leg.ended) throw new DeliveryInterrupted(`session ended (${leg.ended})`, delivered);
  };
  if (options.groupStateFirst) {
    check();
    const { body, contentType } = groupStateBody(options.groupStateFirst);
    try {
      await leg.msrp.send(body, { contentType });
    } catch (err) {
      throw new DeliveryInterrupted(`group state object not delivered: ${String(err)}`, delivered, {
        cause: err,
      });
    }
  }
  const window = Math.max(1, options.window ?? 64);
  const inFlight: Array<{ item: DeferredItem; sent: Promise<unknown>; single: boolean }> = [];
  const acks: Promise<unknown>[] = [];
  /** Wait for the oldest item in flight; once acknowledged it leaves the store (in order). */
  const settleOldest = async (): Promise<void> => {
    const { item, sent } = inFlight.shift()!;
    try {
      await sent;
    } catch (err) {
      throw new DeliveryInterrupted(`item ${item.messageId} not acknowledged: ${String(err)}`, delivered, {
        cause: err,
      });
    }
    // Only now, after the 200 OK for every chunk, may the item leave the store.
    acks.push(source.writer.ack(item.id).then(() => options.onDelivered?.(item)));
    delivered += 1;
  };
  let afterId = 0;
  try {
    for (;;) {
      check();
      const items = source.store.peek(leg.user, leg.groupId, {
        afterId,
        limit: options.batch ?? 32,
      });
      if (items.length === 0) {
        if (inFlight.length > 0 || acks.length > 0) {
          while (inFlight.length > 0) await settleOldest();
          await Promise.all(acks.splice(0));
          continue; // look again: an item may have been stored (and committed) while we waited
        }
        // Nothing in flight: the store and its queued writes are looked at in the same turn.
        const pending = source.pendingWrites(leg.user, leg.groupId);
        if (pending === undefined) return delivered;
        await pending;
        continue;
      }
      for (const item of items) {
        check();
        const single = item.body.length <= leg.msrp.chunkSize;
        // A multi-chunk item goes alone (nothing before it in flight, nothing after it until it is answered);
        // a single-chunk one otherwise waits only for room in the window.
        const alone = () => !single || !inFlight.at(-1)!.single;
        while (inFlight.length > 0 && (alone() || inFlight.length >= window)) await settleOldest();
        check();
        const sent = leg.msrp.send(item.body, { contentType: item.contentType });
        sent.catch(() => undefined); // judged in settleOldest, in order
        inFlight.push({ item, sent, single });
        afterId = item.id;
      }
    }
  } finally {
    // Whatever the outcome, the removals already decided are committed before the caller looks at the store.
    await Promise.allSettled(acks);
  }
}
