import { describe, expect, it } from 'vitest';
import { createCpim, cpimFrom, cpimTo, parseCpim, serializeCpim } from '../../protocol/cpim/index.js';
import {
  IMDN_NS_DECLARATION,
  imdnHeaders,
  imdnMessageId,
  isImdnCpim,
  readImdnCpim,
} from '../../protocol/imdn/index.js';
import { CONTRIB_ID, CONV_ID, knownGroup } from '../test-support/fixtures.js';
import { notificationFromCpim, type ReceivedMessage, receivedFromCpim, routeDisposition } from './index.js';

const SELF = 'sip:alice@ims.lab';
const BOB = 'sip:bob@ims.lab';
const NOW = new Date('2026-11-24T10:20:00.000Z');

function bobMessage(requests: ('positive-delivery' | 'display')[] = ['positive-delivery', 'display']) {
  return createCpim({
    from: { uri: BOB, displayName: 'Bob' },
    to: { uri: 'sip:group-7@ims.lab' },
    namespaces: [IMDN_NS_DECLARATION],
    headers: imdnHeaders('0b1d4f0e5c2a4e8a', requests),
    dateTime: new Date('2026-11-24T10:15:00.000Z'),
    contentType: 'text/plain;charset=utf-8',
    content: Buffer.from('Hello team'),
  });
}

function received(
  arrivedOn: 'deferred' | 'active',
  requests?: ('positive-delivery' | 'display')[],
): ReceivedMessage {
  const m = receivedFromCpim(parseCpim(serializeCpim(bobMessage(requests))), {
    groupKey: CONV_ID,
    arrivedOn,
    receivedAt: NOW,
  });
  if (!m) throw new Error('fixture message not readable');
  return m;
}

describe('received messages from CPIM', () => {
  it('D1.ii: the log entry keeps the sender, imdn.Message-ID and requested dispositions', () => {
    expect(received('deferred')).toEqual({
      groupKey: CONV_ID,
      messageId: '0b1d4f0e5c2a4e8a',
      from: BOB,
      fromName: 'Bob',
      to: 'sip:group-7@ims.lab',
      dateTime: '2026-11-24T10:15:00.000Z',
      contentType: 'text/plain;charset=utf-8',
      text: 'Hello team',
      requested: ['positive-delivery', 'display'],
      arrivedOn: 'deferred',
      receivedAt: NOW.toISOString(),
      notified: {},
    });
  });

  it('D1.ii: a message without imdn.Message-ID cannot be logged or notified', () => {
    const cpim = createCpim({
      from: { uri: BOB },
      to: { uri: SELF },
      content: Buffer.from('x'),
      contentType: 'text/plain',
    });
    expect(
      receivedFromCpim(cpim, { groupKey: CONV_ID, arrivedOn: 'deferred', receivedAt: NOW }),
    ).toBeUndefined();
  });
});

describe('IMDN channel (routeDisposition)', () => {
  it('D1.ii: a message received on a deferred session → SIP MESSAGE to the original sender with the group IDs', () => {
    const route = routeDisposition({
      message: received('deferred'),
      group: knownGroup(),
      self: SELF,
      event: 'delivered',
      notificationId: 'n-1',
      now: NOW,
    });
    if (route.channel !== 'sip-message') throw new Error(`expected sip-message, got ${route.channel}`);
    expect(route.requestUri).toBe(BOB);
    expect(route.to).toBe(BOB);
    expect(route.from).toBe(SELF);
    expect(route.headers).toEqual([
      { name: 'Conversation-ID', value: CONV_ID },
      { name: 'Contribution-ID', value: CONTRIB_ID },
    ]);
    expect(route.contentType).toBe('message/cpim');
    expect(route.clauses).toEqual(['D1.ii']);
    // The CPIM wrapper: From = the user, To = the original sender, a notification about Bob's message.
    const cpim = parseCpim(route.body);
    expect(cpimFrom(cpim)?.uri).toBe(SELF);
    expect(cpimTo(cpim).map((a) => a.uri)).toEqual([BOB]);
    expect(imdnMessageId(cpim)).toBe('n-1');
    expect(isImdnCpim(cpim)).toBe(true);
    const doc = readImdnCpim(cpim);
    expect(doc).toMatchObject({
      messageId: '0b1d4f0e5c2a4e8a',
      recipientUri: SELF,
      notification: { kind: 'delivery', status: 'delivered' },
    });
    expect(doc.dateTime.toISOString()).toBe('2026-11-24T10:15:00.000Z');
  });

  it('D1.ii: even when an active session exists now, a deferred message is notified over SIP MESSAGE', () => {
    const route = routeDisposition({
      message: received('deferred'),
      group: knownGroup(),
      self: SELF,
      event: 'displayed',
      activeSession: 's-1',
    });
    expect(route.channel).toBe('sip-message');
  });

  it('A2.i: a message received on the active session → MSRP SEND on it, CPIM To = the original sender', () => {
    const route = routeDisposition({
      message: received('active'),
      group: knownGroup({ sessionState: 'active' }),
      self: SELF,
      event: 'displayed',
      activeSession: 'session-42',
    });
    if (route.channel !== 'msrp') throw new Error(`expected msrp, got ${route.channel}`);
    expect(route.session).toBe('session-42');
    expect(route.clauses).toEqual(['A2.i']);
    const cpim = parseCpim(route.body);
    expect(cpimTo(cpim).map((a) => a.uri)).toEqual([BOB]);
    expect(cpimFrom(cpim)?.uri).toBe(SELF);
    expect(readImdnCpim(cpim).notification).toEqual({ kind: 'display', status: 'displayed' });
  });

  it('A2.i: the active session has ended since → SIP MESSAGE (OMA CPM 5.4)', () => {
    const route = routeDisposition({
      message: received('active'),
      group: knownGroup(),
      self: SELF,
      event: 'displayed',
    });
    if (route.channel !== 'sip-message') throw new Error(`expected sip-message, got ${route.channel}`);
    expect(route.clauses).toEqual(['OMA CPM 5.4']);
  });

  it('D1.ii: only requested notifications are sent, and each once', () => {
    const onlyDelivery = received('deferred', ['positive-delivery']);
    expect(
      routeDisposition({ message: onlyDelivery, group: knownGroup(), self: SELF, event: 'displayed' }),
    ).toEqual({
      channel: 'none',
      reason: 'not-requested',
    });
    const sent = { ...onlyDelivery, notified: { delivery: true } };
    expect(routeDisposition({ message: sent, group: knownGroup(), self: SELF, event: 'delivered' })).toEqual({
      channel: 'none',
      reason: 'already-sent',
    });
  });

  it('D1.ii: an incoming notification is read back for the sender side of the log', () => {
    const route = routeDisposition({
      message: received('deferred'),
      group: knownGroup(),
      self: SELF,
      event: 'delivered',
    });
    if (route.channel === 'none') throw new Error('expected a route');
    const n = notificationFromCpim(route.cpim, readImdnCpim(route.cpim), {
      groupKey: CONV_ID,
      receivedAt: NOW,
    });
    expect(n).toMatchObject({
      from: SELF,
      aboutMessageId: '0b1d4f0e5c2a4e8a',
      notification: { kind: 'delivery' },
    });
  });
});

describe('IMDN routing through intermediaries (RFC 5438 §4)', () => {
  const RR1 = 'sip:im-rtr-1@ims.lab';
  const RR2 = 'sip:im-rtr-2@ims.lab';

  function routed(arrivedOn: 'deferred' | 'active'): ReceivedMessage {
    const cpim = bobMessage();
    // Prefixed with another name for the IMDN namespace: headers are resolved through NS (RFC 3862 §3.4).
    cpim.headers.push(
      { name: 'NS', value: 'rt <urn:ietf:params:imdn>' },
      { name: 'imdn.IMDN-Record-Route', value: `<${RR1}>` },
      { name: 'rt.IMDN-Record-Route', value: `Router 2 <${RR2}>` },
    );
    const m = receivedFromCpim(parseCpim(serializeCpim(cpim)), {
      groupKey: CONV_ID,
      arrivedOn,
      receivedAt: NOW,
    });
    if (!m) throw new Error('fixture message not readable');
    return m;
  }

  it('RFC 5438 §4: IMDN-Record-Route is kept in order; the notification carries it as IMDN-Route and goes to the top URI', () => {
    const m = routed('deferred');
    expect(m.imdnRecordRoute).toEqual([RR1, RR2]);
    const route = routeDisposition({
      message: m,
      group: knownGroup(),
      self: SELF,
      event: 'delivered',
      now: NOW,
    });
    if (route.channel !== 'sip-message') throw new Error(`expected SIP MESSAGE, got ${route.channel}`);
    expect(route.requestUri).toBe(RR1);
    expect(route.to).toBe(BOB);
    const cpim = parseCpim(route.body);
    expect(cpim.headers.filter((h) => /IMDN-Route$/.test(h.name)).map((h) => h.value)).toEqual([
      `<${RR1}>`,
      `<${RR2}>`,
    ]);
    expect(cpimTo(cpim).map((a) => a.uri)).toEqual([BOB]);
  });

  it('RFC 5438 §4: without IMDN-Record-Route the notification goes to the original sender and carries no IMDN-Route', () => {
    const route = routeDisposition({
      message: received('deferred'),
      group: knownGroup(),
      self: SELF,
      event: 'delivered',
      now: NOW,
    });
    if (route.channel !== 'sip-message') throw new Error(`expected SIP MESSAGE, got ${route.channel}`);
    expect(route.requestUri).toBe(BOB);
    expect(parseCpim(route.body).headers.some((h) => /IMDN-Route$/.test(h.name))).toBe(false);
  });
});
