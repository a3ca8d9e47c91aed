// SipMessage's typed accessors: parsed once per header text, parsed again when the text changes.
import { describe, expect, it } from 'vitest';
import { createRequest } from './builders.js';
import { replaceTopVia } from './transport/index.js';

function request() {
  const r = createRequest({
    method: 'OPTIONS',
    uri: 'sip:pf@ims.lab',
    from: '<sip:alice@ims.lab>;tag=a1',
    to: '<sip:pf@ims.lab>',
    callId: 'c1',
    cseq: 1,
  });
  r.prepend('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKone, SIP/2.0/TCP 192.0.2.2;branch=z9hG4bKtwo');
  return r;
}

describe('SipMessage accessors', () => {
  it('RFC 3261 §7.3.1: the top Via is the first element of the first Via field, also when a field holds several', () => {
    const r = request();
    expect(r.topVia).toMatchObject({ host: '192.0.2.1', port: 5060, transport: 'UDP' });
    expect(r.vias.map((v) => v.host)).toEqual(['192.0.2.1', '192.0.2.2']);
    r.prepend('Via', 'SIP/2.0/TCP proxy.ims.lab;branch=z9hG4bKtop');
    expect(r.topVia.host).toBe('proxy.ims.lab');
  });

  it('a header read twice is parsed once; a changed text is parsed again (replaceTopVia, set)', () => {
    const r = request();
    const via = r.topVia;
    expect(r.topVia).toBe(via);
    via.params.set('received', '198.51.100.7');
    replaceTopVia(r, via);
    expect(r.topVia.params.get('received')).toBe('198.51.100.7');
    expect(r.get('via')).toMatch(
      /^SIP\/2\.0\/UDP 192\.0\.2\.1:5060;branch=z9hG4bKone;received=198\.51\.100\.7, /,
    );
    const to = r.to;
    expect(r.to).toBe(to);
    r.set('To', '<sip:pf@ims.lab>;tag=pf9');
    expect(r.to).not.toBe(to);
    expect(r.toTag).toBe('pf9');
    r.set('CSeq', '2 OPTIONS');
    expect(r.cseq.seq).toBe(2);
  });

  it('a clone parses for itself: changing the clone leaves the original as it was', () => {
    const r = request();
    void r.topVia;
    const c = r.clone();
    const via = c.topVia;
    via.host = 'changed.invalid';
    replaceTopVia(c, via);
    expect(c.topVia.host).toBe('changed.invalid');
    expect(r.topVia.host).toBe('192.0.2.1');
  });
});
