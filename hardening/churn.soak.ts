// Soak (bounded): users of one group go offline and come back (de-registration and dropped flows, in
// turns) while the others write. At the end every message has reached every other member exactly once, and
// no node crashed. CPM_LAB_SOAK_SECONDS bounds the churn (default 120; CI runs a short form).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateLab, startPrivateLab } from '../lab/embedded/index.js';
import { LabClient } from '../lab/scenarios/lab-client.js';
import { type ScenarioGroup, Steps } from '../lab/scenarios/steps.js';

const SECONDS = Number(process.env.CPM_LAB_SOAK_SECONDS ?? 120);
const USERS = ['alice', 'bob', 'carol'];

let privateLab: PrivateLab;

beforeAll(async () => {
  privateLab = await startPrivateLab({ t1: 100, level: 'error', label: 'soak' });
});

afterAll(async () => {
  await privateLab?.close();
});

describe(`churn soak (${SECONDS} s)`, () => {
  it('no message lost, none delivered twice, every node still answering', async () => {
    const lab = new LabClient(privateLab.url);
    const steps = new Steps(lab, () => {});
    await steps.baseline(USERS);
    const group: ScenarioGroup = await steps.newGroup('soak', USERS);
    const sent: Array<{ from: string; text: string }> = [];
    const deadline = Date.now() + SECONDS * 1000;
    let round = 0;
    while (Date.now() < deadline) {
      const away = USERS[round % USERS.length]!;
      const writer = USERS[(round + 1) % USERS.length]!;
      await steps.offline(away, round % 2 === 0 ? 'deregister' : 'drop');
      for (let i = 0; i < 3; i++) {
        const text = `r${round}-${i} from ${writer}`;
        await steps.send(writer, group, text);
        sent.push({ from: writer, text });
      }
      await steps.online(away);
      round += 1;
    }
    // Everything written reaches every other member, once (de-duplicated by nothing but the wire).
    for (const user of USERS) {
      const expected = sent.filter((s) => s.from !== user).map((s) => s.text);
      const got = await steps.waitReceived(user, group, expected);
      const texts = got.filter((m) => m.from !== steps.aor(user)).map((m) => m.text);
      expect(texts.filter((t) => t !== undefined && expected.includes(t)).length).toBe(expected.length);
      expect(new Set(texts).size).toBe(texts.length);
    }
    for (const node of ['cscf', 'pf', ...USERS]) {
      expect(await lab.node(node).get<{ status: string }>('/health')).toMatchObject({ status: 'ok' });
    }
    expect(round).toBeGreaterThan(0);
  });
});
