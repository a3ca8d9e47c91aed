// Bounded connections (hardening): a flood of idle TCP connections at the CSCF's SIP port (more than its
// connection cap) cannot keep users out. Idle connections make room (the oldest that never sent a message is
// evicted); registered flows stay; a user still registers and a whole scenario still passes.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateLab, startPrivateLab } from '../../lab/embedded/index.js';
import { LabClient } from '../../lab/scenarios/lab-client.js';
import { runScenario } from '../../lab/scenarios/registry.js';
import { Steps } from '../../lab/scenarios/steps.js';

const FLOOD = 2000;
let privateLab: PrivateLab;
const sockets: Socket[] = [];

beforeAll(async () => {
  privateLab = await startPrivateLab({ t1: 50, level: 'error', label: 'connections' });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await privateLab?.close();
});

async function openIdle(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  sockets.push(socket);
  await Promise.race([once(socket, 'connect'), once(socket, 'close')]);
  return socket;
}

describe('bounded connections under a flood of idle TCP connections (hardening)', () => {
  it(`${FLOOD} idle connections to the CSCF: registered flows stay, a user registers again, a scenario passes`, async () => {
    const lab = privateLab.lab;
    const port = lab.cscf.sipAddresses.tcp!.port;
    const registeredFlows = lab.cscf.state().bindings.map((b) => b.flow.flowId);
    for (let i = 0; i < FLOOD; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => openIdle(port)));
    }
    // At most the cap is open at the CSCF, and every registered user's flow is still among them.
    const bindings = lab.cscf.state().bindings;
    expect(bindings.every((b) => b.reachable)).toBe(true);
    expect(bindings.map((b) => b.flow.flowId).sort()).toEqual([...registeredFlows].sort());

    const client = new LabClient(lab.url);
    const steps = new Steps(client, () => {});
    await steps.offline('alice', 'deregister');
    await steps.online('alice');
    const state = await client.node('alice').get<{ registration: { state: string } }>('/state');
    expect(state.registration.state).toBe('online');

    const result = await runScenario('deferred-inactive', client);
    expect(result.error).toBeUndefined();
    expect(result.checks.filter((c) => !c.passed)).toEqual([]);
    expect(result.passed).toBe(true);
  }, 120_000);
});
