// Provisioning a lab's groups through the lab API: the PF hosts each topology group, and every member's
// client knows it (IDs, conference URI, members), so deferred invitations for it are not answered 481.
// The same code provisions the embedded and the Compose lab; IDs are derived, so it is repeatable.
import { LabClient, LabRequestError } from '../scenarios/lab-client.js';
import { provisionedGroupIds, type Topology } from '../topology/index.js';

export async function provisionLab(labUrl: string, topology: Topology): Promise<void> {
  const lab = new LabClient(labUrl);
  // An implementation under test is provisioned by its own operator (docs/sut.md): the lab provisions its nodes.
  const clients = new Set(topology.clients.map((c) => c.user));
  for (const group of topology.groups) {
    const ids = provisionedGroupIds(topology.domain, group.name);
    const participants = group.participants.map((u) => `sip:${u}@${topology.domain}`);
    if (topology.sut?.side !== 'pf')
      await ignoreConflict(() =>
        lab.node('pf').post('/groups', {
          id: group.name,
          participants,
          subject: group.subject,
          conversationId: ids.conversationId,
          contributionId: ids.contributionId,
        }),
      );
    for (const user of group.participants.filter((u) => clients.has(u))) {
      await ignoreConflict(() =>
        lab.node(user).post('/groups', {
          conferenceUri: ids.conferenceUri,
          conversationId: ids.conversationId,
          contributionId: ids.contributionId,
          subject: group.subject,
          participants,
        }),
      );
    }
  }
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
