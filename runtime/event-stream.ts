// Feeds one SSE stream with a node's trace records (`event: trace`, `id:` = record id, so that
// Last-Event-ID resumes) and node events (`event: node`, no id), in the order they happened.
// Pull-based: records are read from the ring buffer at the client's pace (waiting for 'drain'), so
// a slow client costs no memory beyond a bounded queue of node events, and the protocol path only
// schedules a pump.

import type { Logger } from './logger.js';
import type { NodeEvent, NodeEvents } from './node-events.js';
import type { SseStream } from './sse.js';
import { traceRecordToJson, type TraceRecorder } from './trace-recorder.js';

export const DEFAULT_MAX_PENDING_NODE_EVENTS = 10_000;
const PAGE = 256;

export interface EventStreamOptions {
  trace: TraceRecorder;
  events?: NodeEvents;
  /** Replay trace records with id > since first; undefined streams live records only. */
  since?: number;
  /** Node events queued for a slow client before it is disconnected (default 10 000). */
  maxPendingNodeEvents?: number;
  logger?: Logger;
}

/** Payload of `event: trace-gap`: records the client will never see (evicted before it read them). */
export interface TraceGap {
  missed: number;
  /** First and last id of the evicted range. */
  from: number;
  to: number;
}

export function feedEventStream(stream: SseStream, options: EventStreamOptions): void {
  const { trace, events } = options;
  const maxPending = options.maxPendingNodeEvents ?? DEFAULT_MAX_PENDING_NODE_EVENTS;
  const since = options.since;
  // An id beyond latestId comes from an earlier run of the node: replay everything held.
  let cursor = since === undefined ? trace.latestId : since > trace.latestId ? 0 : since;
  // Each node event remembers the newest trace id at emission, to keep the two kinds in order.
  const pending: { afterTraceId: number; event: NodeEvent }[] = [];
  let scheduled = false;
  let waitingDrain = false;

  const schedule = (): void => {
    if (scheduled || waitingDrain || stream.closed) return;
    scheduled = true;
    setImmediate(pump);
  };

  const waitForDrain = (): void => {
    waitingDrain = true;
    stream.once('drain', () => {
      waitingDrain = false;
      pump();
    });
  };

  function pump(): void {
    scheduled = false;
    while (!stream.closed) {
      const upTo = pending.length > 0 ? pending[0]!.afterTraceId : trace.latestId;
      if (cursor < upTo) {
        const page = trace.query({ since: cursor, limit: PAGE });
        if (page.missed > 0) {
          const gap: TraceGap = { missed: page.missed, from: cursor + 1, to: page.oldestId - 1 };
          cursor = page.oldestId - 1;
          if (!stream.send({ event: 'trace-gap', data: JSON.stringify(gap) })) {
            waitForDrain();
            return;
          }
        }
        let progressed = page.missed > 0;
        for (const record of page.records) {
          if (record.id > upTo) break;
          cursor = record.id;
          progressed = true;
          const ok = stream.send({
            event: 'trace',
            id: record.id,
            data: JSON.stringify(traceRecordToJson(record)),
          });
          if (!ok) {
            waitForDrain();
            return;
          }
        }
        if (!progressed) cursor = upTo; // nothing held in (cursor, upTo] (e.g. after clear())
        continue;
      }
      const next = pending.shift();
      if (!next) return;
      if (!stream.send({ event: 'node', data: JSON.stringify(next.event) })) {
        waitForDrain();
        return;
      }
    }
  }

  const unsubscribeTrace = trace.subscribe(schedule);
  const unsubscribeEvents = events?.subscribe((event) => {
    pending.push({ afterTraceId: trace.latestId, event });
    if (pending.length > maxPending) {
      options.logger?.warn('event stream client too slow, disconnecting', { pending: pending.length });
      stream.destroy();
      return;
    }
    schedule();
  });
  stream.once('close', () => {
    unsubscribeTrace();
    unsubscribeEvents?.();
    pending.length = 0;
  });
  if (cursor < trace.latestId) schedule();
}
