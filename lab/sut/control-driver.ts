// Mode `control`: the SUT implements the control contract of docs/sut.md, the same paths and bodies as the
// lab's own nodes (a client's and the PF's control APIs), so the lab's client and PF are SUTs as they are.
// 501 Not Implemented from the SUT means it cannot do that step: inconclusive, not a failure.
import { fetchFailureCause } from '../../runtime/index.js';
import type { Policy } from '../topology/index.js';
import { type ClientSutDriver, type PfSutDriver, type SutGroup, Undrivable } from './driver.js';

const REQUEST_TIMEOUT_MS = 15_000;

export class SutControlError extends Error {
  override readonly name = 'SutControlError';
}

/** One call of the contract: JSON in, 2xx expected; 501 → Undrivable; anything else → SutControlError. */
async function call(base: string, method: string, path: string, body?: unknown): Promise<void> {
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new SutControlError(
      `the SUT control API at ${base} does not answer ${method} ${path} (${fetchFailureCause(err)})`,
    );
  }
  const text = (await response.text()).slice(0, 500);
  if (response.status === 501)
    throw new Undrivable(
      `the SUT control API does not implement ${method} ${path} (501${text ? `: ${text}` : ''})`,
    );
  if (!response.ok)
    throw new SutControlError(
      `the SUT control API answered ${method} ${path} with ${response.status}${text ? `: ${text}` : ''}`,
    );
}

export class ControlClientDriver implements ClientSutDriver {
  readonly mode = 'control' as const;
  constructor(readonly url: string) {}

  online(): Promise<void> {
    return call(this.url, 'POST', '/online');
  }

  offline(how: 'deregister' | 'drop'): Promise<void> {
    return call(this.url, 'POST', '/offline', { mode: how });
  }

  learnGroup(group: SutGroup): Promise<void> {
    return call(this.url, 'POST', '/groups', {
      conferenceUri: group.conferenceUri,
      conversationId: group.conversationId,
      contributionId: group.contributionId,
      subject: group.subject,
      participants: group.participants,
    });
  }

  send(group: SutGroup, text: string): Promise<void> {
    return call(this.url, 'POST', `/groups/${encodeURIComponent(group.conferenceUri)}/messages`, { text });
  }

  policy(policy: Policy, group?: SutGroup): Promise<void> {
    return call(this.url, 'PUT', '/policy', group ? { policy, group: group.conferenceUri } : { policy });
  }
}

export class ControlPfDriver implements PfSutDriver {
  readonly mode = 'control' as const;
  constructor(readonly url: string) {}

  createGroup(group: SutGroup): Promise<void> {
    return call(this.url, 'POST', '/groups', {
      id: group.id,
      participants: group.participants,
      subject: group.subject,
      conversationId: group.conversationId,
      contributionId: group.contributionId,
    });
  }

  addParticipant(group: SutGroup, aor: string): Promise<void> {
    return call(this.url, 'POST', `/groups/${encodeURIComponent(group.id)}/participants`, {
      participants: [aor],
    });
  }

  removeParticipant(group: SutGroup, aor: string): Promise<void> {
    return call(
      this.url,
      'DELETE',
      `/groups/${encodeURIComponent(group.id)}/participants/${encodeURIComponent(aor)}`,
    );
  }

  endSession(group: SutGroup): Promise<void> {
    return call(this.url, 'POST', `/groups/${encodeURIComponent(group.id)}/end`);
  }
}
