// A minimal SIP peer for CSCF tests, built directly on the transport and transaction layers: it sends
// requests, records what it receives, and answers with a programmable handler. Not a mock of the CSCF.
import {
  createRequest,
  newCallId,
  newTag,
  type SendTarget,
  type ServerTransaction,
  SipTransportLayer,
  type SipRequest,
  type SipResponse,
  TransactionLayer,
} from '../../../protocol/sip/index.js';

export interface Received {
  request: SipRequest;
  tx: ServerTransaction;
}

export class TestUa {
  readonly transport: SipTransportLayer;
  readonly transactions: TransactionLayer;
  readonly received: Received[] = [];
  #waiters: Array<{ match: (r: Received) => boolean; resolve: (r: Received) => void }> = [];
  /** How to answer requests (default 200). */
  answer: (request: SipRequest) => number = () => 200;

  private constructor(transport: SipTransportLayer, t1: number) {
    this.transport = transport;
    this.transactions = new TransactionLayer(transport, { timers: { t1 } });
    this.transactions.onRequest((request, tx) => {
      const item = { request, tx };
      this.received.push(item);
      void tx.reply(this.answer(request), {
        headers: [['Contact', `<sip:${this.address}:${this.port};transport=tcp>`]],
      });
      for (const w of [...this.#waiters]) {
        if (w.match(item)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(item);
        }
      }
    });
  }

  static async start(t1 = 50): Promise<TestUa> {
    const transport = await SipTransportLayer.listen({
      udp: { port: 0 },
      tcp: { port: 0 },
      idleTimeoutMs: 0,
    });
    return new TestUa(transport, t1);
  }

  get address(): string {
    return this.transport.addresses.tcp!.address;
  }

  get port(): number {
    return this.transport.addresses.tcp!.port;
  }

  /** Resolves with the first received request (past or future) that matches. */
  waitFor(match: (r: Received) => boolean): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  send(request: SipRequest, target: SendTarget): Promise<SipResponse> {
    return this.transactions.sendRequest(request, target).final;
  }

  request(
    method: string,
    uri: string,
    from: string,
    headers: Array<[string, string | number]> = [],
    body?: Buffer,
  ): SipRequest {
    return createRequest({
      method,
      uri,
      from: `<${from}>;tag=${newTag()}`,
      to: `<${uri.replace(/;.*$/, '')}>`,
      callId: newCallId('test'),
      cseq: 1,
      headers,
      ...(body ? { body, contentType: 'application/sdp' } : {}),
    });
  }

  async close(): Promise<void> {
    this.transactions.close();
    await this.transport.close();
  }
}
