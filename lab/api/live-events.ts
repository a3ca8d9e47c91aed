// The lab's live feed (`GET /live`, server-sent events) for the console: follows every node's
// `/events` stream (runtime readSse), keeps their trace records, re-merges them into one timeline
// (lab/trace) and re-emits it incrementally, together with the nodes' own events.
//
//   event: hops     {from, hops: LiveHop[], total}   replace the timeline from index `from` on
//   event: node     LiveNodeEvent                     a node event (registration, session-started...)
//   event: summary  whatever options.summarize returns for the whole timeline (e.g. clause lights)
//   event: <other>  what the lab itself announces (announce(): e.g. scenario progress)
//
// A new subscriber first gets the whole timeline (`from: 0`) and the recent node events. The followers
// start with the first subscriber and stop with the last one; they resume from the last record id.
import type { Request, Response } from 'express';
import {
  authHeaders,
  type Logger,
  type NodeEvent,
  openSseStream,
  readSse,
  type SseStream,
  type TraceRecord,
  traceRecordFromJson,
  type TraceRecordJson,
} from '../../runtime/index.js';
import {
  conversationIdOf,
  describeMessage,
  type Hop,
  groupByConversation,
  mergeTraces,
  msrpSessionIds,
  msrpSessionKey,
  sdpMsrpSessionIds,
  splitFlows,
} from '../trace/index.js';
import type { LabNode } from './node-directory.js';

/** One hop of the merged timeline as the browser gets it. */
export interface LiveHop {
  /** Stable identity: the ids of the merged trace records (`alice#12>cscf#40`). */
  key: string;
  index: number;
  protocol: 'sip' | 'msrp';
  transport: string;
  from: string;
  to: string;
  time: number;
  seenBy: Hop['seenBy'];
  /** `INVITE`, `200 OK (INVITE)`, `MSRP SEND`. */
  label: string;
  /** Label with details: `INVITE (cpm.deferred, sendonly)`. */
  description: string;
  startLine: string;
  callId?: string;
  msrpSession?: string;
  /** Conversation-ID of the hop itself, if it carries one. */
  conversationId?: string;
  /** MSRP session ids: of the To-Path/From-Path (MSRP), or announced in the SDP a=path (SIP). */
  msrpSessionIds: string[];
  /** CPM groups (Conversation-IDs) the hop belongs to, through its dialog or MSRP session. */
  conversations: string[];
  /** Key of the flow (lab/trace splitFlows) the hop is part of. */
  flow: string;
  /** The message as text (UTF-8, cut at MAX_TEXT_CHARS). */
  text: string;
  rawLength: number;
}

export interface LiveNodeEvent {
  node: string;
  seq: number;
  time: number;
  type: string;
  data: unknown;
}

export interface LiveFeedOptions {
  nodes: readonly LabNode[];
  /** Names for addresses that are not lab nodes (an external CSCF), as lab/trace MergeOptions.peerNames. */
  peerNames?: Readonly<Record<string, string>>;
  logger: Logger;
  /** Extra facts derived from the whole timeline, sent as `event: summary` after each change. */
  summarize?: (hops: readonly Hop[]) => unknown;
  /** Delay before re-merging after new records arrive (ms, default 40): batches bursts. */
  mergeDelayMs?: number;
  /** Delay before reconnecting to a node's /events (ms, default 1000). */
  reconnectMs?: number;
  /** Trace records kept per node (default 20 000); the oldest go first. */
  maxRecordsPerNode?: number;
}

const MAX_TEXT_CHARS = 64 * 1024;
const RECENT_NODE_EVENTS = 200;

type Listener = (message: { event: string; data: string }) => void;

export class LiveFeed {
  readonly #options: LiveFeedOptions;
  readonly #records = new Map<string, TraceRecord[]>();
  readonly #lastId = new Map<string, number>();
  readonly #recentEvents: LiveNodeEvent[] = [];
  readonly #listeners = new Set<Listener>();
  #hops: LiveHop[] = [];
  #summary: string | undefined;
  #abort: AbortController | undefined;
  #mergeTimer: NodeJS.Timeout | undefined;

  constructor(options: LiveFeedOptions) {
    this.#options = options;
    for (const n of options.nodes) {
      this.#records.set(n.name, []);
      this.#lastId.set(n.name, 0);
    }
  }

  /** The current timeline. */
  get hops(): readonly LiveHop[] {
    return this.#hops;
  }

  /** Express handler for `GET /live`. */
  serve(req: Request, res: Response): void {
    const stream = openSseStream(req, res, { retryMs: 1000 });
    const send = (m: { event: string; data: string }): void => {
      stream.send(m);
    };
    send({ event: 'hops', data: JSON.stringify({ from: 0, hops: this.#hops, total: this.#hops.length }) });
    for (const e of this.#recentEvents) send({ event: 'node', data: JSON.stringify(e) });
    if (this.#summary !== undefined) send({ event: 'summary', data: this.#summary });
    this.#subscribe(send, stream);
  }

  /** Send an event of the lab's own to every subscriber (not replayed to later ones). */
  announce(event: string, data: unknown): void {
    if (['hops', 'node', 'summary'].includes(event)) throw new Error(`"${event}" is the feed's own event`);
    this.#publish(event, JSON.stringify(data));
  }

  #subscribe(listener: Listener, stream: SseStream): void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    stream.once('close', () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    });
  }

  #publish(event: string, data: string): void {
    for (const l of this.#listeners) l({ event, data });
  }

  #start(): void {
    const abort = new AbortController();
    this.#abort = abort;
    for (const node of this.#options.nodes) void this.#follow(node, abort.signal);
  }

  #stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
    if (this.#mergeTimer) clearTimeout(this.#mergeTimer);
    this.#mergeTimer = undefined;
  }

  /** Follow one node's /events until stopped, reconnecting after a failure. */
  async #follow(node: LabNode, signal: AbortSignal): Promise<void> {
    const { logger } = this.#options;
    const reconnectMs = this.#options.reconnectMs ?? 1000;
    while (!signal.aborted) {
      try {
        const since = this.#lastId.get(node.name) ?? 0;
        const response = await fetch(`${node.controlUrl}/events?since=${since}`, {
          headers: { accept: 'text/event-stream', ...authHeaders() },
          signal,
        });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        for await (const item of readSse(response.body)) {
          if (item.kind !== 'event') continue;
          if (item.event === 'trace') this.#onTrace(node.name, JSON.parse(item.data) as TraceRecordJson);
          else if (item.event === 'node') this.#onNodeEvent(JSON.parse(item.data) as NodeEvent);
        }
      } catch (err) {
        if (signal.aborted) return;
        logger.debug('live feed: node event stream failed', {
          node: node.name,
          error: (err as Error).message,
        });
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, reconnectMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #onTrace(node: string, json: TraceRecordJson): void {
    const list = this.#records.get(node);
    if (!list) return;
    const last = this.#lastId.get(node) ?? 0;
    // Ids restart when a node restarts (its stream then replays from 1): keep only the new run.
    if (json.id <= last) list.length = 0;
    list.push(traceRecordFromJson(json));
    const max = this.#options.maxRecordsPerNode ?? 20_000;
    if (list.length > max) list.splice(0, list.length - max);
    this.#lastId.set(node, json.id);
    this.#scheduleMerge();
  }

  #onNodeEvent(event: NodeEvent): void {
    const e: LiveNodeEvent = {
      node: event.node,
      seq: event.seq,
      time: event.time,
      type: event.type,
      data: event.data,
    };
    this.#recentEvents.push(e);
    if (this.#recentEvents.length > RECENT_NODE_EVENTS) this.#recentEvents.shift();
    this.#publish('node', JSON.stringify(e));
  }

  #scheduleMerge(): void {
    if (this.#mergeTimer) return;
    this.#mergeTimer = setTimeout(() => {
      this.#mergeTimer = undefined;
      this.#merge();
    }, this.#options.mergeDelayMs ?? 40);
  }

  #merge(): void {
    const all: TraceRecord[] = [];
    for (const list of this.#records.values()) all.push(...list);
    const merged = mergeTraces(all, { peerNames: this.#options.peerNames ?? {} });
    const next = toLiveHops(merged);
    let from = 0;
    const previous = this.#hops;
    while (from < next.length && from < previous.length && sameLiveHop(next[from]!, previous[from]!)) from++;
    this.#hops = next;
    if (from < next.length || next.length !== previous.length) {
      this.#publish('hops', JSON.stringify({ from, hops: next.slice(from), total: next.length }));
    }
    if (this.#options.summarize) {
      const summary = JSON.stringify(this.#options.summarize(merged));
      if (summary !== this.#summary) {
        this.#summary = summary;
        this.#publish('summary', summary);
      }
    }
  }
}

function recordKey(r: TraceRecord | undefined): string {
  return r ? `${r.node}#${r.id}` : '';
}

function sameLiveHop(a: LiveHop, b: LiveHop): boolean {
  return a.key === b.key && a.flow === b.flow && a.conversations.join() === b.conversations.join();
}

/** The browser's view of a merged timeline. */
export function toLiveHops(hops: readonly Hop[]): LiveHop[] {
  const conversationsOf = new Map<Hop, string[]>();
  for (const [id, list] of groupByConversation(hops)) {
    for (const h of list) conversationsOf.set(h, [...(conversationsOf.get(h) ?? []), id]);
  }
  const flowOf = new Map<Hop, string>();
  for (const flow of splitFlows(hops)) for (const h of flow.hops) flowOf.set(h, flow.key);
  return hops.map((h): LiveHop => {
    const live: LiveHop = {
      key: `${recordKey(h.out)}>${recordKey(h.in)}`,
      index: h.index,
      protocol: h.protocol,
      transport: h.transport,
      from: h.from,
      to: h.to,
      time: h.time,
      seenBy: h.seenBy,
      label: h.label,
      description: describeMessage(h),
      startLine: h.startLine,
      msrpSessionIds: h.protocol === 'msrp' ? msrpSessionIds(h) : sdpMsrpSessionIds(h),
      conversations: conversationsOf.get(h) ?? [],
      flow: flowOf.get(h) ?? `hop:${h.index}`,
      text: h.raw.toString('utf8', 0, Math.min(h.raw.length, MAX_TEXT_CHARS)),
      rawLength: h.rawLength,
    };
    if (h.callId !== undefined) live.callId = h.callId;
    const session = msrpSessionKey(h);
    if (session !== undefined) live.msrpSession = session;
    const conversation = conversationIdOf(h);
    if (conversation !== undefined) live.conversationId = conversation;
    return live;
  });
}
