// Test harness for CpmClient suites: clients on temporary stores against the test lab, and event waiting.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpmClient, type CpmClientEvents, type CpmClientOptions } from '../cpm-client.js';
import type { InvitationPolicy } from '../domain/index.js';
import { SILENT, type TestLab } from './test-pf.js';

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cpm-client-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function startClient(
  lab: TestLab,
  dir: string,
  user = 'alice',
  policy: InvitationPolicy = 'accept',
  options: Partial<CpmClientOptions> = {},
): Promise<CpmClient> {
  return CpmClient.start({
    user,
    cscf: lab.cscfAddress,
    store: join(dir, `${user}.json`),
    defaultPolicy: policy,
    t1: 50,
    msrpTimeoutMs: 5000,
    logger: SILENT,
    ...options,
  });
}

/** The next `event` (from now) whose arguments satisfy `match`. */
export function nextEvent<K extends keyof CpmClientEvents>(
  client: CpmClient,
  event: K,
  match: (...args: CpmClientEvents[K]) => boolean = () => true,
): Promise<CpmClientEvents[K]> {
  return new Promise((resolve) => {
    const listener = (...args: CpmClientEvents[K]) => {
      if (!match(...args)) return;
      (client.off as (e: K, l: (...a: CpmClientEvents[K]) => void) => void)(event, listener);
      resolve(args);
    };
    (client.on as (e: K, l: (...a: CpmClientEvents[K]) => void) => void)(event, listener);
  });
}
