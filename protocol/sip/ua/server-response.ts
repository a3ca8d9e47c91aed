// The response API handed to request handlers (drachtio-style `(req, res)`): RFC 3261 §8.2.6 responses
// through the server transaction, with the UA's Contact/Allow added where the rules want them.
import type { SipRequest } from '../message.js';
import type { ReplyOptions, ServerTransaction } from '../transaction/index.js';
import type { MessageSource } from '../transport/index.js';
import type { InDialogResponse, SendOptions, UaCore } from './core.js';

export type { SendOptions } from './core.js';

export class ServerResponse implements InDialogResponse {
  constructor(
    readonly request: SipRequest,
    readonly transaction: ServerTransaction,
    protected readonly core: UaCore,
  ) {}

  /** Where the request came from (transport, remote address, TCP flow). */
  get source(): MessageSource {
    return this.transaction.source;
  }

  /** Whether a final response has gone out. */
  get finalSent(): boolean {
    return (this.transaction.lastResponse?.status ?? 0) >= 200;
  }

  /** The To tag this UAS uses (§8.2.6.2). */
  get toTag(): string {
    return this.transaction.toTag;
  }

  /**
   * Send a response. Resolves true once handed to the transaction, false if a final response was already
   * sent (nothing goes out then). A 405 gets Allow (§8.2.1) unless given.
   */
  async send(status: number, options: SendOptions = {}): Promise<boolean> {
    if (this.finalSent) return false;
    const headers = [...(options.headers ?? [])];
    if (status === 405 && !headers.some(([n]) => n.toLowerCase() === 'allow')) {
      headers.push(['Allow', this.core.allow()]); // §8.2.1: 405 MUST list the allowed methods
    }
    await this.transaction.reply(status, toReplyOptions({ ...options, headers }));
    return true;
  }
}

export function toReplyOptions(options: SendOptions): ReplyOptions {
  const out: ReplyOptions = {};
  if (options.reason !== undefined) out.reason = options.reason;
  if (options.headers) out.headers = options.headers;
  if (options.body !== undefined) {
    out.body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    if (options.contentType !== undefined) out.contentType = options.contentType;
  }
  return out;
}
