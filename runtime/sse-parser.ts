// Incremental client-side parser for server-sent event streams (HTML Living Standard §9.2.6
// "Interpreting an event stream"), bounded per event. Used by the lab to follow nodes' /events.

export interface SseEvent {
  kind: 'event';
  /** The `event:` field, "message" when absent. */
  event: string;
  /** The last event ID in force after this event ("" if none was ever set). */
  id: string;
  data: string;
}

export interface SseComment {
  kind: 'comment';
  text: string;
}

export type SseItem = SseEvent | SseComment;

export const DEFAULT_SSE_MAX_EVENT_BYTES = 4 * 1024 * 1024;

export class SseProtocolError extends Error {
  override readonly name = 'SseProtocolError';
}

export class SseParser {
  #buffer = '';
  #skipLf = false; // the previous chunk ended in CR; a leading LF belongs to that line break
  #event = '';
  #data: string[] = [];
  #dataLength = 0;
  #lastId = '';
  /** Reconnection time from the last `retry:` field, if any. */
  retryMs: number | undefined;

  constructor(private readonly maxEventChars = DEFAULT_SSE_MAX_EVENT_BYTES) {}

  get lastEventId(): string {
    return this.#lastId;
  }

  /** Feed decoded text; returns the items completed by it. Throws SseProtocolError past the bound. */
  push(text: string): SseItem[] {
    const out: SseItem[] = [];
    let input = text;
    if (this.#skipLf && input.startsWith('\n')) input = input.slice(1);
    this.#skipLf = false;
    this.#buffer += input;
    let start = 0;
    const lineBreak = /\r\n|\r|\n/g;
    for (;;) {
      lineBreak.lastIndex = start;
      const match = lineBreak.exec(this.#buffer);
      if (!match) break;
      const end = match.index;
      // A lone CR at the very end may be the first half of CRLF split across chunks.
      if (match[0] === '\r' && end === this.#buffer.length - 1) this.#skipLf = true;
      this.#line(this.#buffer.slice(start, end), out);
      start = end + match[0].length;
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length + this.#dataLength > this.maxEventChars) {
      throw new SseProtocolError(`event larger than ${this.maxEventChars} characters`);
    }
    return out;
  }

  #line(line: string, out: SseItem[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push({
          kind: 'event',
          event: this.#event || 'message',
          id: this.#lastId,
          data: this.#data.join('\n'),
        });
      }
      this.#event = '';
      this.#data = [];
      this.#dataLength = 0;
      return;
    }
    if (line.startsWith(':')) {
      out.push({ kind: 'comment', text: line.slice(1).trimStart() });
      return;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (name) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        this.#dataLength += value.length + 1;
        if (this.#dataLength > this.maxEventChars) {
          throw new SseProtocolError(`event larger than ${this.maxEventChars} characters`);
        }
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored.
    }
  }
}

/** Iterate the items of an SSE response body (e.g. `(await fetch(url)).body`). */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  options: { maxEventChars?: number } = {},
): AsyncGenerator<SseItem, void, undefined> {
  const parser = new SseParser(options.maxEventChars);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
  } finally {
    // Stops the download when the consumer leaves the loop early.
    await reader.cancel().catch(() => {});
  }
}
