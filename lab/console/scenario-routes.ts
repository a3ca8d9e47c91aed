// The lab's named scenarios (lab/scenarios registry) on the lab API, for the console's runner:
//   GET  /scenarios              → {scenarios: [{name, title, description, clauses}]}
//   POST /scenarios/:name/run    → runs it whole against this lab API (one at a time, else 409) and answers
//                                  its result without the hops; progress lines go out on /live as
//                                  `event: scenario` {name, text}.
import type { Express, Request } from 'express';
import type { LiveFeed } from '../api/live-events.js';
import { HttpError, type Logger } from '../../runtime/index.js';
import { LabClient } from '../scenarios/lab-client.js';
import { runScenario, SCENARIOS } from '../scenarios/registry.js';

/** The URL this lab API answered the request on (the scenarios drive the lab through it). */
function selfUrl(req: Request): string {
  const raw = req.socket.localAddress ?? '127.0.0.1';
  const address = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
  return `http://${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort}`;
}

export function mountScenarioRoutes(
  app: Express,
  feed: LiveFeed,
  logger: Logger,
  /** Set when an implementation under test plays one of the lab's parties (docs/sut.md). */
  underTest?: string,
): void {
  let running: string | undefined;
  app.get('/scenarios', (_req, res) => {
    res.json({
      scenarios: SCENARIOS.map((s) => ({
        name: s.name,
        title: s.title,
        description: s.description,
        clauses: s.clauses,
      })),
    });
  });
  app.post('/scenarios/:name/run', async (req, res) => {
    const name = String(req.params.name);
    if (!SCENARIOS.some((s) => s.name === name)) {
      throw new HttpError(
        404,
        `no scenario "${name}" (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')})`,
      );
    }
    if (underTest !== undefined)
      throw new HttpError(
        409,
        `${underTest} is an implementation under test: judge it with \`cpm-lab conformance\` (docs/sut.md)`,
      );
    if (running !== undefined) throw new HttpError(409, `scenario ${running} is running; wait for it to end`);
    running = name;
    try {
      feed.announce('scenario', { name, text: 'started' });
      const result = await runScenario(name, new LabClient(selfUrl(req), { timeoutMs: 30_000 }), (text) =>
        feed.announce('scenario', { name, text }),
      );
      const { hops, ...summary } = result;
      const text =
        result.notApplicable !== undefined ? 'not applicable' : result.passed ? 'passed' : 'failed';
      feed.announce('scenario', { name, text, passed: result.passed });
      logger.info('scenario run from the console', { name, passed: result.passed, hops: hops.length });
      // The checks' evidence indexes point into the scenario's own timeline, which stays on the server.
      res.json(summary);
    } finally {
      running = undefined;
    }
  });
}
