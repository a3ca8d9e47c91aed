// The part of drachtio-srf (the Node framework for drachtio-server) the PF's drachtio engine uses, typed
// narrowly. drachtio-srf's own declarations leave out what we need (the per-method handlers such as
// `srf.register(...)`, `Srf.Dialog` to build a SUBSCRIBE dialog with a 200, in-dialog `handle`), so we
// describe the objects we touch here and take the module through this one view.
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

/** A message as drachtio-srf gives it: the raw text from drachtio-server plus a few parsed accessors. */
export interface SrfMessage {
  /** The message as drachtio-server passed it on (the text of the wire message). */
  readonly msg: { readonly raw?: string };
  readonly method?: string;
  readonly status?: number;
  readonly reason?: string;
  readonly body?: string;
  readonly source_address?: string;
  readonly source_port?: number;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

export type SrfHeaders = Record<string, string>;

export interface SrfSendOptions {
  headers?: SrfHeaders;
  body?: string;
}

export interface SrfRequest extends SrfMessage {
  readonly method: string;
  readonly uri: string;
  on(event: 'response', listener: (res: SrfResponseMessage, ack: () => void) => void): this;
  on(event: 'cancel', listener: () => void): this;
}

export interface SrfResponseMessage extends SrfMessage {
  readonly status: number;
  readonly reason: string;
}

/** The server side of a transaction: `send` answers the request. */
export interface SrfResponse {
  readonly finalResponseSent: boolean;
  send(
    status: number,
    reason: string | undefined,
    options: SrfSendOptions,
    callback: (err: Error | null, sent: SrfMessage) => void,
  ): void;
}

/** A drachtio-srf Dialog (INVITE or SUBSCRIBE usage). */
export interface SrfDialog extends EventEmitter {
  readonly id: string;
  readonly connected: boolean;
  readonly remote: { sdp: string; uri: string };
  readonly local: { sdp: string; uri: string };
  destroy(options?: { headers?: SrfHeaders }): Promise<SrfMessage>;
  request(options: { method: string; headers?: SrfHeaders; body?: string }): Promise<SrfResponseMessage>;
  /** Every in-dialog request is handed here by the framework. */
  handle(req: SrfRequest, res: SrfResponse): void;
}

export type SrfDialogClass = new (
  srf: SrfApp,
  type: 'uas' | 'uac',
  options: { req: SrfRequest; res: SrfResponse; sent: SrfMessage },
) => SrfDialog;

export type SrfHandler = (req: SrfRequest, res: SrfResponse) => void;

export interface SrfError extends Error {
  /** A SipError carries the final response status and, when one came, the response. */
  status?: number;
  reason?: string;
  res?: SrfResponseMessage;
}

/**
 * drachtio-srf's agent behind `srf._app.client` (not part of its typed API): its admin connections and the wire
 * protocol writer. Read by `adminRoundTrip` only (drachtio-signalling.ts).
 */
export interface SrfAgentInternals {
  wp: { send(socket: unknown, message: string): string };
  mapServer: Map<unknown, { pendingRequests: Map<string, (...args: unknown[]) => void> }>;
}

export interface SrfApp extends EventEmitter {
  /** drachtio-srf internals (see SrfAgentInternals); undefined before connect(). */
  _app?: { client?: SrfAgentInternals };
  connect(options: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  register(handler: SrfHandler): void;
  invite(handler: SrfHandler): void;
  subscribe(handler: SrfHandler): void;
  message(handler: SrfHandler): void;
  createUAS(
    req: SrfRequest,
    res: SrfResponse,
    options: { localSdp: string; headers?: SrfHeaders },
  ): Promise<SrfDialog>;
  createUAC(
    uri: string,
    options: { headers?: SrfHeaders; localSdp?: string; proxy?: string },
    progress?: { cbRequest?: (err: Error | null, req: SrfRequest) => void },
  ): Promise<SrfDialog>;
  request(
    uri: string,
    options: { method: string; headers?: SrfHeaders; body?: string; proxy?: string },
  ): Promise<SrfRequest>;
  addDialog(dialog: SrfDialog): void;
}

export interface SrfModule {
  new (): SrfApp;
  readonly Dialog: SrfDialogClass;
}

// drachtio-srf is CommonJS; its declarations describe another shape (see above), so it is loaded untyped and
// seen through SrfModule.
const require = createRequire(import.meta.url);
export const Srf = require('drachtio-srf') as SrfModule;

/** drachtio-srf's version, for the PF's state and the report. */
export const SRF_VERSION: string = (require('drachtio-srf/package.json') as { version: string }).version;
