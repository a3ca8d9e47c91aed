// Server-sent events (HTML Living Standard §9.2 "Server-sent events"): one stream per response, with
// keep-alive comments, backpressure signalling, and a per-app hub so that a server can end them all.

import { EventEmitter } from 'node:events';
import type { Application, Request, Response } from 'express';

export const DEFAULT_SSE_KEEP_ALIVE_MS = 15_000;

export interface SseMessage {
  /** Event type (the `event:` field); omitted means "message". */
  event?: string;
  /** Sets the client's last event ID (the `id:` field). */
  id?: string | number;
  /** Payload; newlines become several `data:` lines. */
  data: string;
}

export interface SseStreamOptions {
  /** Interval of `: keep-alive` comments (default 15 s); 0 disables them. */
  keepAliveMs?: number;
  /** Reconnection delay advertised to the client (the `retry:` field). */
  retryMs?: number;
}

/** One open event stream. */
export class SseStream extends EventEmitter<{ close: []; drain: [] }> {
  #closed = false;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly res: Response,
    options: SseStreamOptions = {},
  ) {
    super();
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    if (options.retryMs !== undefined) res.write(`retry: ${Math.max(0, Math.floor(options.retryMs))}\n\n`);
    const keepAliveMs = options.keepAliveMs ?? DEFAULT_SSE_KEEP_ALIVE_MS;
    if (keepAliveMs > 0) {
      this.#timer = setInterval(() => this.comment('keep-alive'), keepAliveMs);
      this.#timer.unref();
    }
    res.on('drain', () => this.emit('drain'));
    // A write racing a disconnect must not become an unhandled 'error' event.
    res.on('error', () => this.#cleanup());
    // 'close' fires when the response ends or the client goes away, whichever comes first.
    res.once('close', () => this.#cleanup());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Write one event; false means the socket buffer is full: wait for 'drain' before writing more. */
  send(message: SseMessage): boolean {
    if (this.#closed) return false;
    let frame = '';
    if (message.event !== undefined) frame += `event: ${singleLine(message.event)}\n`;
    if (message.id !== undefined) frame += `id: ${singleLine(String(message.id))}\n`;
    for (const line of message.data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
    return this.res.write(`${frame}\n`);
  }

  /** A comment line (ignored by clients; keeps proxies and idle timers from closing the stream). */
  comment(text: string): boolean {
    if (this.#closed) return false;
    return this.res.write(`: ${singleLine(text)}\n\n`);
  }

  /** End the stream (the client may reconnect). */
  close(): void {
    if (this.#closed) return;
    this.res.end();
    this.#cleanup();
  }

  /** Drop the connection at once (e.g. a consumer too slow to keep up). */
  destroy(): void {
    this.res.destroy();
    this.#cleanup();
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.emit('close');
  }
}

function singleLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}

/** The open streams of one app; startControlServer's close() ends them. Emits 'open' and 'close'. */
export class SseHub extends EventEmitter<{ open: [SseStream]; close: [SseStream] }> {
  readonly #streams = new Set<SseStream>();

  add(stream: SseStream): void {
    if (stream.closed) return;
    this.#streams.add(stream);
    stream.once('close', () => {
      this.#streams.delete(stream);
      this.emit('close', stream);
    });
    this.emit('open', stream);
  }

  get size(): number {
    return this.#streams.size;
  }

  closeAll(): void {
    for (const stream of [...this.#streams]) stream.close();
  }
}

const hubs = new WeakMap<object, SseHub>();

function rootApp(app: Application): Application {
  let current = app;
  // Express sets `parent` on mounted sub-apps; streams belong to the app that owns the server.
  while ((current as Application & { parent?: Application }).parent) {
    current = (current as Application & { parent: Application }).parent;
  }
  return current;
}

/** The hub of an Express app (created on first use). */
export function sseHubOf(app: object): SseHub {
  let hub = hubs.get(app);
  if (!hub) {
    hub = new SseHub();
    hubs.set(app, hub);
  }
  return hub;
}

/** Turn an Express response into an event stream registered with the app's hub. */
export function openSseStream(req: Request, res: Response, options: SseStreamOptions = {}): SseStream {
  const stream = new SseStream(res, options);
  sseHubOf(rootApp(req.app)).add(stream);
  return stream;
}

/** The Last-Event-ID request header (sent by EventSource on reconnection), if any. */
export function lastEventId(req: Request): string | undefined {
  const value = req.get('Last-Event-ID');
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
