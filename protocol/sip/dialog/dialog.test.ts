import { afterEach, describe, expect, it, vi } from 'vitest';
import { createResponse } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import { parseMessage } from '../parser.js';
import { Dialog, dialogIdOfRequest, dialogKey } from './dialog.js';
import { Uas2xxRetransmitter } from './uas-2xx-retransmitter.js';

const invite = parseMessage(
  Buffer.from(
    [
      'INVITE sip:bob@ims.lab SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKd1',
      'Record-Route: <sip:p2.ims.lab;lr>, <sip:p1.ims.lab;lr>',
      'From: "Alice" <sip:alice@ims.lab>;tag=al1',
      'To: <sip:bob@ims.lab>',
      'Call-ID: dlg-1',
      'CSeq: 10 INVITE',
      'Contact: <sip:alice@127.0.0.1:5062>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ),
) as SipRequest;

function ok(request: SipRequest = invite): SipResponse {
  const r = createResponse(request, 200, undefined, 'bo1');
  r.append('Contact', '<sip:bob@127.0.0.1:5064;transport=tcp>');
  return r;
}

describe('RFC 3261 §12.1 dialog creation', () => {
  it('§12.1.1 UAS: route set = Record-Route in order, remote target = Contact, remote seq = CSeq', () => {
    const d = Dialog.fromUas(invite, ok());
    expect(d.id).toEqual({ callId: 'dlg-1', localTag: 'bo1', remoteTag: 'al1' });
    expect(d.routeSet).toEqual(['<sip:p2.ims.lab;lr>', '<sip:p1.ims.lab;lr>']);
    expect(d.remoteTarget).toBe('sip:alice@127.0.0.1:5062');
    expect(d.remoteSeq).toBe(10);
    expect(d.state).toBe('confirmed');
    expect(dialogKey(d.id)).toBe(d.key);
  });

  it('§12.1.2 UAC: route set = Record-Route reversed, remote target = the 2xx Contact', () => {
    const d = Dialog.fromUac(invite, ok());
    expect(d.id).toEqual({ callId: 'dlg-1', localTag: 'al1', remoteTag: 'bo1' });
    expect(d.routeSet).toEqual(['<sip:p1.ims.lab;lr>', '<sip:p2.ims.lab;lr>']);
    expect(d.remoteTarget).toBe('sip:bob@127.0.0.1:5064;transport=tcp');
    expect(d.localSeq).toBe(10);
  });

  it('an early dialog (1xx with To tag) is confirmed by the 2xx, which refreshes the target', () => {
    const ringing = createResponse(invite, 180, undefined, 'bo1');
    ringing.append('Contact', '<sip:bob@127.0.0.1:9999>');
    const d = Dialog.fromUac(invite, ringing);
    expect(d.state).toBe('early');
    d.confirm(ok());
    expect(d.state).toBe('confirmed');
    expect(d.remoteTarget).toBe('sip:bob@127.0.0.1:5064;transport=tcp');
  });
});

describe('RFC 3261 §12.2 requests within a dialog', () => {
  it('§12.2.1.1 loose routing: R-URI = remote target, Route = route set, CSeq increments', () => {
    const d = Dialog.fromUac(invite, ok());
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:bob@127.0.0.1:5064;transport=tcp');
    expect(bye.getAll('route')).toEqual(['<sip:p1.ims.lab;lr>', '<sip:p2.ims.lab;lr>']);
    expect(bye.cseq).toEqual({ seq: 11, method: 'BYE' });
    expect(bye.fromTag).toBe('al1');
    expect(bye.toTag).toBe('bo1');
    expect(bye.callId).toBe('dlg-1');
    expect(d.createRequest('INFO').cseq.seq).toBe(12);
  });

  it('§12.2.1.1 strict routing: first route becomes the R-URI, remote target appended', () => {
    const strict = invite.clone();
    strict.set('Record-Route', '<sip:strict.ims.lab>');
    const d = Dialog.fromUac(strict, ok(strict));
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:strict.ims.lab');
    expect(bye.getAll('route')).toEqual(['<sip:bob@127.0.0.1:5064;transport=tcp>']);
  });

  it('§13.2.2.4: the ACK for a 2xx reuses the INVITE CSeq number', () => {
    const d = Dialog.fromUac(invite, ok());
    expect(d.createAck(10).cseq).toEqual({ seq: 10, method: 'ACK' });
    expect(d.localSeq).toBe(10);
  });

  it('§12.2.2: a lower remote CSeq is rejected (500), ACK and CANCEL are exempt', () => {
    const d = Dialog.fromUas(invite, ok());
    const lower = invite.clone();
    lower.method = 'INFO';
    lower.set('CSeq', '9 INFO');
    expect(d.acceptRemoteSeq(lower)).toBe(false);
    lower.set('CSeq', '11 INFO');
    expect(d.acceptRemoteSeq(lower)).toBe(true);
    expect(d.remoteSeq).toBe(11);
    const ack = invite.clone();
    ack.method = 'ACK';
    ack.set('CSeq', '10 ACK');
    expect(d.acceptRemoteSeq(ack)).toBe(true);
  });

  it('dialogIdOfRequest reads the UAS view of an in-dialog request', () => {
    const d = Dialog.fromUac(invite, ok());
    const bye = d.createRequest('BYE');
    expect(dialogIdOfRequest(bye)).toEqual({ callId: 'dlg-1', localTag: 'bo1', remoteTag: 'al1' });
    expect(dialogIdOfRequest(invite)).toBeUndefined();
  });
});

describe('RFC 3261 §13.3.1.4: 2xx retransmission until ACK', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('whatever the transport: retransmits at T1, 2T1, 4T1 … capped at T2, stops on ACK', () => {
    vi.useFakeTimers();
    const sends: number[] = [];
    const r = new Uas2xxRetransmitter({
      timers: { t1: 500, t2: 4000 },
      retransmit: () => sends.push(Date.now()),
      onTimeout: () => {
        throw new Error('no timeout expected');
      },
    });
    const start = Date.now();
    vi.advanceTimersByTime(500 + 1000 + 2000 + 4000 + 4000);
    expect(sends.map((t) => t - start)).toEqual([500, 1500, 3500, 7500, 11500]);
    r.acknowledge();
    vi.advanceTimersByTime(60_000);
    expect(sends).toHaveLength(5);
    expect(r.state).toBe('acknowledged');
  });

  it('without ACK it gives up after 64*T1 and reports it once', () => {
    vi.useFakeTimers();
    let timeouts = 0;
    const r = new Uas2xxRetransmitter({
      timers: { t1: 500, t2: 4000 },
      retransmit: () => {},
      onTimeout: () => timeouts++,
    });
    vi.advanceTimersByTime(64 * 500);
    expect(timeouts).toBe(1);
    expect(r.state).toBe('timed-out');
    vi.advanceTimersByTime(64 * 500);
    expect(timeouts).toBe(1);
  });
});
