// The PF's drachtio engine against a real drachtio-server (the `drachtio` binary: scripts/build-drachtio.sh
// builds it; CI does). No mock of drachtio-srf: the PF connects to the server as its application, clients reach
// it through the real CSCF. The PF's whole behaviour suite also runs on drachtio (vitest project
// "pf on drachtio"); these tests cover what is the adapter's own: the trace from HEP, SUBSCRIBE dialogs,
// settings and failures.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeHep3 } from '../../../protocol/hep/index.js';
import { WireTrace, type WireTraceEvent } from '../../../protocol/trace/index.js';
import { ConfigError } from '../../../runtime/index.js';
import { pfConfig } from '../config.js';
import { silentLogger } from '../test-support/lab.js';
import { Lab } from '../test-support/lab.js';
import { DrachtioServerError, drachtioVersion, startDrachtioServer } from './drachtio-server.js';
import { DrachtioSignalling, parseHostport } from './drachtio-signalling.js';
import { HepCapture } from './hep-capture.js';

const ALICE = 'sip:alice@ims.lab';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function drachtioLab(): Promise<Lab> {
  const lab = await Lab.start({ sipEngine: 'drachtio' });
  cleanups.push(() => lab.close());
  return lab;
}

describe('the PF on drachtio-server (drachtio-srf application)', () => {
  it('the PF SIP endpoint is drachtio-server: a deferred delivery goes through it, and the trace has both directions from its HEP3 capture (RFC 3261 §17 on the wire: INVITE, 200, ACK, BYE)', async () => {
    const lab = await drachtioLab();
    const pf = lab.pf!;
    expect(drachtioVersion()).toMatch(/\d+\.\d+/);
    pf.stores.deferred.enqueue({
      recipient: ALICE,
      groupId: 'team',
      kind: 'message',
      messageId: 'm1',
      sender: 'sip:bob@ims.lab',
      contentType: 'text/plain',
      body: Buffer.from('hello through drachtio'),
    });
    const alice = await lab.client('alice');
    await alice.register();
    const session = await alice.waitSession(1);
    await alice.waitBye(session);
    // Wait on the trace itself: the BYE's 200 is the last SIP message of the delivery.
    const sip = await lab.signal.until(() => {
      const records = pf.recorder.query({}).records.filter((r) => r.protocol === 'sip');
      const done = records.some(
        (r) => r.direction === 'in' && /^SIP\/2\.0 200/.test(r.startLine) && /BYE/.test(r.raw.toString()),
      );
      return done ? records : undefined;
    }, 'the 200 to the BYE in the PF trace');
    const lines = sip.map((r) => `${r.direction} ${r.startLine.split(' ').slice(0, 2).join(' ')}`);
    // In wire order: the third-party REGISTER and its 200, the deferred INVITE, 100/200, our ACK, our BYE.
    const order = [
      'in REGISTER',
      'out SIP/2.0 200',
      `out INVITE ${ALICE}`,
      'in SIP/2.0 200',
      'out ACK',
      'out BYE',
    ];
    let at = -1;
    for (const step of order) {
      const next = lines.findIndex((l, i) => i > at && l.startsWith(step));
      expect(next, `${step} after ${lines[at]} in ${lines.join(' | ')}`).toBeGreaterThan(at);
      at = next;
    }
    // Every PF record has drachtio-server's SIP port on one side: the PF's SIP is drachtio's.
    const drachtioPort = pf.sipAddresses.tcp!.port;
    const invite = sip.find((r) => r.direction === 'out' && r.startLine.startsWith('INVITE'))!;
    expect(invite.remote.port).toBe(lab.cscfPort);
    expect(invite.raw.toString()).toMatch(/^Via: SIP\/2\.0\/TCP [^\r\n]*/m);
    expect(sip.find((r) => r.startLine.startsWith('REGISTER'))!.local.port).toBe(drachtioPort);
  });

  it('RFC 6665 §4.2.1, §8.3.1: a conference SUBSCRIBE is accepted with 200 (not the deprecated 202) and a NOTIFY follows; an unsubscribe gets 200 and a final NOTIFY with Subscription-State terminated', async () => {
    const lab = await drachtioLab();
    const pf = lab.pf!;
    const g = pf.stores.groups.get('team')!;
    const [bob, carol] = [await lab.client('bob'), await lab.client('carol')];
    await bob.register();
    await carol.register();
    await bob.invite(g.conferenceUri, {
      headers: [
        ['Conversation-ID', g.conversationId],
        ['Contribution-ID', g.contributionId],
      ],
    });
    await lab.waitEvent('participant-live', (d) => d.user === 'sip:bob@ims.lab');
    const subscription = await bob.ua.subscribe(g.conferenceUri, {
      event: 'conference',
      accept: 'application/conference-info+xml',
      onNotify: (notify) => {
        bob.notifies.push(notify);
        bob.signal.changed();
      },
    });
    await bob.signal.until(() => bob.notifies.length >= 1 || undefined, 'the first NOTIFY');
    expect(bob.notifies[0]!.get('subscription-state')).toMatch(/^active;expires=\d+/);
    expect(bob.notifies[0]!.get('content-type')).toBe('application/conference-info+xml');
    const responses = pf.recorder
      .query({})
      .records.filter((r) => r.direction === 'out' && r.raw.toString().includes('CSeq: 1 SUBSCRIBE'));
    expect(responses.map((r) => r.startLine)).toContain('SIP/2.0 200 OK');
    await subscription.unsubscribe();
    await bob.signal.until(
      () => bob.notifies.find((n) => /^terminated/.test(n.get('subscription-state') ?? '')),
      'the final NOTIFY',
    );
  });
});

/** A HEP capture on a free port with drachtio-server at `endpoints`, a sender of TCP captures, and the events. */
async function captureHarness(endpoints: string) {
  const trace = new WireTrace();
  const events: WireTraceEvent[] = [];
  trace.subscribe((e) => events.push(e));
  const capture = await HepCapture.start({ host: '127.0.0.1', port: 0, trace, logger: silentLogger('hep') });
  cleanups.push(async () => capture.close());
  capture.setEndpoints(parseHostport(endpoints));
  const sender = createSocket('udp4');
  cleanups.push(async () => sender.close());
  const sendRaw = (packet: Buffer | string) =>
    new Promise<void>((resolve) => sender.send(packet, capture.address.port, '127.0.0.1', () => resolve()));
  /** A captured TCP read from `source` to `destination` (ports on 127.0.0.1). */
  const send = (source: number, destination: number, payload: string) =>
    sendRaw(
      encodeHep3({
        ipProtocol: 6,
        source: { address: '127.0.0.1', port: source },
        destination: { address: '127.0.0.1', port: destination },
        time: Date.now(),
        payload: Buffer.from(payload),
      }),
    );
  /** Until `done` holds (the capture reads its socket in this event loop), at most 5 s. */
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  };
  return { capture, events, send, sendRaw, until };
}

describe('HEP3 capture: which way a message went (RFC 3261 §18.2.2)', () => {
  it("a message from or to drachtio-server's listening endpoint is out or in; on its own outgoing TCP connection the top Via decides", async () => {
    const { capture, events, send, sendRaw, until } = await captureHarness(
      'udp/127.0.0.1:5080,tcp/127.0.0.1:5080',
    );
    const head = (start: string, via: string) =>
      `${start}\r\nVia: SIP/2.0/TCP ${via};branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
    await send(5060, 5080, head('REGISTER sip:pf@ims.lab SIP/2.0', '127.0.0.1:5060')); // to the listener: in
    await send(41000, 5060, head('INVITE sip:alice@ims.lab SIP/2.0', '127.0.0.1:5080')); // our Via: out
    await send(5060, 41000, head('SIP/2.0 200 OK', '127.0.0.1:5080')); // response to us: in
    await send(41000, 5060, head('ACK sip:alice@ims.lab SIP/2.0', '127.0.0.1:5080')); // learnt socket: out
    await sendRaw('not hep');
    await until(() => events.length >= 4 && capture.counts.rejected >= 1);
    expect(events.map((e) => `${e.direction} ${e.raw.toString().split(' ')[0]}`)).toEqual([
      'in REGISTER',
      'out INVITE',
      'in SIP/2.0',
      'out ACK',
    ]);
    expect(events[1]!.local).toEqual({ address: '127.0.0.1', port: 41000 });
    expect(capture.counts).toEqual({ received: 4, rejected: 1 });
  });
});

describe('HEP3 capture of TCP: sofia-sip captures reads, not messages (RFC 3261 §18.3 framing)', () => {
  it('two messages in one captured read are two trace events; a message split over two reads is one', async () => {
    const { events, send, until } = await captureHarness('tcp/127.0.0.1:5080');
    const register = (expires: number) =>
      `REGISTER sip:pf@ims.lab SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK${expires}\r\nFrom: <sip:alice@ims.lab>;tag=1\r\nTo: <sip:alice@ims.lab>\r\nCall-ID: c${expires}\r\nCSeq: ${expires + 1} REGISTER\r\nExpires: ${expires}\r\nContent-Length: 0\r\n\r\n`;
    await send(5060, 5080, register(600) + register(0)); // one read, two messages
    const split = register(300);
    await send(5060, 5080, split.slice(0, 40)); // one message, two reads
    await send(5060, 5080, split.slice(40));
    await until(() => events.length >= 3);
    expect(events.map((e) => /Expires: (\d+)/.exec(e.raw.toString())?.[1])).toEqual(['600', '0', '300']);
    expect(events.every((e) => e.direction === 'in' && e.raw.toString().startsWith('REGISTER '))).toBe(true);
  });
});

describe('settings and failures say what is wrong', () => {
  it('--drachtio needs --sip-engine drachtio; the engine is one of builtin, drachtio; --drachtio-capture off or host:port', () => {
    expect(() => pfConfig({ drachtio: '127.0.0.1:9022' }, {})).toThrow(ConfigError);
    expect(() => pfConfig({ sipEngine: 'sofia' }, {})).toThrow(/builtin, drachtio/);
    const c = pfConfig({ sipEngine: 'drachtio', drachtio: 'drachtio:9022', drachtioSecret: 's' }, {});
    expect(c.drachtio).toEqual({ host: 'drachtio', port: 9022, secret: 's' });
    expect(c.drachtioCapture).toEqual({ host: '127.0.0.1', port: 9060 });
    expect(pfConfig({ sipEngine: 'drachtio', drachtioCapture: 'off' }, {}).drachtioCapture).toBeNull();
    const env = pfConfig({}, { CPM_LAB_PF_SIP_ENGINE: 'drachtio', CPM_LAB_PF_DRACHTIO: '10.0.0.5' });
    expect(env.drachtio).toEqual({ host: '10.0.0.5', port: 9022, secret: 'cymru' });
  });

  it('no drachtio binary: the error names what to install', () => {
    expect(() => drachtioVersion('/nonexistent/drachtio')).toThrow(DrachtioServerError);
    expect(() => drachtioVersion('/nonexistent/drachtio')).toThrow(
      /drachtio-server is not installed.*CPM_LAB_DRACHTIO/s,
    );
  });

  it('a wrong secret and an address where no drachtio-server listens are refused with the reason', async () => {
    const server = await startDrachtioServer({
      host: '127.0.0.1',
      sipPort: 0,
      capture: { host: '127.0.0.1', port: 9 },
      logger: silentLogger('drachtio'),
    });
    cleanups.push(() => server.close());
    const base = {
      host: '127.0.0.1',
      advertisedHost: '127.0.0.1',
      udpPort: 0,
      tcpPort: 0,
      domain: 'ims.lab',
      t1: 50,
      cscf: { transport: 'tcp' as const, address: '127.0.0.1', port: 5060 },
      trace: new WireTrace(),
      logger: silentLogger('pf'),
      capture: null,
      connectTimeoutMs: 3000,
    };
    await expect(
      DrachtioSignalling.connect({ ...base, server: { ...server.admin, secret: 'wrong' } }),
    ).rejects.toThrow(/refused the PF/);
    await expect(
      DrachtioSignalling.connect({ ...base, server: { host: '127.0.0.1', port: 1, secret: 'x' } }),
    ).rejects.toThrow(/cannot reach drachtio-server at 127\.0\.0\.1:1 within 3000 ms/);
    // The right secret connects; the PF's SIP URI is drachtio-server's TCP endpoint.
    const ok = await DrachtioSignalling.connect({ ...base, server: server.admin });
    cleanups.push(() => ok.close());
    expect(ok.sipUri).toBe(`sip:127.0.0.1:${server.sip.port};transport=tcp`);
  });
});
