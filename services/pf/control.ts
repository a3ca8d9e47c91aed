// The PF's control API (architecture.md "Control plane"): the runtime scaffold (/health, /state, /trace, /events)
// plus groups, session end, group deletion and the backlog of a user.
import type { Express } from 'express';
import {
  createControlApi,
  HttpError,
  optionalString,
  requireObject,
  requireStringArray,
} from '../../runtime/index.js';
import type { PfNode, ProvisionInput } from './pf.js';
import { StoreError } from './store/index.js';

export function pfControlApp(pf: PfNode): Express {
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
        let group: ReturnType<PfNode['addParticipants']>;
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
        if (!pf.stores.groups.get(req.params.id)) throw new HttpError(404, `no group ${req.params.id}`);
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
