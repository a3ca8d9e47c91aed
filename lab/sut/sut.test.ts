// The SUT's description (flags and topology) and the operator of mode manual (docs/sut.md).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseTopology, withSut } from '../topology/index.js';
import { Operator } from './operator.js';
import { parseSutPfAddress, parseSutSpec, SutSpecError } from './spec.js';
import { ManualClientDriver } from './manual-driver.js';
import { Undrivable } from './driver.js';

describe('parseSutSpec: the command line of a SUT run', () => {
  it('a client with a control API: mode control implied, user and role default to alice', () => {
    expect(parseSutSpec({ sut: 'client', sutControl: 'http://127.0.0.1:9000/' })).toEqual({
      side: 'client',
      mode: 'control',
      user: 'alice',
      role: 'alice',
      control: 'http://127.0.0.1:9000',
      timeoutSeconds: 120,
    });
  });

  it('a PF: its SIP address over TCP', () => {
    expect(
      parseSutSpec({ sut: 'pf', sutPf: 'sip:10.0.0.5:5090;transport=tcp', sutMode: 'manual' }),
    ).toMatchObject({
      side: 'pf',
      mode: 'manual',
      pf: { host: '10.0.0.5', port: 5090 },
    });
    expect(parseSutPfAddress('pf.example:5070')).toEqual({ host: 'pf.example', port: 5070 });
    expect(() => parseSutPfAddress('sip:10.0.0.5:5090;transport=udp')).toThrow(/over TCP/);
  });

  it('every problem at once, naming the option', () => {
    try {
      parseSutSpec({ sut: 'phone', sutMode: 'magic', sutTimeout: '-1', sutName: 'a\r\nb' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SutSpecError);
      const message = (err as Error).message;
      for (const part of [
        '--sut: expected "client" or "pf"',
        '--sut-mode: expected control, manual or network',
        '--sut-timeout',
        '--sut-name: one line',
      ])
        expect(message).toContain(part);
    }
    expect(() => parseSutSpec({ sut: 'client', sutMode: 'control' })).toThrow(
      /--sut-control: mode control needs/,
    );
    expect(() => parseSutSpec({ sut: 'client', sutMode: 'manual', sutControl: 'http://x' })).toThrow(
      /only with --sut-mode control/,
    );
    expect(() => parseSutSpec({ sut: 'pf', sutMode: 'network' })).toThrow(/--sut-pf/);
    expect(() => parseSutSpec({ sut: 'client', sutMode: 'network', sutUser: 'Alice Smith' })).toThrow(
      /SIP user part/,
    );
  });
});

describe('topology "sut"', () => {
  const base = {
    clients: [{ user: 'bob' }, { user: 'carol' }],
    groups: [{ name: 'team', participants: ['alice', 'bob', 'carol'] }],
  };

  it('a client under test: the lab runs no client for it, its user may be in groups; no control API means manual', () => {
    const t = parseTopology({ ...base, sut: { side: 'client', user: 'alice', name: 'Acme' } });
    expect(t.sut).toMatchObject({ side: 'client', user: 'alice', mode: 'manual', name: 'Acme' });
    expect(t.clients.map((c) => c.user)).toEqual(['bob', 'carol']);
  });

  it('refuses a SUT user that is also a lab client, and reports bad fields by path', () => {
    expect(() =>
      parseTopology({
        clients: [{ user: 'alice' }, { user: 'bob' }],
        sut: { side: 'client', user: 'alice' },
      }),
    ).toThrow(/topology\.sut: alice is the client under test; remove it from topology\.clients/);
    expect(() => parseTopology({ ...base, sut: { side: 'pf', colour: 'red' } })).toThrow(
      /topology\.sut\.colour: unknown field/,
    );
    expect(() => parseTopology({ ...base, sut: { side: 'pf', mode: 'control' } })).toThrow(
      /topology\.sut: .*control/,
    );
  });

  it('withSut: a client SUT leaves the lab clients (the CSCF still knows the user)', () => {
    const t = parseTopology({ clients: [{ user: 'alice' }, { user: 'bob' }] });
    const sut = parseSutSpec({ sut: 'client', sutMode: 'network' });
    expect(withSut(t, sut).clients.map((c) => c.user)).toEqual(['bob']);
  });
});

describe('mode manual: the operator', () => {
  it('Enter is done, "skip" is cannot, silence is a timeout; a line typed between prompts answers nothing', async () => {
    const input = new PassThrough();
    const said: string[] = [];
    const operator = new Operator(input, (t) => said.push(t));
    input.write('stray line\n');
    const first = operator.ask('do one thing', 5000);
    input.write('\n');
    expect(await first).toBe('done');
    const second = operator.ask('do another', 5000);
    input.write('skip\n');
    expect(await second).toBe('skip');
    expect(await operator.ask('wait for nobody', 20)).toBe('timeout');
    expect(said[0]).toMatch(/>>> OPERATOR: do one thing\n>>> press Enter when done, or type "skip"/);
    operator.close();
    expect(await operator.ask('after the end', 5000)).toBe('skip');
  });

  it('a skipped or unanswered step is Undrivable, with the instruction as the reason; only policy changes are asked', async () => {
    const input = new PassThrough();
    const said: string[] = [];
    const driver = new ManualClientDriver(new Operator(input, (t) => said.push(t)), 50, 'alice');
    await driver.policy('accept'); // the starting policy: nothing to ask
    expect(said).toEqual([]);
    const asked = driver.offline('deregister');
    input.write('skip\n');
    await expect(asked).rejects.toThrow(Undrivable);
    await expect(driver.online()).rejects.toThrow(/no answer from the operator within 0 s: alice: register/);
  });
});
