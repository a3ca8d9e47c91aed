// Flushing one user's backlog for one group over an MSRP session (protocol-notes §4): optionally the group state
// object first (D1.vii), then each stored item in order as its own SEND; an item leaves the store only after
// the recipient's 200 OK for every chunk of it (MsrpSession.send resolved, architecture.md "Rules").
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
  let afterId = 0;
  for (;;) {
    check();
    const items = source.store.peek(leg.user, leg.groupId, { afterId, limit: options.batch ?? 32 });
    if (items.length === 0) {
      const pending = source.pendingWrites(leg.user, leg.groupId);
      if (pending === undefined) return delivered;
      await pending;
      continue;
    }
    for (const item of items) {
      check();
      try {
        await leg.msrp.send(item.body, { contentType: item.contentType });
      } catch (err) {
        throw new DeliveryInterrupted(`item ${item.messageId} not acknowledged: ${String(err)}`, delivered, {
          cause: err,
        });
      }
      // Only now, after the 200 OK for every chunk, may the item leave the store.
      await source.writer.ack(item.id);
      afterId = item.id;
      delivered += 1;
      options.onDelivered?.(item);
    }
  }
}
