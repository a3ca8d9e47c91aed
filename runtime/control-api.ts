// Control-API scaffold shared by every node: /health, /state, /trace, /events (SSE), JSON bodies with
// a size limit, 404 and error handlers that answer {error: message} and never leak stacks.

import express, {
  type ErrorRequestHandler,
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { type ApiGuardOptions, apiGuard, guardOptionsFromEnv } from './api-guard.js';
import { feedEventStream } from './event-stream.js';
import type { Logger } from './logger.js';
import type { NodeEvents } from './node-events.js';
import { lastEventId, openSseStream } from './sse.js';
import { traceRecordToJson, type TraceRecorder, type TraceRecordJson } from './trace-recorder.js';
import { HttpError, queryInt, ValidationError } from './validate.js';

export interface ControlApiOptions {
  node: string;
  logger: Logger;
  /** The node's state for GET /state (JSON-serialisable; may be async). */
  state: () => unknown;
  trace: TraceRecorder;
  events?: NodeEvents;
  /** Largest accepted JSON body (default '64kb'; bytes or a body-parser size string). */
  bodyLimit?: number | string;
  /** SSE keep-alive comment interval (default 15 s). */
  keepAliveMs?: number;
  /** The node's own routes, mounted after the common ones and before the 404 handler. */
  routes?: (app: Express) => void;
  /** Clock for uptime (tests). */
  now?: () => number;
  /** Host, Origin, body-type and token checks (api-guard.ts); default from CPM_LAB_TOKEN / CPM_LAB_ALLOWED_HOSTS. */
  guard?: ApiGuardOptions;
}

export interface HealthResponse {
  status: 'ok';
  node: string;
  uptimeMs: number;
}

export interface TraceResponse {
  node: string;
  latestId: number;
  oldestId: number;
  missed: number;
  records: TraceRecordJson[];
}

export interface ErrorResponse {
  error: string;
}

export function createControlApi(options: ControlApiOptions): Express {
  const { node, logger, trace, events } = options;
  const now = options.now ?? performance.now.bind(performance);
  const startedAt = now();
  const bodyLimit = options.bodyLimit ?? '64kb';
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(requestLog(logger));
  app.use(apiGuard(options.guard ?? guardOptionsFromEnv()));
  app.use(rejectLineBreaksInUrl);
  app.use(express.json({ limit: bodyLimit }));

  app.get('/health', (_req, res) => {
    const body: HealthResponse = { status: 'ok', node, uptimeMs: Math.round(now() - startedAt) };
    res.json(body);
  });

  app.get('/state', async (_req, res) => {
    res.json(await options.state());
  });

  app.get('/trace', (req, res) => {
    const since = queryInt(req.query, 'since', { min: 0 });
    const limit = queryInt(req.query, 'limit', { min: 1, max: trace.capacity });
    const page = trace.query({ since, limit });
    const body: TraceResponse = {
      node,
      latestId: page.latestId,
      oldestId: page.oldestId,
      missed: page.missed,
      records: page.records.map(traceRecordToJson),
    };
    res.json(body);
  });

  app.get('/events', (req, res) => {
    // EventSource sends Last-Event-ID on reconnection (HTML §9.2.4); it wins over ?since=.
    const header = lastEventId(req);
    let since: number | undefined;
    if (header !== undefined) {
      if (!/^\d+$/.test(header) || !Number.isSafeInteger(Number(header))) {
        throw new ValidationError(
          `Last-Event-ID must be a trace record id (a non-negative integer), got ${JSON.stringify(header)}`,
        );
      }
      since = Number(header);
    } else {
      since = queryInt(req.query, 'since', { min: 0 });
    }
    const stream = openSseStream(req, res, { keepAliveMs: options.keepAliveMs });
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    logger.debug('event stream opened', { remote, since });
    stream.once('close', () => logger.debug('event stream closed', { remote }));
    feedEventStream(stream, { trace, events, since, logger });
  });

  options.routes?.(app);

  app.use((req, res) => {
    const body: ErrorResponse = { error: `no route for ${req.method} ${req.path}` };
    res.status(404).json(body);
  });
  app.use(errorHandler(logger, bodyLimit));
  return app;
}

function requestLog(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!logger.enabled('debug')) return next();
    const start = performance.now();
    res.once('finish', () => {
      logger.debug('http', {
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        ms: Math.round((performance.now() - start) * 10) / 10,
      });
    });
    next();
  };
}

/** body-parser errors carry `type`, `status` and (for client errors) `expose`. */
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
}

/** Status and client-safe message for any error thrown by a handler or middleware. */
export function describeHttpError(
  err: unknown,
  bodyLimit: number | string = '64kb',
): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpLikeError;
  const status = e.status ?? e.statusCode;
  switch (e.type) {
    case 'entity.parse.failed':
      return { status: 400, message: `malformed JSON body: ${e.message ?? 'parse error'}` };
    case 'entity.too.large':
      return { status: 413, message: `request body larger than the limit of ${bodyLimit}` };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: e.message ?? 'unsupported body encoding' };
  }
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false) {
    return { status, message: e.message ?? 'bad request' };
  }
  return { status: 500, message: 'internal error' };
}

function errorHandler(logger: Logger, bodyLimit: number | string): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, message } = describeHttpError(err, bodyLimit);
    if (status >= 500) {
      logger.error('control API handler failed', { method: req.method, path: req.originalUrl, err });
    } else {
      logger.debug('control API request rejected', {
        method: req.method,
        path: req.originalUrl,
        status,
        message,
      });
    }
    if (res.headersSent) {
      // Too late for a JSON answer; drop the connection so the client sees the failure.
      res.destroy();
      return;
    }
    const body: ErrorResponse = { error: message };
    res.status(status).json(body);
  };
}

/**
 * Path parameters and query values reach SIP (user names, group references): a CR, LF or NUL in the URL,
 * percent-encoded or not, is refused with 400 before any route sees it.
 */
export function rejectLineBreaksInUrl(req: Request, _res: Response, next: NextFunction): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(req.originalUrl);
  } catch {
    throw new ValidationError('malformed percent-encoding in the URL');
  }
  if (/[\r\n\0]/.test(decoded)) {
    throw new ValidationError('the URL must not contain CR, LF or NUL (encoded or not)');
  }
  next();
}
