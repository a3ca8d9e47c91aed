// Runs a control-API app on an HTTP server: binds 127.0.0.1 unless told otherwise, turns listen
// errors into clear ones, and closes cleanly: stops listening, ends open event streams, lets
// in-flight responses finish, closes keep-alive sockets, and only then resolves.

import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { formatHostPort } from './config.js';
import type { Logger } from './logger.js';
import { sseHubOf } from './sse.js';

export interface ControlServerOptions {
  /** Default 127.0.0.1: control APIs are not for the network unless configured so. */
  host?: string;
  /** 0 picks an ephemeral port. */
  port: number;
  logger?: Logger;
  /** After close() starts, connections still open after this long are destroyed (default 5 s). */
  closeGraceMs?: number;
}

export interface ControlServer {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  host: string;
  port: number;
  server: Server;
  /** Idempotent; resolves once every connection is closed. */
  close(): Promise<void>;
}

/** The control server could not listen (port in use, permission denied, bad address). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly host: string,
    readonly port: number,
  ) {
    super(message);
  }
}

function listenErrorMessage(err: NodeJS.ErrnoException, where: string): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `control API cannot listen on ${where}: address already in use (EADDRINUSE); another process holds the port, pick another port`;
    case 'EACCES':
      return `control API cannot listen on ${where}: permission denied (EACCES); use a port above 1023`;
    case 'EADDRNOTAVAIL':
      return `control API cannot listen on ${where}: address not available on this host (EADDRNOTAVAIL)`;
    default:
      return `control API cannot listen on ${where}: ${err.message}`;
  }
}

export async function startControlServer(
  app: RequestListener & object,
  options: ControlServerOptions,
): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  const graceMs = options.closeGraceMs ?? 5000;
  const server = createServer();
  // Requests in flight per socket; a socket with none is idle (keep-alive) and can go at once.
  const sockets = new Map<Socket, number>();
  let closing = false;
  let closed: Promise<void> | undefined;

  server.on('connection', (socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    if (closing && !res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => {
      const left = (sockets.get(socket) ?? 1) - 1;
      sockets.set(socket, left);
      if (closing && left === 0) socket.end();
    });
  });
  // After the bookkeeping listener, so that a response started while closing says Connection: close.
  server.on('request', app);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        new ListenError(
          listenErrorMessage(err, formatHostPort({ host, port: options.port })),
          err.code,
          host,
          options.port,
        ),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, host);
  });

  server.on('error', (err) => options.logger?.error('control server error', { err }));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${formatHostPort({ host, port })}`;

  const close = (): Promise<void> => {
    closing = true;
    closed ??= new Promise<void>((resolve) => {
      const backstop = setTimeout(() => {
        options.logger?.warn('control server: connections still open after grace period, destroying', {
          open: sockets.size,
        });
        for (const socket of sockets.keys()) socket.destroy();
      }, graceMs);
      backstop.unref();
      server.close(() => {
        clearTimeout(backstop);
        resolve();
      });
      sseHubOf(app).closeAll();
      for (const [socket, active] of sockets) {
        if (active === 0) socket.destroy();
      }
    });
    return closed;
  };

  return { url, host, port, server, close };
}
