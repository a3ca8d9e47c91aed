// In-memory SipTransport for unit tests of the transaction state machines (no sockets, fake timers).
import { EventEmitter } from 'node:events';
import type { SipMessage, SipResponse } from '../../message.js';
import type {
  Endpoint,
  FlowInfo,
  MessageSource,
  SendTarget,
  SentInfo,
  SipTransport,
  TransportError,
  TransportKind,
} from '../../transport/index.js';

export interface SentRecord {
  message: SipMessage;
  /** For send(): the target; for sendResponse(): derived from the source. */
  target: SendTarget;
  kind: 'send' | 'response';
}

type Events = {
  message: [message: SipMessage, source: MessageSource];
  'flow-closed': [flow: FlowInfo];
};

export class FakeTransport extends EventEmitter<Events> implements SipTransport {
  readonly sent: SentRecord[] = [];
  /** When set, every send fails with this error. */
  failWith: TransportError | undefined;
  readonly local: Endpoint = { address: '10.0.0.1', port: 5060 };

  send(message: SipMessage, target: SendTarget): Promise<SentInfo> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.sent.push({ message: message.clone(), target: { ...target }, kind: 'send' });
    const info: SentInfo = { transport: target.transport, local: this.local, remote: target };
    if (target.transport === 'tcp') info.flowId = target.flowId ?? 'flow-1';
    return Promise.resolve(info);
  }

  sendResponse(response: SipResponse, source: MessageSource): Promise<SentInfo> {
    if (this.failWith) return Promise.reject(this.failWith);
    const target: SendTarget = { transport: source.transport, ...source.remote };
    if (source.flowId !== undefined) target.flowId = source.flowId;
    this.sent.push({ message: response.clone(), target, kind: 'response' });
    return Promise.resolve({ transport: source.transport, local: this.local, remote: source.remote });
  }

  sentBy(_transport: TransportKind): Endpoint | undefined {
    return this.local;
  }

  deliver(message: SipMessage, source: MessageSource): void {
    this.emit('message', message, source);
  }

  /** Sent requests with `method` (responses excluded). */
  requests(method: string): SipMessage[] {
    return this.sent.filter((r) => r.message.isRequest && r.message.method === method).map((r) => r.message);
  }

  /** Sent responses with `status`. */
  responses(status?: number): SipResponse[] {
    return this.sent
      .map((r) => r.message)
      .filter((m): m is SipResponse => !m.isRequest && (status === undefined || m.status === status));
  }
}

export function udpSource(port = 5062): MessageSource {
  return {
    transport: 'udp',
    local: { address: '10.0.0.1', port: 5060 },
    remote: { address: '10.0.0.2', port },
  };
}

export function tcpSource(flowId = 'flow-in-1'): MessageSource {
  return {
    transport: 'tcp',
    local: { address: '10.0.0.1', port: 5060 },
    remote: { address: '10.0.0.2', port: 40000 },
    flowId,
  };
}
