// Provisioning a lab's groups: the PF hosts each topology group, and every member's client knows it (IDs,
// conference URI, members), so deferred invitations for it are not answered 481. Over the lab API for nodes
// that run elsewhere (`cpm-lab lab-api`, Compose); directly, with the same payloads, for the nodes of an
// embedded lab (in this process: no HTTP round trips through two servers per client). IDs are derived, so
// it is repeatable, and a group already provisioned (a restarted lab with kept data) is left as it is.
import { forEachBounded, StoreError } from '../../runtime/index.js';
import { LabClient, LabRequestError } from '../scenarios/lab-client.js';
import { type GroupSpec, provisionedGroupIds, type Topology } from '../topology/index.js';

/** Groups provisioned at once over the lab API (each is a few requests in turn). */
const GROUPS_AT_ONCE = 8;

/** What POST /groups carries for one group, to the PF and to each member's client. */
interface GroupProvisioning {
  pf: {
    id: string;
    participants: string[];
    subject?: string;
    conversationId: string;
    contributionId: string;
  };
  client: {
    conferenceUri: string;
    conversationId: string;
    contributionId: string;
    subject?: string;
    participants: string[];
  };
  /** The members that are lab clients (an implementation under test is provisioned by its operator). */
  clients: string[];
}

/** Each group's payloads; `labClients`: the users that are lab clients (computed once per topology). */
function provisioningOf(
  topology: Topology,
  group: GroupSpec,
  labClients: ReadonlySet<string>,
): GroupProvisioning {
  const ids = provisionedGroupIds(topology.domain, group.name);
  const participants = group.participants.map((u) => `sip:${u}@${topology.domain}`);
  const subject = group.subject === undefined ? {} : { subject: group.subject };
  return {
    pf: {
      id: group.name,
      participants,
      ...subject,
      conversationId: ids.conversationId,
      contributionId: ids.contributionId,
    },
    client: {
      conferenceUri: ids.conferenceUri,
      conversationId: ids.conversationId,
      contributionId: ids.contributionId,
      ...subject,
      participants,
    },
    clients: group.participants.filter((u) => labClients.has(u)),
  };
}

/** Over the lab API (the nodes may run anywhere). */
export async function provisionLab(labUrl: string, topology: Topology): Promise<void> {
  const lab = new LabClient(labUrl);
  const labClients = clientUsers(topology);
  await forEachBounded(topology.groups, GROUPS_AT_ONCE, async (group) => {
    const p = provisioningOf(topology, group, labClients);
    // An implementation under test is provisioned by its own operator (docs/sut.md): the lab provisions its nodes.
    if (topology.sut?.side !== 'pf') await ignoreConflict(() => lab.node('pf').post('/groups', p.pf));
    for (const user of p.clients) await ignoreConflict(() => lab.node(user).post('/groups', p.client));
  });
}

/** The nodes of an embedded lab, as provisioning needs them (PfNode and CpmClient have these methods). */
export interface InProcessNodes {
  /** Undefined when the PF is the implementation under test. */
  pf?: { provisionGroup(input: GroupProvisioning['pf']): unknown };
  client(user: string): {
    addGroup(
      init: Omit<GroupProvisioning['client'], 'participants'> & { participants: Array<{ uri: string }> },
    ): unknown;
    readonly store: { committed(): Promise<void> };
  };
}

/** Directly on the nodes of this process; resolves once every client's store has committed its groups. */
export async function provisionInProcess(topology: Topology, nodes: InProcessNodes): Promise<void> {
  const touched = new Set<string>();
  const labClients = clientUsers(topology);
  for (const group of topology.groups) {
    const p = provisioningOf(topology, group, labClients);
    if (nodes.pf) ignoreExisting(() => nodes.pf!.provisionGroup(p.pf), 'duplicate-group');
    for (const user of p.clients) {
      const participants = p.client.participants.map((uri) => ({ uri }));
      ignoreExisting(() => nodes.client(user).addGroup({ ...p.client, participants }), 'exists');
      touched.add(user);
    }
  }
  // As the control API answers only after its commit: the groups are durable when the lab says it is ready.
  await Promise.all([...touched].map((user) => nodes.client(user).store.committed()));
}

function clientUsers(topology: Topology): ReadonlySet<string> {
  return new Set(topology.clients.map((c) => c.user));
}

/** 409: already provisioned (a restarted lab with kept data, or a second run against Compose). */
async function ignoreConflict(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof LabRequestError && err.status === 409) return;
    throw err;
  }
}

function ignoreExisting(fn: () => unknown, code: 'duplicate-group' | 'exists'): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError && err.code === code) return;
    throw err;
  }
}
