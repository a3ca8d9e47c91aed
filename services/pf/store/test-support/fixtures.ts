// Test fixtures for the PF store tests.
import { createGroup, type Group } from '../../domain/index.js';
import type { PfStores } from '../apply-effects.js';
import type { DeferredItemInput } from '../deferred-store.js';
import { openStores } from '../stores.js';

export const ALICE = 'sip:alice@ims.lab';
export const BOB = 'sip:bob@ims.lab';
export const CAROL = 'sip:carol@ims.lab';
export const T0 = Date.UTC(2026, 10, 24, 10, 15, 0);

export function memoryStores(now: () => number = () => T0): PfStores {
  return openStores({ path: ':memory:', now });
}

export function sampleGroup(id = '7', subject = 'team'): Group {
  return createGroup({
    id,
    creator: { uri: ALICE, displayName: 'Alice' },
    participants: [
      { uri: BOB, displayName: 'Bob' },
      { uri: CAROL, displayName: 'Carol' },
    ],
    subject,
    now: T0,
  });
}

export function item(
  recipient: string,
  groupId: string,
  n: number | string,
  overrides: Partial<DeferredItemInput> = {},
): DeferredItemInput {
  return {
    recipient,
    groupId,
    kind: 'message',
    messageId: `m-${n}`,
    sender: BOB,
    contentType: 'message/cpim',
    body: Buffer.from(`From: <${BOB}>\r\n\r\nContent-Type: text/plain\r\n\r\nmessage ${n}`),
    ...overrides,
  };
}
