// flushBacklog over a real MSRP session pair (two endpoints on loopback) and a real store: pipelined sends,
// order kept, and items leaving the store strictly in order (architecture.md "Rules": only after the 200 OK).
import { afterEach, describe, expect, it } from 'vitest';
import type { MsrpSession } from '../../protocol/msrp/index.js';
import { msrpSessionPair } from '../../protocol/msrp/test-support/session-pair.js';
import { DeliveryInterrupted, flushBacklog } from './deferred-delivery.js';
import type { Leg } from './leg.js';
import { DeferredWriter, WriteBatcher } from './store/index.js';
import { ALICE, item, memoryStores, sampleGroup } from './store/test-support/fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sessionPair(): Promise<{ pf: MsrpSession; client: MsrpSession }> {
  const pair = await msrpSessionPair();
  cleanups.push(pair.close);
  return { pf: pair.sa, client: pair.sb };
}

function backlog(items: Array<{ n: number; bytes?: number }>) {
  const stores = memoryStores();
  stores.groups.create(sampleGroup('7'));
  for (const { n, bytes } of items) {
    const overrides = bytes === undefined ? {} : { body: Buffer.alloc(bytes, 0x61) };
    stores.deferred.enqueue(item(ALICE, '7', n, overrides));
  }
  const writer = new DeferredWriter(stores.deferred, new WriteBatcher(stores.db));
  const source = { store: stores.deferred, writer, pendingWrites: () => undefined };
  const left = () => stores.deferred.peek(ALICE, '7').map((i) => i.messageId);
  return { source, writer, left };
}

/** The parts of a leg flushBacklog uses, over a real MSRP session. */
function legOn(msrp: MsrpSession): Leg {
  return { user: ALICE, groupId: '7', msrp, ended: undefined } as unknown as Leg;
}

const text = (body: Buffer) => /message (\d+)/.exec(body.toString())?.[1] ?? `big:${body.length}`;

describe('flushBacklog (protocol-notes §4)', () => {
  it('RFC 4975 §7.1: single-chunk items are pipelined, arrive in order, and all leave the store', async () => {
    const { pf, client } = await sessionPair();
    const { source, left } = backlog(Array.from({ length: 300 }, (_, n) => ({ n })));
    const arrived: string[] = [];
    let holding = 0;
    let mostHeld = 0;
    client.acceptor = async (m) => {
      arrived.push(text(m.body));
      mostHeld = Math.max(mostHeld, ++holding);
      await new Promise((r) => setImmediate(r)); // the recipient stores it, then answers
      holding -= 1;
      return 200;
    };
    expect(await flushBacklog(source, legOn(pf))).toBe(300);
    expect(arrived).toEqual(Array.from({ length: 300 }, (_, n) => String(n)));
    expect(mostHeld).toBeGreaterThan(1); // more than one SEND was unanswered at once
    expect(left()).toEqual([]);
  });

  it('an item refused mid-window: it and every later one stay stored, even those answered 200 (order kept)', async () => {
    const { pf, client } = await sessionPair();
    const { source, left } = backlog(Array.from({ length: 200 }, (_, n) => ({ n })));
    const answered200: number[] = [];
    client.acceptor = (m) => {
      const n = Number(text(m.body));
      if (n === 100) return 500;
      answered200.push(n);
      return 200;
    };
    const error = await flushBacklog(source, legOn(pf)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryInterrupted);
    expect((error as DeliveryInterrupted).delivered).toBe(100);
    expect(answered200.some((n) => n > 100)).toBe(true); // later items were in flight and accepted
    expect(left()).toEqual(Array.from({ length: 100 }, (_, n) => `m-${n + 100}`));
  });

  it('an item stored while the flush waits for the last answers is delivered too (it looks again before calling the backlog empty)', async () => {
    const { pf, client } = await sessionPair();
    const { source, writer, left } = backlog(Array.from({ length: 5 }, (_, n) => ({ n })));
    const arrived: string[] = [];
    client.acceptor = async (m) => {
      const t = text(m.body);
      arrived.push(t);
      // While the last of the first five waits for its 200, a sixth message is stored and committed.
      if (t === '4') await writer.enqueue(item(ALICE, '7', 5));
      return 200;
    };
    expect(await flushBacklog(source, legOn(pf))).toBe(6);
    expect(arrived).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(left()).toEqual([]);
  });

  it('an item larger than one chunk goes alone: everything before it is acknowledged first', async () => {
    const { pf, client } = await sessionPair();
    const { source, left } = backlog([
      ...Array.from({ length: 10 }, (_, n) => ({ n })),
      { n: 10, bytes: 3 * pf.chunkSize },
      ...Array.from({ length: 10 }, (_, n) => ({ n: n + 11 })),
    ]);
    const arrived: string[] = [];
    let unansweredAtBig = -1;
    let holding = 0;
    client.acceptor = async (m) => {
      const t = text(m.body);
      arrived.push(t);
      if (t.startsWith('big')) unansweredAtBig = holding;
      holding += 1;
      await new Promise((r) => setImmediate(r));
      holding -= 1;
      return 200;
    };
    expect(await flushBacklog(source, legOn(pf))).toBe(21);
    expect(arrived).toEqual([
      ...Array.from({ length: 10 }, (_, n) => String(n)),
      `big:${3 * pf.chunkSize}`,
      ...Array.from({ length: 10 }, (_, n) => String(n + 11)),
    ]);
    expect(unansweredAtBig).toBe(0);
    expect(left()).toEqual([]);
  });
});
