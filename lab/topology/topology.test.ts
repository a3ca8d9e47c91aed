import { describe, expect, it } from 'vitest';
import { loadTopology } from './load.js';
import { parseTopology, TopologyError, withEphemeralPorts } from './topology.js';

function problemsOf(input: unknown): string[] {
  try {
    parseTopology(input);
  } catch (err) {
    if (err instanceof TopologyError) return err.problems;
    throw err;
  }
  return [];
}

describe('lab topology', () => {
  it('the default file: cscf, pf, alice, bob, carol and group "team" with all three', async () => {
    const t = await loadTopology();
    expect(t.clients.map((c) => c.user)).toEqual(['alice', 'bob', 'carol']);
    expect(t.groups).toEqual([
      { name: 'team', subject: 'Team chat', participants: ['alice', 'bob', 'carol'] },
    ]);
    expect(t.cscf.sipPort).toBe(5060);
    expect(t.labApiPort).toBe(8080);
  });

  it('defaults fill what is left out', () => {
    const t = parseTopology({
      clients: [{ user: 'a' }, { user: 'b' }],
      groups: [{ name: 'g', participants: ['a', 'b'] }],
    });
    expect(t.domain).toBe('ims.lab');
    expect(t.groups[0]!.subject).toBe('g');
    expect(t.clients[0]).toEqual({ user: 'a', sipPort: 0, msrpPort: 0, controlPort: 0, policy: 'accept' });
  });

  it('reports every problem at once, naming the field', () => {
    const problems = problemsOf({
      domian: 'x',
      cscf: { sipPort: 70000 },
      clients: [{ user: 'Alice' }, { user: 'bob', policy: 'maybe' }, { user: 'bob' }],
      groups: [{ name: 'team', participants: ['bob', 'dave'] }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('topology.domian: unknown field'),
        expect.stringContaining('topology.cscf.sipPort: expected a port number'),
        expect.stringContaining('topology.clients[0].user: "Alice" must be lower-case'),
        expect.stringContaining('topology.clients[1].policy: expected "accept", "decline" or "later"'),
        'topology.clients: user "bob" appears twice',
        'topology.groups[0].participants: "dave" is not a client in topology.clients',
      ]),
    );
  });

  it('fixed ports may not collide; ephemeral ones may', () => {
    expect(problemsOf({ cscf: { sipPort: 5070 } })).toEqual([
      'port 5070 is used by both cscf.sipPort and pf.sipPort',
    ]);
    expect(problemsOf(withEphemeralPorts(parseTopology({})))).toEqual([]);
  });

  it('a missing or broken file is a TopologyError that names the file', async () => {
    await expect(loadTopology('/nonexistent/topology.json')).rejects.toThrowError(
      /cannot read \/nonexistent\/topology.json/,
    );
  });
});
