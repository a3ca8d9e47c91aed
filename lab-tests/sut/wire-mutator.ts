// A deliberately non-conformant implementation for the tests of docs/sut.md: a SIP relay over TCP that sits
// between a conformant node (the lab's client or PF, run as a separate process) and the lab's CSCF and changes
// what that node says on the wire: a 481 becomes 400, a recvonly answer becomes sendrecv, a SUBSCRIBE is added
// during a deferred session. Each connection accepted is paired with one to the CSCF, so the CSCF's flow to
// the node goes through the relay both ways. Messages are framed by our SIP stream parser (never by reads).
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { type SipMessage, SipStreamParser } from '../../protocol/sip/index.js';

/** What a mutation may do with one message: forward these bytes (the message's own by default) or drop it. */
export interface MutationContext {
  /** Send a message of our own toward the network side (the CSCF). */
  injectUpstream(raw: string): void;
  /** The relay's address toward the CSCF (for a Via of an injected request). */
  upstreamLocal(): { address: string; port: number };
}

export interface Mutation {
  name: string;
  /** A message from the node toward the network; return the bytes to forward, or null to drop it. */
  fromNode?(message: SipMessage, raw: Buffer, ctx: MutationContext): Buffer | null;
  /** A message from the network toward the node. */
  fromNetwork?(message: SipMessage, raw: Buffer, ctx: MutationContext): Buffer | null;
}

export interface WireMutator {
  /** Where the node must send: its "CSCF". */
  address: string;
  close(): Promise<void>;
}

export async function startWireMutator(
  upstream: { host: string; port: number },
  mutation: Mutation,
): Promise<WireMutator> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = createConnection({ host: upstream.host, port: upstream.port });
    sockets.add(down);
    sockets.add(up);
    const ctx: MutationContext = {
      injectUpstream: (raw) => up.write(raw),
      upstreamLocal: () => ({ address: up.localAddress ?? '127.0.0.1', port: up.localPort ?? 0 }),
    };
    pipe(down, up, (m, raw) => mutation.fromNode?.(m, raw, ctx) ?? raw);
    pipe(up, down, (m, raw) => mutation.fromNetwork?.(m, raw, ctx) ?? raw);
    const end = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Forward every framed message from `from` to `to` through `transform`; keep-alives pass as they are. */
function pipe(from: Socket, to: Socket, transform: (m: SipMessage, raw: Buffer) => Buffer | null): void {
  const parser = new SipStreamParser();
  from.on('data', (chunk: Buffer) => {
    for (const item of parser.push(chunk)) {
      if (item.kind === 'ping') to.write('\r\n\r\n');
      else if (item.kind === 'pong') to.write('\r\n');
      else if (item.kind === 'message') {
        const out = transform(item.message, item.raw);
        if (out) to.write(out);
      } else to.write(item.raw);
    }
  });
}

/** D1.iv / A2.ii broken: the node answers 400 Bad Request where it answers 481 (an unknown group). */
export const answer400For481: Mutation = {
  name: '400 instead of 481',
  fromNode(message, raw) {
    if (message.isRequest || message.status !== 481) return raw;
    return Buffer.from(
      raw.toString('latin1').replace(/^SIP\/2\.0 481 [^\r\n]*/, 'SIP/2.0 400 Bad Request'),
      'latin1',
    );
  },
};

/** D1.iii broken: a 2xx answer with a=recvonly goes out as a=sendrecv (same length: Content-Length holds). */
export const answerSendrecv: Mutation = {
  name: 'sendrecv answer to a sendonly offer',
  fromNode(message, raw) {
    if (message.isRequest || message.status >= 300 || message.cseq.method !== 'INVITE') return raw;
    return Buffer.from(raw.toString('latin1').replace(/\r\na=recvonly\r\n/g, '\r\na=sendrecv\r\n'), 'latin1');
  },
};

/**
 * D1.vi broken: when the node accepts a deferred invitation (cpm.deferred), a SUBSCRIBE to the conference
 * event package goes to the group's conference URI, as from the node. Its responses are not the node's: dropped.
 */
export function subscribeDuringDeferred(user: string, domain = 'ims.lab'): Mutation {
  const deferred = new Map<string, { conference: string; conversationId: string }>();
  const ours = new Set<string>();
  return {
    name: 'SUBSCRIBE during deferred delivery',
    fromNetwork(message, raw) {
      if (
        message.isRequest &&
        message.method === 'INVITE' &&
        /cpm\.deferred/i.test(message.getAll('accept-contact').join(','))
      ) {
        const conference = /<([^>]+)>/.exec(message.get('contact') ?? '')?.[1];
        const conversationId = message.get('conversation-id');
        if (conference && conversationId) deferred.set(message.callId, { conference, conversationId });
      }
      if (!message.isRequest && ours.has(message.callId)) return null;
      return raw;
    },
    fromNode(message, raw, ctx) {
      const group = deferred.get(message.callId);
      if (message.isRequest || message.status !== 200 || message.cseq.method !== 'INVITE' || !group)
        return raw;
      deferred.delete(message.callId);
      const callId = `${randomBytes(8).toString('hex')}@mutator`;
      ours.add(callId);
      const local = ctx.upstreamLocal();
      // Sent after the 200 it follows (the relay writes in order on the one flow).
      setImmediate(() =>
        ctx.injectUpstream(
          [
            `SUBSCRIBE ${group.conference} SIP/2.0`,
            `Via: SIP/2.0/TCP ${local.address}:${local.port};branch=z9hG4bK${randomBytes(8).toString('hex')};rport`,
            'Max-Forwards: 70',
            `From: <sip:${user}@${domain}>;tag=${randomBytes(4).toString('hex')}`,
            `To: <${group.conference}>`,
            `Call-ID: ${callId}`,
            'CSeq: 1 SUBSCRIBE',
            `Contact: <sip:${user}@${local.address}:${local.port};transport=tcp>`,
            'Event: conference',
            'Accept: application/conference-info+xml',
            'Expires: 600',
            `Conversation-ID: ${group.conversationId}`,
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
        ),
      );
      return raw;
    },
  };
}
