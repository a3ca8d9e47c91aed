// Two ephemeral labs on one machine (issue: safe on shared machines and CI runners): each `cpm-lab lab
// --ephemeral` process has its own ports and its own data directory; both pass a scenario, and SIGKILL of
// the first one (its PF dies with it, no clean shutdown) followed by a restart on the same data directory
// keeps the first lab's backlog, while the second lab runs on untouched.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findScenario, LabClient, waitUntil } from '../../lab/scenarios/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'cpm-lab.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** `cpm-lab lab --ephemeral [--data-dir dir]`; resolves with the process and its lab API once it is up. */
async function startLab(dataDir?: string): Promise<{ child: ChildProcess; lab: LabClient }> {
  const args = [BIN, 'lab', '--ephemeral', ...(dataDir ? ['--data-dir', dataDir] : [])];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CPM_LAB_LOG: 'error' },
  });
  children.push(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /lab API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the lab exited (${code}) before its banner:\n${out}`)));
  });
  return { child, lab: new LabClient(url) };
}

async function passes(lab: LabClient, name: string): Promise<void> {
  const result = await findScenario(name).run({ lab, step: () => {} });
  expect(result.error).toBeUndefined();
  expect(result.checks.filter((c) => !c.passed)).toEqual([]);
}

describe('two ephemeral labs side by side', () => {
  it('both pass a scenario; SIGKILL and restart of the first keeps its backlog; the second is untouched', async () => {
    const dirA = await mkdtemp(join(tmpdir(), 'cpm-lab-side-a-'));
    dirs.push(dirA);
    const a = await startLab(dirA);
    const b = await startLab();
    expect(a.lab.url).not.toBe(b.lab.url);
    await passes(a.lab, 'deferred-inactive');
    await passes(b.lab, 'deferred-inactive');

    // Lab A: alice offline, bob writes to "team": the PF stores it for alice.
    await a.lab.node('alice').post('/offline', { mode: 'deregister' });
    await a.lab.node('bob').post('/groups/team/messages', { text: 'kept across SIGKILL' });
    await waitUntil('lab A to store the message for alice', async () => {
      const backlog = await a.lab.node('pf').get<{ items: Array<{ body: string }> }>('/backlog/alice');
      return backlog.items.some((i) => i.body.includes('kept across SIGKILL'));
    });
    await a.lab.node('pf').post('/groups/team/end');
    const killed = new Promise((resolve) => a.child.once('exit', resolve));
    a.child.kill('SIGKILL');
    await killed;

    // Lab B never noticed.
    await passes(b.lab, 'later');

    // Lab A again, same data directory: alice registers at start and gets the stored message.
    const again = await startLab(dirA);
    const got = await waitUntil('alice in the restarted lab A to receive the stored message', async () => {
      const messages = await again.lab
        .node('alice')
        .get<Array<{ text?: string; arrivedOn?: string }>>('/messages');
      return messages.find((m) => m.text === 'kept across SIGKILL');
    });
    expect(got.arrivedOn).toBe('deferred');
  }, 120_000);
});
