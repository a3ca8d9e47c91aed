// The PF's control API (architecture.md "Control plane"): the runtime scaffold (/health, /state, /trace, /events)
// plus groups, session end, group deletion and the backlog of a user.
import type { Express } from 'express';
import {
  createControlApi,
  HttpError,
  type Logger,
  type NodeEvents,
  optionalString,
  requireObject,
  requireStringArray,
  type TraceRecorder,
} from '../../runtime/index.js';
import type { Group, SessionState } from './domain/index.js';
import { StoreError } from './store/index.js';

/** Input of POST /groups and provisioning from configuration. */
export interface ProvisionInput {
  id?: string;
  /** AoRs or user names; the first is the creator unless `creator` is given. */
  participants: string[];
  creator?: string;
  subject?: string;
  conversationId?: string;
  contributionId?: string;
}

/** What the control API needs of the PF node (PfNode implements it): nothing more, so no import of the node. */
export interface PfControlSurface {
  readonly logger: Logger;
  readonly recorder: TraceRecorder;
  readonly events: NodeEvents;
  state(): { groups: Array<Group & { session: SessionState }> };
  provisionGroup(input: ProvisionInput): Group;
  addParticipants(groupId: string, users: string[]): Group | undefined;
  removeParticipant(groupId: string, user: string): Promise<Group | undefined>;
  sessionState(groupId: string): SessionState;
  hasGroup(groupId: string): boolean;
  endSession(groupId: string): boolean;
  deleteGroup(groupId: string): Promise<boolean>;
  backlog(user: string): unknown;
}

export function pfControlApp(pf: PfControlSurface): Express {
  return createControlApi({
    node: 'pf',
    logger: pf.logger,
    state: () => pf.state(),
    trace: pf.recorder,
    events: pf.events,
    routes: (app) => {
      app.get('/groups', (_req, res) => {
        res.json(pf.state().groups);
      });
      app.post('/groups', (req, res) => {
        const body = requireObject(req.body);
        const input: ProvisionInput = {
          participants: requireStringArray(body, 'participants', { minItems: 1, maxItems: 64 }),
        };
        for (const name of ['id', 'creator', 'subject', 'conversationId', 'contributionId'] as const) {
          const value = optionalString(body, name);
          if (value !== undefined) input[name] = value;
        }
        try {
          const group = pf.provisionGroup(input);
          res.status(201).json({ ...group, session: pf.sessionState(group.id) });
        } catch (err) {
          if (err instanceof StoreError && err.code === 'duplicate-group')
            throw new HttpError(409, err.message);
          if (err instanceof RangeError || err instanceof StoreError) throw new HttpError(400, err.message);
          throw err;
        }
      });
      app.get('/groups/:id', (req, res) => {
        const group = pf.state().groups.find((g) => g.id === req.params.id);
        if (!group) throw new HttpError(404, `no group ${req.params.id}`);
        res.json(group);
      });
      app.post('/groups/:id/participants', (req, res) => {
        const body = requireObject(req.body);
        const users = requireStringArray(body, 'participants', { minItems: 1, maxItems: 64 });
        let group: Group | undefined;
        try {
          group = pf.addParticipants(req.params.id, users);
        } catch (err) {
          if (err instanceof RangeError || err instanceof StoreError) throw new HttpError(400, err.message);
          throw err;
        }
        if (!group) throw new HttpError(404, `no group ${req.params.id}`);
        res.json({ ...group, session: pf.sessionState(group.id) });
      });
      app.delete('/groups/:id/participants/:user', async (req, res) => {
        const group = await pf.removeParticipant(req.params.id, req.params.user);
        if (!group) throw new HttpError(404, `no member ${req.params.user} in group ${req.params.id}`);
        res.json({ ...group, session: pf.sessionState(group.id) });
      });
      app.post('/groups/:id/end', (req, res) => {
        if (!pf.hasGroup(req.params.id)) throw new HttpError(404, `no group ${req.params.id}`);
        res.json({ groupId: req.params.id, ended: pf.endSession(req.params.id) });
      });
      app.delete('/groups/:id', async (req, res) => {
        if (!(await pf.deleteGroup(req.params.id))) throw new HttpError(404, `no group ${req.params.id}`);
        res.json({ groupId: req.params.id, deleted: true });
      });
      app.get('/backlog/:user', (req, res) => {
        res.json(pf.backlog(req.params.user));
      });
    },
  });
}
