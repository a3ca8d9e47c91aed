// Reading the merged trace for scenario checks.
import { describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest } from '../../protocol/sip/index.js';
import { lastTransaction } from './wire.js';

function register(cseq: number, branch: string): SipRequest {
  return parseMessage(
    Buffer.from(
      [
        'REGISTER sip:127.0.0.1:5070 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=${branch}`,
        'Max-Forwards: 70',
        'From: <sip:alice@ims.lab>;tag=cscf1',
        'To: <sip:alice@ims.lab>',
        'Call-ID: third-party-alice',
        `CSeq: ${cseq} REGISTER`,
        'Expires: 600',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}

describe('lastTransaction', () => {
  it('RFC 3261 §17.1.2.2: a retransmission is the same request: the last REGISTER is the first copy of the last transaction', () => {
    const hops = [
      { index: 1, message: register(1, 'z9hG4bK-a') },
      { index: 4, message: register(2, 'z9hG4bK-b') }, // a new REGISTER (CSeq 2)
      { index: 9, message: register(2, 'z9hG4bK-b') }, // its retransmission, after an INVITE at index 6
    ];
    expect(lastTransaction(hops)?.index).toBe(4);
    // A later refresh (new CSeq and branch) is a later request.
    expect(lastTransaction([...hops, { index: 12, message: register(3, 'z9hG4bK-c') }])?.index).toBe(12);
    // The same CSeq through another branch is another transaction (a new client transaction, §8.1.1.7).
    expect(lastTransaction([...hops, { index: 15, message: register(2, 'z9hG4bK-d') }])?.index).toBe(15);
    expect(lastTransaction([])).toBeUndefined();
  });
});
