// The scenario file loader: every problem located (file:line:column and the field's path) before anything runs;
// the published schema is the one it validates against; the built-ins load.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioDir, parseScenarioFile, ScenarioFileError, type ScenarioFileProblem } from './load.js';
import { SCENARIO_SCHEMA } from './schema.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function problems(text: string): ScenarioFileProblem[] {
  try {
    parseScenarioFile(text, 'my.yaml');
  } catch (err) {
    if (err instanceof ScenarioFileError) return err.problems;
    throw err;
  }
  throw new Error('expected the file to be refused');
}

const VALID = `name: ok
title: a valid file
groups:
  - { name: g, members: [alice, bob] }
steps:
  - offline: alice
  - send: { user: bob, group: g, text: hi }
checks:
  - kind: request
    description: an INVITE reaches alice
    match: { method: INVITE, to: alice, group: g }
`;

describe('scenario files: located errors', () => {
  it('a valid file loads', () => {
    expect(parseScenarioFile(VALID, 'my.yaml').spec.name).toBe('ok');
  });

  it('YAML syntax errors name the line', () => {
    const [p] = problems('name: x\ntitle: [unclosed\nsteps: []\n');
    expect(p).toMatchObject({ file: 'my.yaml' });
    expect(p!.message).toMatch(/^YAML: /);
    expect(p!.line).toBeGreaterThanOrEqual(2);
  });

  it('an unknown step, an unknown field, a missing field and a bad enum: each at its line and path', () => {
    const found = problems(`name: bad
title: several mistakes
groups:
  - { name: g, members: [alice, bob] }
steps:
  - offline: alice
  - teleport: alice
  - send: { user: bob, group: g, txt: hi }
  - policy: { user: alice, policy: maybe }
checks:
  - kind: request
    description: no match given
`);
    const at = (path: string) => found.find((p) => p.path === path);
    expect(at('steps[1].teleport')).toMatchObject({
      line: 7,
      message: expect.stringMatching(/unknown step "teleport"/),
    });
    expect(at('steps[2].send.txt')).toMatchObject({ line: 8, message: 'unknown field "txt"' });
    expect(at('steps[3].policy.policy')).toMatchObject({
      line: 9,
      message: expect.stringMatching(/must be one of accept, decline, later/),
    });
    expect(at('checks[0]')).toMatchObject({ line: 11, message: 'missing field "match"' });
    // file:line:column: path: message
    expect(new ScenarioFileError(found).message).toMatch(
      /^my\.yaml:7:\d+: steps\[1\]\.teleport: unknown step/m,
    );
  });

  it('references: an undeclared role or group, an unknown check id, a wait without what it needs', () => {
    const found = problems(`name: refs
title: bad references
groups:
  - { name: g, members: [alice, zed] }
steps:
  - online: bob
  - send: { user: bob, group: nope, text: hi }
  - wait: { for: stored, user: alice, group: g }
checks:
  - kind: msrp
    description: after something unknown
    from: pf
    after: missing
`);
    const messages = found.map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^4 groups\[0\]\.members\[1\]: "zed" is not a role/),
      expect.stringMatching(/^7 steps\[1\]\.send\.group: no group "nope"/),
      expect.stringMatching(/^8 steps\[2\]\.wait: wait for stored needs "count"/),
      expect.stringMatching(/^13 checks\[0\]\.after: no earlier check has id "missing"/),
    ]);
  });

  it('send: {file} names a file that must exist, relative to the scenario file', () => {
    const found = problems(VALID.replace('text: hi', 'file: no-such-chat.txt'));
    expect(found).toEqual([
      expect.objectContaining({
        line: 7,
        path: 'steps[1].send.file',
        message: expect.stringMatching(/^no file .*no-such-chat\.txt$/),
      }),
    ]);
  });

  it('a clause that is not in the registry is refused, naming the known ones', () => {
    const found = problems(`${VALID}    clause: D9.x
`);
    expect(found).toEqual([
      expect.objectContaining({
        line: 12,
        path: 'checks[0].clause',
        message: expect.stringMatching(/^must be one of D1\.a, /),
      }),
    ]);
  });

  it('a directory: every file checked, every problem reported, names unique', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scenario-dir-'));
    try {
      await writeFile(join(dir, 'a.yaml'), VALID);
      await writeFile(join(dir, 'b.yml'), VALID);
      await writeFile(join(dir, 'c.yaml'), 'name: c\ntitle: no steps\nchecks: []\n');
      await writeFile(join(dir, 'notes.txt'), 'not a scenario');
      const err = await loadScenarioDir(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScenarioFileError);
      const lines = (err as ScenarioFileError).problems.map(
        (p) => `${p.file.split('/').pop()} ${p.path}: ${p.message}`,
      );
      expect(lines).toEqual(
        expect.arrayContaining([
          'b.yml name: "ok" is also the name in ' + join(dir, 'a.yaml'),
          'c.yaml : missing field "steps"',
          expect.stringMatching(/^c\.yaml checks: /),
        ]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the published schema and the built-ins', () => {
  it('docs/scenario.schema.json is the schema the loader validates against (npm run schema writes it)', async () => {
    const published = JSON.parse(
      await readFile(join(ROOT, 'docs', 'scenario.schema.json'), 'utf8'),
    ) as unknown;
    expect(published).toEqual(JSON.parse(JSON.stringify(SCENARIO_SCHEMA)));
  });

  it('every built-in scenario file (scenarios/*.yaml) loads', async () => {
    const loaded = await loadScenarioDir(join(ROOT, 'scenarios'));
    expect(loaded.map((l) => l.spec.name)).toHaveLength(11);
  });
});
