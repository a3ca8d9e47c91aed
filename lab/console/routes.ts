// The demo console's routes on the lab API: the page and its assets (GET /, /console/*), the clause
// checklist (GET /console/clauses), the live feed (GET /live: merged trace, node events, clause lights) and
// the lab's named scenarios (GET /scenarios, POST /scenarios/:name/run).
import express, { type Express } from 'express';
import { type ExternalPeer, type LabNode, type NodeRole, peerNames } from '../api/index.js';
import { LiveFeed } from '../api/live-events.js';
import type { Logger } from '../../runtime/index.js';
import { CLAUSES, evaluateClauses } from './clauses.js';
import { mountScenarioRoutes } from './scenario-routes.js';
import { consoleStaticDir } from './static-dir.js';

export interface ConsoleOptions {
  nodes: readonly LabNode[];
  /** SIP servers that are not lab nodes (an external CSCF), named in the ladder. */
  peers?: readonly ExternalPeer[];
  logger: Logger;
  /** Directory of the page and its assets (default: lab/console/static of this package). */
  staticDir?: string;
}

// Everything the page loads comes from the lab API itself: no CDN, no other origin.
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";

/** Mount the console on a lab API app (the createLabApi `routes` hook). Returns its live feed. */
export function mountConsole(app: Express, options: ConsoleOptions): LiveFeed {
  const peers = options.peers ?? [];
  const roles: Record<string, NodeRole> = Object.fromEntries(
    [...options.nodes, ...peers].map((n) => [n.name, n.role]),
  );
  const feed = new LiveFeed({
    nodes: options.nodes,
    peerNames: peerNames(peers),
    logger: options.logger,
    summarize: (hops) => ({ clauses: evaluateClauses(hops, roles) }),
  });
  app.get('/live', (req, res) => feed.serve(req, res));
  app.get('/console/clauses', (_req, res) => {
    res.json({ clauses: CLAUSES });
  });
  // A peer known only as "every address no node owns" is an implementation under test (docs/sut.md).
  mountScenarioRoutes(app, feed, options.logger, peers.find((p) => p.sip === '*')?.name);

  let dir: string;
  try {
    dir = options.staticDir ?? consoleStaticDir();
  } catch (err) {
    // A lab without the page still serves its API; the page says what is missing.
    const message = (err as Error).message;
    options.logger.warn('console unavailable', { error: message });
    app.get('/', (_req, res) => {
      res.status(503).type('text/plain').send(`CPM Lab console unavailable: ${message}\n`);
    });
    return feed;
  }
  const assets = express.static(dir, { index: false, fallthrough: true, maxAge: 0 });
  app.use('/console', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    next();
  });
  app.use('/console', assets);
  app.get(['/', '/console', '/console/'], (_req, res) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: dir });
  });
  return feed;
}
