import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LabClient, LabRequestError } from '../scenarios/lab-client.js';
import type { Scenario, ScenarioResult } from '../scenarios/types.js';
import { type ConformanceProgress, runScenarios } from './run.js';
import { check, result } from './test-support/results.js';

// A lab API that answers GET /topology (what runScenarios asks first), on an ephemeral port.
let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function labApi(): Promise<LabClient> {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/topology')
      res.end(JSON.stringify({ nodes: [{ name: 'pf', role: 'pf', controlUrl: 'http://x' }] }));
    else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: 'no' }));
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return new LabClient(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`);
}

function scenario(name: string, run: Scenario['run']): Scenario {
  return { name, title: `${name} title`, description: '', clauses: ['PF'], run };
}

describe('runScenarios', () => {
  it('runs the scenarios in order, reports progress, and builds the report from their results', async () => {
    const lab = await labApi();
    const events: ConformanceProgress[] = [];
    const seen: string[] = [];
    const one = scenario('one', async (ctx) => {
      expect(ctx.lab).toBe(lab);
      ctx.step('alice goes offline');
      seen.push('one');
      return result('one', ['PF'], [check('PF', 'PF invites alice', true, [0])]);
    });
    const two = scenario('two', async () => {
      seen.push('two');
      return result('two', ['D1.v'], [check('D1.v', 'alice answers 200', false, [2])]);
    });
    const report = await runScenarios({ lab, scenarios: [one, two], onProgress: (e) => events.push(e) });
    expect(seen).toEqual(['one', 'two']);
    expect(events.map((e) => e.type)).toEqual([
      'start',
      'scenario-start',
      'step',
      'scenario-end',
      'scenario-start',
      'scenario-end',
      'end',
    ]);
    expect(events[2]).toEqual({ type: 'step', scenario: 'one', text: 'alice goes offline' });
    expect(report.scenarios.map((s) => s.name)).toEqual(['one', 'two']);
    expect(report.clauses.find((c) => c.clause === 'PF')!.verdict).toBe('pass');
    expect(report.clauses.find((c) => c.clause === 'D1.v')!.verdict).toBe('fail');
    expect(report.labUrl).toBe(lab.url);
    expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
  });

  it('a scenario that throws becomes a failed result with its error; the others still run', async () => {
    const lab = await labApi();
    const boom = scenario('boom', async () => {
      throw new Error('timed out waiting for alice');
    });
    const after = scenario('after', async () => result('after', ['R3'], [check('R3', 'no re-join', true)]));
    const report = await runScenarios({ lab, scenarios: [boom, after] });
    const failed = report.scenarios[0] as ScenarioResult;
    expect(failed).toMatchObject({
      name: 'boom',
      passed: false,
      error: 'timed out waiting for alice',
      clauses: ['PF'],
    });
    expect(report.clauses.find((c) => c.clause === 'PF')!.verdict).toBe('fail');
    expect(report.clauses.find((c) => c.clause === 'R3')!.verdict).toBe('pass');
  });

  it('uses the given runner', async () => {
    const lab = await labApi();
    const s = scenario('s', async () => {
      throw new Error('not this one');
    });
    const report = await runScenarios({
      lab,
      scenarios: [s],
      runner: async (sc, step) => {
        step('via runner');
        return result(sc.name, ['PF'], [check('PF', 'ok', true)]);
      },
    });
    expect(report.scenarios[0]!.error).toBeUndefined();
  });

  it('an unreachable lab fails at once with a clear LabRequestError, before any scenario runs', async () => {
    const lab = await labApi();
    const url = lab.url;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    let ran = false;
    const s = scenario('s', async () => {
      ran = true;
      return result('s', [], []);
    });
    const error = await runScenarios({ lab: new LabClient(url), scenarios: [s] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabRequestError);
    expect((error as Error).message).toMatch(
      new RegExp(`cannot reach the lab API at ${url.replace(/[.:/]/g, '\\$&')} \\(ECONNREFUSED\\)`),
    );
    expect(ran).toBe(false);
  });
});
