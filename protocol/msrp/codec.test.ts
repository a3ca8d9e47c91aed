import { describe, expect, it } from 'vitest';
import { formatByteRange, parseByteRange } from './byte-range.js';
import { isAcceptedType } from './content-type.js';
import { MsrpSerializeError } from './errors.js';
import { formatStatus, parseStatus } from './frame.js';
import { outgoingTransition } from './outgoing.js';
import { ByteBudget, Reassembler } from './reassembly.js';
import { buildRequest, buildResponse, pickTransactionId, serializeFrame } from './serializer.js';
import { sessionTransition } from './session.js';

describe('Byte-Range', () => {
  it('RFC 4975 §9: start-end/total, 1-based inclusive, * for unknown', () => {
    expect(parseByteRange('1-2048/1048576')).toEqual({ start: 1, end: 2048, total: 1048576 });
    expect(parseByteRange('1-*/*')).toEqual({ start: 1, end: undefined, total: undefined });
    expect(parseByteRange('2049-*/4096')).toEqual({ start: 2049, end: undefined, total: 4096 });
    expect(parseByteRange('1-0/0')).toEqual({ start: 1, end: 0, total: 0 });
    for (const bad of ['0-1/1', '5-3/9', '1-10/5', 'a-b/c', '1-2', ''])
      expect(parseByteRange(bad), bad).toBeUndefined();
    expect(formatByteRange({ start: 7, end: undefined, total: undefined })).toBe('7-*/*');
  });
});

describe('Status and accept-types', () => {
  it('RFC 4975 §9: Status: 000 200 OK', () => {
    expect(parseStatus('000 200 OK')).toEqual({ namespace: 0, code: 200, comment: 'OK' });
    expect(parseStatus('000 413')).toEqual({ namespace: 0, code: 413 });
    expect(parseStatus('200 OK')).toBeUndefined();
    expect(formatStatus(200)).toBe('000 200 OK');
  });

  it('RFC 4975 §8.6: accept-types with * and type/* wildcards, parameters ignored', () => {
    expect(isAcceptedType('text/plain;charset=utf-8', ['text/*'])).toBe(true);
    expect(isAcceptedType('Message/CPIM', ['message/cpim'])).toBe(true);
    expect(isAcceptedType('image/png', ['*'])).toBe(true);
    expect(isAcceptedType('image/png', ['message/cpim', 'text/*'])).toBe(false);
    expect(isAcceptedType('textual/plain', ['text/*'])).toBe(false);
  });
});

describe('Serializer', () => {
  it('RFC 4975 §7.1.1: the transaction ID is re-picked while its end-line occurs in the body', () => {
    const body = Buffer.from('xx\r\n-------collide1$\r\nyy');
    const ids = ['collide1', 'fresh0001'];
    expect(pickTransactionId(body, () => ids.shift()!)).toBe('fresh0001');
    const req = buildRequest({
      method: 'SEND',
      toPath: 'msrp://a:1/x;tcp',
      fromPath: 'msrp://b:2/y;tcp',
      body,
      contentType: 'text/plain',
    });
    expect(body.includes(`-------${req.transactionId}`)).toBe(false);
    expect(() => serializeFrame({ ...req, transactionId: 'collide1' })).toThrow(MsrpSerializeError);
  });

  it('RFC 4975 §7.1: To-Path, From-Path first and Content-Type last, whatever the input order', () => {
    const bytes = serializeFrame({
      kind: 'request',
      transactionId: 'ord3r001',
      method: 'SEND',
      headers: [
        { name: 'Content-Type', value: 'text/plain' },
        { name: 'Message-ID', value: 'm' },
        { name: 'From-Path', value: 'msrp://b:2/y;tcp' },
        { name: 'Byte-Range', value: '1-2/2' },
        { name: 'To-Path', value: 'msrp://a:1/x;tcp' },
      ],
      body: Buffer.from('hi'),
      flag: '$',
    });
    expect(bytes.toString()).toBe(
      'MSRP ord3r001 SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nMessage-ID: m\r\n' +
        'Byte-Range: 1-2/2\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------ord3r001$\r\n',
    );
  });

  it('RFC 4975 §7.2: responses carry no body and the reason phrase', () => {
    const res = serializeFrame(buildResponse('t1234567', 481, 'msrp://a:1/x;tcp', 'msrp://b:2/y;tcp'));
    expect(res.toString()).toBe(
      'MSRP t1234567 481 No Such Session\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\n-------t1234567$\r\n',
    );
  });

  it('RFC 4975 §7.1: header injection and bad identifiers are refused', () => {
    const base = buildRequest({ method: 'SEND', toPath: 'msrp://a:1/x;tcp', fromPath: 'msrp://b:2/y;tcp' });
    expect(() => serializeFrame({ ...base, headers: [{ name: 'X', value: 'a\r\nB: c' }] })).toThrow(
      MsrpSerializeError,
    );
    expect(() => serializeFrame({ ...base, transactionId: 'bad id' })).toThrow(MsrpSerializeError);
    expect(() => serializeFrame({ ...base, method: 'send' })).toThrow(MsrpSerializeError);
  });
});

describe('Reassembler', () => {
  const limits = { maxMessageBytes: 100, maxPendingMessages: 2 };
  const r = (start: number, end: number | undefined, total: number | undefined) => ({ start, end, total });

  it('RFC 4975 §7.3: interleaved, out-of-order and overlapping chunks reassemble per Message-ID', () => {
    const re = new Reassembler(limits);
    expect(re.add('b', r(4, 6, 6), '$', Buffer.from('DEF'), 'text/plain').state).toBe('partial');
    expect(re.add('a', r(3, 4, 4), '$', Buffer.from('cd'), 'text/plain').state).toBe('partial');
    expect(re.add('a', r(1, 3, 4), '+', Buffer.from('abc'), undefined)).toMatchObject({ state: 'complete' });
    const done = re.add('b', r(1, 3, 6), '+', Buffer.from('ABC'), 'text/plain');
    expect(done.state === 'complete' && done.body.toString()).toBe('ABCDEF');
    expect(re.pendingCount).toBe(0);
  });

  it('RFC 4975 §7.1.2: total unknown (*) completes at the $ chunk; # discards', () => {
    const re = new Reassembler(limits);
    re.add('m', r(1, undefined, undefined), '+', Buffer.from('12'), 'text/plain');
    const done = re.add('m', r(3, undefined, undefined), '$', Buffer.from('34'), 'text/plain');
    expect(done.state === 'complete' && done.body.toString()).toBe('1234');
    re.add('x', r(1, 2, 10), '+', Buffer.from('12'), 'text/plain');
    expect(re.add('x', r(3, 2, 10), '#', Buffer.alloc(0), 'text/plain').state).toBe('aborted');
    expect(re.pendingCount).toBe(0);
  });

  it('RFC 4975 §7.3: over max-size is too-large; inconsistent ranges and too many messages are invalid', () => {
    const re = new Reassembler(limits);
    expect(re.add('big', r(1, 10, 1000), '+', Buffer.alloc(10), 'text/plain').state).toBe('too-large');
    expect(re.add('lie', r(1, 5, 10), '+', Buffer.alloc(3), 'text/plain').state).toBe('invalid');
    re.add('p1', r(1, 1, 5), '+', Buffer.alloc(1), undefined);
    re.add('p2', r(1, 1, 5), '+', Buffer.alloc(1), undefined);
    expect(re.add('p3', r(1, 1, 5), '+', Buffer.alloc(1), undefined).state).toBe('invalid');
  });

  it('bounded memory: duplicated and overlapping chunks store each byte once; the held bytes are what counts', () => {
    const re = new Reassembler({ maxMessageBytes: 10_000, maxPendingMessages: 4 });
    const chunk = Buffer.alloc(1000, 0x61);
    for (let i = 0; i < 10_000; i++) {
      expect(re.add('dup', r(1, 1000, 5000), '+', chunk, 'text/plain').state).toBe('partial');
    }
    expect(re.heldBytes).toBe(1000);
    // Overlaps add only the octets not held yet.
    expect(re.add('dup', r(501, 2000, 5000), '+', Buffer.alloc(1500, 0x62), undefined).state).toBe('partial');
    expect(re.heldBytes).toBe(2000);
    const done = re.add('dup', r(1, 5000, 5000), '$', Buffer.alloc(5000, 0x63), undefined);
    expect(done.state).toBe('complete');
    if (done.state === 'complete') {
      // The first copy of each octet wins: a's, then b's past 1000, then c's.
      expect(done.body.subarray(0, 1000).every((b) => b === 0x61)).toBe(true);
      expect(done.body.subarray(1000, 2000).every((b) => b === 0x62)).toBe(true);
      expect(done.body.subarray(2000).every((b) => b === 0x63)).toBe(true);
    }
    expect(re.heldBytes).toBe(0);
  });

  it('bounded memory: per-session and per-node budgets refuse (413) what would exceed them; incomplete messages expire', () => {
    let now = 0;
    const node = new ByteBudget(3000);
    const a = new Reassembler({
      maxMessageBytes: 10_000,
      maxPendingMessages: 8,
      maxSessionBytes: 2500,
      nodeBudget: node,
      incompleteTimeoutMs: 1000,
      now: () => now,
    });
    const b = new Reassembler({
      maxMessageBytes: 10_000,
      maxPendingMessages: 8,
      nodeBudget: node,
      now: () => now,
    });
    expect(a.add('m1', r(1, 2000, 9000), '+', Buffer.alloc(2000), 'text/plain').state).toBe('partial');
    expect(a.add('m2', r(1, 1000, 9000), '+', Buffer.alloc(1000), 'text/plain')).toMatchObject({
      state: 'too-large',
    });
    expect(a.heldBytes).toBe(2000);
    expect(b.add('n1', r(1, 1000, 9000), '+', Buffer.alloc(1000), 'text/plain').state).toBe('partial');
    expect(node.held).toBe(3000);
    expect(b.add('n2', r(1, 10, 9000), '+', Buffer.alloc(10), 'text/plain')).toMatchObject({
      state: 'too-large',
    });
    // m1 sees nothing for longer than the timeout: dropped at the next chunk, its bytes given back.
    now = 2000;
    expect(a.add('m3', r(1, 10, 20), '+', Buffer.alloc(10), 'text/plain').state).toBe('partial');
    expect(a.pendingCount).toBe(1);
    expect(node.held).toBe(1010);
    a.clear();
    b.clear();
    expect(node.held).toBe(0);
  });

  it('RFC 4975 §7.1.2: an empty message (1-0/0) is complete at once', () => {
    const done = new Reassembler(limits).add('e', r(1, 0, 0), '$', Buffer.alloc(0), 'text/plain');
    expect(done.state === 'complete' && done.body.length).toBe(0);
  });
});

describe('State machines', () => {
  const p = { allSent: true, inFlight: 0, expectResponses: true, successReport: true, reportOk: false };

  it('RFC 4975 §7.1.2: a send succeeds only after every 200 and, when asked, the success REPORT', () => {
    expect(outgoingTransition('sending', { kind: 'progress' }, { ...p, allSent: false })).toBe('sending');
    expect(outgoingTransition('sending', { kind: 'progress' }, { ...p, inFlight: 2 })).toBe(
      'awaiting-responses',
    );
    expect(outgoingTransition('awaiting-responses', { kind: 'progress' }, p)).toBe('awaiting-report');
    expect(
      outgoingTransition('awaiting-report', { kind: 'report', status: 200 }, { ...p, reportOk: true }),
    ).toBe('succeeded');
    expect(outgoingTransition('awaiting-report', { kind: 'report', status: 413 }, p)).toBe('failed');
    expect(outgoingTransition('awaiting-responses', { kind: 'timeout' }, p)).toBe('failed');
    expect(outgoingTransition('succeeded', { kind: 'connection-lost' }, p)).toBe('succeeded');
    expect(
      outgoingTransition(
        'sending',
        { kind: 'progress' },
        { ...p, expectResponses: false, inFlight: 3, successReport: false },
      ),
    ).toBe('succeeded');
  });

  it('RFC 6135 §4: sessions go idle → connecting/waiting → bound → closed', () => {
    expect(sessionTransition('idle', { kind: 'start', role: 'active' })).toBe('connecting');
    expect(sessionTransition('idle', { kind: 'start', role: 'passive' })).toBe('waiting');
    expect(sessionTransition('waiting', { kind: 'bound' })).toBe('bound');
    expect(sessionTransition('bound', { kind: 'connection-lost' })).toBe('closed');
    expect(sessionTransition('closed', { kind: 'bound' })).toBe('closed');
    expect(sessionTransition('bound', { kind: 'start', role: 'active' })).toBe('bound');
  });
});
