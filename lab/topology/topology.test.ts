import { describe, expect, it } from 'vitest';
import { loadTopology } from './load.js';
import { provisionedGroupIds, uuidV5 } from './group-ids.js';
import { parseTopology, TopologyError, withCscf, withEphemeralPorts } from './topology.js';

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
        'topology.groups[0].participants: "dave" is not a client in topology.clients (nor the client under test)',
      ]),
    );
  });

  it('fixed ports may not collide; ephemeral ones may', () => {
    expect(problemsOf({ cscf: { sipPort: 5070 } })).toEqual([
      'port 5070 is used by both cscf.sipPort and pf.sipPort',
    ]);
    expect(problemsOf(withEphemeralPorts(parseTopology({})))).toEqual([]);
  });

  it('the CSCF: the mock by default, Kamailio, or an external one at host:port (docs/kamailio.md)', () => {
    expect(parseTopology({}).cscf).toEqual({ engine: 'mock', sipPort: 5060, controlPort: 8081 });
    expect(parseTopology({ cscf: { engine: 'kamailio', sipPort: 5090 } }).cscf).toMatchObject({
      engine: 'kamailio',
      sipPort: 5090,
    });
    expect(parseTopology({ cscf: { engine: 'external', address: '10.0.0.5:5060' } }).cscf).toMatchObject({
      engine: 'external',
      address: { host: '10.0.0.5', port: 5060 },
    });
    expect(problemsOf({ cscf: { engine: 'opensips' } })).toEqual([
      'topology.cscf.engine: expected "mock", "kamailio" or "external", got "opensips"',
    ]);
    expect(problemsOf({ cscf: { engine: 'external' } })).toEqual([
      'topology.cscf.address: an external CSCF needs its address ("host:port")',
    ]);
    expect(problemsOf({ cscf: { address: '10.0.0.5:5060' } })).toEqual([
      'topology.cscf.address: only for engine "external"',
    ]);
    expect(problemsOf({ cscf: { engine: 'external', address: 'kamailio:99999' } })[0]).toMatch(
      /^topology.cscf.address: expected "host:port"/,
    );
    // An external CSCF routes to the PF's configured port: an ephemeral lab keeps it.
    const external = withEphemeralPorts(withCscf(parseTopology({}), '127.0.0.1:5999'));
    expect(external.cscf).toMatchObject({ engine: 'external', address: { host: '127.0.0.1', port: 5999 } });
    expect(external.pf.sipPort).toBe(5070);
    expect(withEphemeralPorts(withCscf(parseTopology({}), 'kamailio')).cscf).toMatchObject({
      engine: 'kamailio',
      sipPort: 0,
    });
    expect(() => withCscf(parseTopology({}), 'nonsense:')).toThrowError(
      /--cscf: expected "mock", "kamailio"/,
    );
  });

  it('a missing or broken file is a TopologyError that names the file', async () => {
    await expect(loadTopology('/nonexistent/topology.json')).rejects.toThrowError(
      /cannot read \/nonexistent\/topology.json/,
    );
  });
});

describe('provisioned group IDs', () => {
  it('RFC 4122 §4.3: version-5 UUIDs agree with an independent implementation (Python uuid.uuid5)', () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, 'http://python.org/'))"
    expect(uuidV5('http://python.org/')).toBe('4c565f0d-3f5a-5890-b41b-20cf47701c5e');
  });

  it('protocol-notes §1: every node derives the same lower-case UUIDs for a provisioned group', () => {
    const a = provisionedGroupIds('ims.lab', 'team');
    expect(a).toEqual(provisionedGroupIds('ims.lab', 'team'));
    expect(a.conversationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.contributionId).not.toBe(a.conversationId);
    expect(a.conferenceUri).toBe('sip:group-team@ims.lab');
    expect(provisionedGroupIds('ims.lab', 'other').conversationId).not.toBe(a.conversationId);
  });
});
