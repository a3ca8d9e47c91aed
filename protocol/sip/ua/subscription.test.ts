import { afterEach, describe, expect, it } from 'vitest';
import { Dialog } from '../dialog/index.js';
import { createRequest, createResponse, newCallId, newTag, type SipRequest } from '../index.js';
import { TransactionLayer } from '../transaction/index.js';
import { FAST_TIMERS, hopOf, nextEvent, startUa, uriOf } from '../test-support/ua.js';
import { SipTransportLayer, type TransportKind } from '../transport/index.js';
import type { NotifierSubscription, SubscriptionState } from './subscription.js';
import type { UserAgent } from './user-agent.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function rawPeer(): Promise<{ transport: SipTransportLayer; layer: TransactionLayer }> {
  const transport = await SipTransportLayer.listen({ udp: {} });
  const layer = new TransactionLayer(transport, { timers: FAST_TIMERS });
  cleanups.push(async () => {
    layer.close();
    await transport.close();
  });
  return { transport, layer };
}

async function ua(user: string, options: Parameters<typeof startUa>[1] = {}): Promise<UserAgent> {
  const agent = await startUa(user, options);
  cleanups.push(() => agent.close());
  return agent;
}

const CONF_TYPE = 'application/conference-info+xml';

describe.each<TransportKind>(['udp', 'tcp'])('RFC 6665 SUBSCRIBE/NOTIFY over %s', (transport) => {
  it('§4.1.2.1/§4.2.2: SUBSCRIBE → 200, NOTIFYs in the dialog, refresh, unsubscribe ends with a terminated NOTIFY', async () => {
    const alice = await ua('alice', { defaultTransport: transport });
    const bob = await ua('bob');
    const notifier = new Promise<NotifierSubscription>((resolve) => {
      bob.on('SUBSCRIBE', async (req, res) => {
        expect(res.event).toBe('conference');
        expect(req.get('accept')).toBe(CONF_TYPE);
        const sub = await res.accept({ expires: 600 });
        resolve(sub);
        await sub.notify({ body: '<conference-info version="1"/>', contentType: CONF_TYPE });
      });
    });
    const notifies: Array<[SipRequest, SubscriptionState | undefined]> = [];
    let notified: () => void = () => {};
    const firstNotify = new Promise<void>((resolve) => {
      notified = resolve;
    });
    const sub = await alice.subscribe(uriOf(bob, 'bob', transport), {
      event: 'conference',
      expires: 3600,
      accept: CONF_TYPE,
      onNotify: (req, state) => {
        notifies.push([req, state]);
        notified();
      },
    });
    // §4.2.1.1: the notifier may shorten the duration; the 2xx Expires is what counts.
    expect(sub.expires).toBe(600);
    expect(sub.state).toBe('active');
    await firstNotify;
    expect(notifies[0]![0].body.toString()).toBe('<conference-info version="1"/>');
    expect(notifies[0]![1]).toMatchObject({ state: 'active' });
    expect(notifies[0]![1]!.expires).toBeGreaterThan(590);

    const server = await notifier;
    const refreshed = nextEvent<[number]>(server, 'refreshed');
    const ok = await sub.refresh(300);
    expect(ok.status).toBe(200);
    expect((await refreshed)[0]).toBe(300);

    const terminated = nextEvent<[string | undefined]>(sub, 'terminated');
    const serverTerminated = nextEvent(server, 'terminated');
    await sub.unsubscribe();
    await terminated;
    await serverTerminated;
    expect(sub.state).toBe('terminated');
    expect(server.terminated).toBe(true);
    expect(notifies.at(-1)![0].get('subscription-state')).toBe('terminated');
    expect(alice.dialogCount).toBe(0);
    expect(bob.dialogCount).toBe(0);
  });
});

describe('RFC 6665 subscription rules', () => {
  it('§4.2.2: a subscription that is not refreshed expires: NOTIFY terminated;reason=timeout', async () => {
    const bob = await ua('bob');
    const peer = await rawPeer();
    const local = peer.transport.sentBy('udp')!;
    const notifier = new Promise<NotifierSubscription>((resolve) => {
      bob.on('SUBSCRIBE', async (_req, res) => resolve(await res.accept()));
    });
    const notifies: SipRequest[] = [];
    const terminatedNotify = new Promise<SipRequest>((resolve) => {
      peer.layer.onRequest((req, tx) => {
        void tx.reply(200);
        notifies.push(req);
        if (req.get('subscription-state')?.startsWith('terminated')) resolve(req);
      });
    });
    const subscribeRequest = createRequest({
      method: 'SUBSCRIBE',
      uri: uriOf(bob, 'bob', 'udp'),
      from: `<sip:peer@ims.lab>;tag=${newTag()}`,
      to: '<sip:bob@ims.lab>',
      callId: newCallId(),
      cseq: 1,
      headers: [
        ['Contact', `<sip:peer@${local.address}:${local.port}>`],
        ['Event', 'conference'],
        ['Expires', 1],
      ],
    });
    const ok = await peer.layer.sendRequest(subscribeRequest, hopOf(bob, 'udp')).final;
    expect(ok.status).toBe(200);
    expect(ok.get('expires')).toBe('1');
    const server = await notifier;
    const ended = nextEvent<[string | undefined]>(server, 'terminated');
    const notify = await terminatedNotify;
    expect(notify.get('subscription-state')).toBe('terminated;reason=timeout');
    expect(notify.get('event')).toBe('conference');
    expect((await ended)[0]).toBe('timeout');
    expect(bob.dialogCount).toBe(0);
  });

  it('§4.1.2.4: a NOTIFY that arrives before the 2xx creates the dialog', async () => {
    const alice = await ua('alice');
    const { transport, layer } = await rawPeer();
    const local = transport.sentBy('udp')!;
    const notifyAnswer = new Promise<number>((resolve) => {
      layer.onRequest(async (req, tx) => {
        const ok = createResponse(req, 200, undefined, tx.toTag);
        ok.append('Contact', `<sip:notifier@${local.address}:${local.port}>`);
        ok.append('Expires', 600);
        const dialog = Dialog.fromUas(req, ok);
        const notify = dialog.createRequest('NOTIFY', {
          headers: [
            ['Event', 'conference'],
            ['Subscription-State', 'active;expires=600'],
            ['Contact', `<sip:notifier@${local.address}:${local.port}>`],
          ],
        });
        const response = await layer.sendRequest(notify, hopOf(alice, 'udp')).final;
        resolve(response.status);
        await tx.respond(ok); // the 2xx only after the NOTIFY's transaction completed
      });
    });
    const early: SipRequest[] = [];
    const sub = await alice.subscribe(`sip:notifier@${local.address}:${local.port}`, {
      event: 'conference',
      onNotify: (req) => early.push(req),
    });
    expect(await notifyAnswer).toBe(200);
    expect(early).toHaveLength(1);
    expect(sub.dialog.id.remoteTag).toBe(early[0]!.fromTag);
    expect(alice.dialogCount).toBe(1);
  });
});
