// The client daemon: a CpmClient for one user with the control API of every lab node (/health, /state,
// /trace, /events) plus the user's actions and fault injection (architecture.md "Control plane"):
//   POST /online                     register                        → 200 {registration}
//   POST /offline {mode}             deregister | drop (coverage lost) → 200 {registration}
//   GET  /groups                     the user's groups
//   POST /groups                     {subject, participants[]} create through the factory (201), or
//                                    {conferenceUri, conversationId, contributionId, subject?, participants?} provision
//   POST /groups/:group/messages     {text} → 202 {messageId, queued}
//   POST /groups/:group/messages/:id/displayed  display notification (RFC 5438)
//   GET  /messages[?group=]          received messages;  GET /notifications[?group=] received IMDNs
//   GET  /sent[?group=]              sent messages with per-recipient status
//   PUT  /policy {policy, group?}    accept | decline | later (D1.v)
// `:group` and `?group=` take the group's subject ("team"), Conversation-ID, key or conference URI.
import { join } from 'node:path';
import type { Express, Request } from 'express';
import {
  type ControlHost,
  createControlApi,
  createLogger,
  HttpError,
  type Logger,
  NodeEvents,
  optionalString,
  requireObject,
  requireString,
  requireStringArray,
  requireText,
  startControlServer,
  TraceRecorder,
  ValidationError,
} from '../../runtime/index.js';
import {
  CpmClient,
  CpmClientError,
  type CpmClientEvents,
  type CpmClientOptions,
  type MsrpListen,
} from '../cpm-client.js';
import type { InvitationPolicy, Participant } from '../domain/index.js';
import type { ClientStore } from '../store/index.js';
import type { ClientDaemonConfig } from './config.js';

const POLICIES = ['accept', 'decline', 'later'] as const;

/** CpmClientError → HTTP status (the message names the cause; SIP statuses are in it). */
export function httpErrorOf(err: unknown): unknown {
  if (!(err instanceof CpmClientError)) return err;
  const status = {
    'unknown-group': 404,
    'ambiguous-group': 409,
    'not-registered': 409,
    'registration-failed': 502,
    'session-failed': 502,
    'bad-request': 400,
    'too-large': 413,
    closed: 503,
  }[err.code];
  return new HttpError(status, err.message);
}

export class ClientDaemon {
  readonly client: CpmClient;
  readonly recorder: TraceRecorder;
  readonly events: NodeEvents;
  readonly logger: Logger;
  /** Its control API: a listener of its own, or a path on a shared ControlHost. */
  readonly #control: { url: string; close(): Promise<void> };

  private constructor(
    client: CpmClient,
    control: { url: string; close(): Promise<void> },
    recorder: TraceRecorder,
    events: NodeEvents,
    logger: Logger,
  ) {
    this.client = client;
    this.#control = control;
    this.recorder = recorder;
    this.events = events;
    this.logger = logger;
  }

  /**
   * `options.store`: the client's store, opened by the caller (an embedded lab's clients share one database) and
   * closed by it; without it the client opens `<storeDir>/<user>.db` and closes it with itself.
   * `options.controlHost`: serve the control API at `/clients/<user>` on that shared listener instead of a
   * listener of its own (config.controlHost / controlPort are then not used).
   * `options.msrpListen`: 'onFirstSession' opens an ephemeral MSRP listener only when a session needs it.
   */
  static async start(
    config: ClientDaemonConfig,
    options: {
      logger?: Logger;
      store?: ClientStore;
      controlHost?: ControlHost;
      msrpListen?: MsrpListen;
    } = {},
  ): Promise<ClientDaemon> {
    const logger = options.logger ?? createLogger(config.user);
    const sip: { host: string; port: number; udpPort?: number; advertise?: string } = {
      host: config.sipHost,
      port: config.sipPort,
    };
    if (config.sipUdpPort !== undefined) sip.udpPort = config.sipUdpPort;
    if (config.sipAdvertise !== undefined) sip.advertise = config.sipAdvertise;
    const msrp: NonNullable<CpmClientOptions['msrp']> = {
      host: config.msrpHost,
      port: config.msrpPort,
      ...(options.msrpListen ? { listen: options.msrpListen } : {}),
    };
    if (config.msrpAdvertise !== undefined) msrp.advertisedHost = config.msrpAdvertise;
    const client = await CpmClient.start({
      user: config.user,
      domain: config.domain,
      cscf: { host: config.cscf.host, port: config.cscf.port, transport: config.cscfTransport },
      sip,
      msrp,
      store: options.store ?? join(config.storeDir, `${config.user}.db`),
      defaultPolicy: config.policy,
      maxLogEntriesPerGroup: config.maxLogEntriesPerGroup,
      expires: config.expires,
      conferenceFactoryUri: config.conferenceFactoryUri,
      t1: config.t1,
      invitationGraceMs: config.invitationGraceMs,
      logger,
    });
    const recorder = new TraceRecorder({ node: config.user, ...config.trace });
    recorder.attach(client.trace);
    const events = new NodeEvents(config.user);
    forwardEvents(client, events);
    let control: { url: string; close(): Promise<void> };
    try {
      const build = () => controlApp(client, recorder, events, logger);
      const host = options.controlHost;
      control = host
        ? {
            url: host.mount(config.user, build),
            close: async () => host.unmount(config.user),
          }
        : await startControlServer(build(), { host: config.controlHost, port: config.controlPort, logger });
    } catch (err) {
      await client.close();
      recorder.close();
      throw err;
    }
    const daemon = new ClientDaemon(client, control, recorder, events, logger);
    if (config.register) {
      // A registration failure is reported (state, events, log), not fatal: POST /online retries.
      await client
        .online()
        .catch((err: unknown) => logger.warn('registration failed', { error: (err as Error).message }));
    }
    return daemon;
  }

  get controlUrl(): string {
    return this.#control.url;
  }

  /** De-register (bounded), close the control API and the client, flush the store. */
  async close(): Promise<void> {
    await this.#control.close();
    await this.client.close({ deregister: true, graceMs: 2000 });
    this.recorder.close();
  }
}

const EVENT_NAMES: Array<keyof CpmClientEvents> = [
  'registration',
  'invitation',
  'session-started',
  'session-ended',
  'message',
  'notification',
  'group-updated',
  'queued',
  'sent',
  'send-failed',
  'imdn-sent',
  'rejoin',
  'subscribed',
  'warning',
];

function forwardEvents(client: CpmClient, events: NodeEvents): void {
  for (const name of EVENT_NAMES) {
    (client.on as (e: string, l: (...a: unknown[]) => void) => void)(name, (...args: unknown[]) => {
      events.emit(name, args.length === 1 ? args[0] : args);
    });
  }
}

function groupQuery(req: Request): string | undefined {
  const g = req.query['group'];
  if (g === undefined) return undefined;
  if (typeof g !== 'string' || g === '')
    throw new ValidationError('query parameter "group" must be given once, non-empty');
  return g;
}

function controlApp(client: CpmClient, recorder: TraceRecorder, events: NodeEvents, logger: Logger): Express {
  const guard =
    <T>(fn: () => T | Promise<T>) =>
    async (): Promise<T> => {
      try {
        const result = await fn();
        await client.store.committed(); // an answer comes after what the request changed is stored
        return result;
      } catch (err) {
        throw httpErrorOf(err);
      }
    };
  return createControlApi({
    node: client.user,
    logger,
    state: () => client.state(),
    trace: recorder,
    events,
    routes: (app) => {
      app.post('/online', async (_req, res) => {
        const registration = await guard(() => client.online())();
        res.json({ user: client.user, registration });
      });
      app.post('/offline', async (req, res) => {
        const mode = requireString(req.body, 'mode', ['deregister', 'drop'] as const);
        const registration = await guard(() => client.offline(mode))();
        res.json({ user: client.user, registration });
      });
      app.get('/groups', (_req, res) => {
        res.json(client.groups());
      });
      app.post('/groups', async (req, res) => {
        const body = requireObject(req.body);
        if (body['conferenceUri'] !== undefined) {
          const participants =
            body['participants'] === undefined ? [] : requireStringArray(body, 'participants');
          const init: Parameters<CpmClient['addGroup']>[0] = {
            conferenceUri: requireString(body, 'conferenceUri'),
            conversationId: requireString(body, 'conversationId'),
            contributionId: requireString(body, 'contributionId'),
            participants: participants.map((uri): Participant => ({ uri })),
          };
          const subject = optionalString(body, 'subject');
          if (subject !== undefined) init.subject = subject;
          const group = await guard(() => {
            try {
              return client.addGroup(init);
            } catch (err) {
              if (err instanceof CpmClientError) throw err;
              throw new HttpError(
                (err as { code?: string }).code === 'exists' ? 409 : 400,
                (err as Error).message,
              );
            }
          })();
          res.status(201).json(group);
          return;
        }
        const subject = requireString(body, 'subject');
        const participants = requireStringArray(body, 'participants', { minItems: 1, maxItems: 100 });
        const group = await guard(() => client.createGroup({ subject, participants }))();
        res.status(201).json(group);
      });
      app.post('/groups/:group/messages', async (req, res) => {
        const text = requireText(req.body, 'text');
        const result = await guard(() => client.send(req.params.group, text))();
        res.status(202).json(result);
      });
      app.post('/groups/:group/messages/:id/displayed', async (req, res) => {
        const sent = await guard(() => client.markDisplayed(req.params.group, req.params.id))();
        res.json({ sent: sent ?? null });
      });
      app.get('/messages', async (req, res) => {
        const group = groupQuery(req);
        res.json(await guard(() => client.messages(group))());
      });
      app.get('/notifications', async (req, res) => {
        const group = groupQuery(req);
        res.json(await guard(() => client.notifications(group))());
      });
      app.get('/sent', async (req, res) => {
        const group = groupQuery(req);
        res.json(await guard(() => client.sentMessages(group))());
      });
      app.put('/policy', async (req, res) => {
        const policy: InvitationPolicy = requireString(req.body, 'policy', POLICIES);
        const group = optionalString(req.body, 'group');
        res.json(await guard(() => client.setPolicy(policy, group))());
      });
    },
  });
}
