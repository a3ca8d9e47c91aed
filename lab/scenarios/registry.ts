// The named flows of `cpm-lab run` and of the conformance suite. Each drives the lab through its API
// (exactly what a tester would do by hand), then checks the wire: the merged trace of its own messages.
import { parseGroupState } from '../../protocol/bodies/index.js';
import { parseCpim } from '../../protocol/cpim/index.js';
import { imdnMessageId } from '../../protocol/imdn/index.js';
import { Checks } from './checks.js';
import { type LabClient, waitUntil } from './lab-client.js';
import { type ScenarioGroup, Steps } from './steps.js';
import {
  CAPABILITY_REASONS,
  type ClauseId,
  type LabCapability,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './types.js';
import {
  acceptContactFlags,
  brief,
  cpmServiceOf,
  groupHops,
  msrpBindings,
  msrpSends,
  requestHops,
  responsesTo,
  sdpDirection,
} from './wire.js';
import type { Hop } from '../trace/index.js';

const USERS = ['alice', 'bob', 'carol'];

type Body = (s: Steps, c: Checks, hops: () => Promise<Hop[]>) => Promise<void>;

function scenario(
  name: string,
  title: string,
  clauses: ClauseId[],
  description: string,
  body: Body,
  requires: LabCapability[] = [],
): Scenario {
  return {
    name,
    title,
    clauses,
    description,
    ...(requires.length ? { requires } : {}),
    async run(ctx: ScenarioContext): Promise<ScenarioResult> {
      const started = performance.now();
      const missing = await missingCapability(ctx.lab, requires);
      if (missing !== undefined) {
        ctx.step(`not applicable: ${CAPABILITY_REASONS[missing]}`);
        return {
          name,
          title,
          clauses,
          passed: false,
          notApplicable: CAPABILITY_REASONS[missing],
          checks: [],
          hops: [],
          durationMs: Math.round(performance.now() - started),
        };
      }
      const steps = new Steps(ctx.lab, ctx.step);
      const checks = new Checks();
      let hops: Hop[] = [];
      let error: string | undefined;
      let bookmark: Record<string, number> | undefined;
      try {
        await steps.baseline(USERS);
        bookmark = await ctx.lab.traceBookmark();
        const since = bookmark;
        const readHops = async () => {
          hops = await ctx.lab.hops(since);
          return hops;
        };
        await body(steps, checks, readHops);
        if (hops.length === 0) await readHops();
      } catch (err) {
        error = (err as Error).message;
        try {
          // Only this run's messages (from its bookmark), never the lab's whole history.
          hops = hops.length || bookmark === undefined ? hops : await ctx.lab.hops(bookmark);
        } catch {
          // the lab is gone: report what we have
        }
      }
      const result: ScenarioResult = {
        name,
        title,
        clauses,
        passed: error === undefined && checks.list.length > 0 && checks.passed,
        checks: checks.list,
        hops,
        durationMs: Math.round(performance.now() - started),
      };
      if (error !== undefined) result.error = error;
      return result;
    },
  };
}

/** The first capability in `requires` this lab lacks (`cscf-control`: no CSCF among its nodes). */
async function missingCapability(
  lab: LabClient,
  requires: readonly LabCapability[],
): Promise<LabCapability | undefined> {
  if (requires.length === 0) return undefined;
  const nodes = await lab.nodes();
  return requires.find(
    (capability) => capability === 'cscf-control' && !nodes.some((n) => n.role === 'cscf'),
  );
}

/** The PF's invitation to `user` for `group`, as it reaches the user (after the CSCF), and the answer. */
function invitationTo(hops: Hop[], user: string, group: ScenarioGroup) {
  const invite = requestHops(hops, { method: 'INVITE', to: user }).find(
    (h) =>
      h.message.get('conversation-id')?.toLowerCase() === group.conversationId &&
      h.message.fromTag !== undefined &&
      h.message.toTag === undefined,
  );
  const answer = invite ? responsesTo(hops, invite.message, user)[0] : undefined;
  // The PF is the UAC: its ACK reaches the user through the CSCF.
  const ack = invite
    ? requestHops(hops, { method: 'ACK', to: user }).find((h) => h.message.callId === invite.message.callId)
    : undefined;
  return { invite, answer, ack };
}

const deferredInactive = scenario(
  'deferred-inactive',
  'Deferred delivery into an inactive group session',
  ['D1.a', 'D1.i', 'D1.ii', 'D1.iii', 'D1.v', 'D1.vi', 'D1.vii', 'PF'],
  'alice is offline while bob writes; the group session ends; when alice registers the PF invites her with cpm.deferred and a=sendonly, sends the group state object and the stored messages, then BYE.',
  async (s, c, readHops) => {
    const group = await s.newGroup('deferred', USERS);
    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'deferred 1');
    await s.send('bob', group, 'deferred 2');
    await s.waitStored('alice', group, 2);
    await s.endSession(group);
    await s.online('alice');
    const got = await s.waitReceived('alice', group, ['deferred 1', 'deferred 2']);
    await s.waitDelivered('alice', group);
    const all = await readHops();
    const hops = groupHops(all, group);

    const register = requestHops(all, { method: 'REGISTER', from: 'cscf', to: 'pf' }).filter(
      (h) => /alice@/.test(h.message.get('to') ?? '') && h.message.get('expires') !== '0',
    );
    const { invite, answer, ack } = invitationTo(hops, 'alice', group);
    const pfInvite = requestHops(hops, { method: 'INVITE', from: 'pf' }).find(
      (h) =>
        h.message.get('conversation-id')?.toLowerCase() === group.conversationId &&
        /alice@/.test(h.message.uri),
    );
    c.add(
      'PF',
      'after alice registers (third-party REGISTER), the PF invites her for the stored messages',
      register.length > 0 && pfInvite !== undefined && pfInvite.index > register[register.length - 1]!.index,
      undefined,
      [register.at(-1)?.hop, pfInvite?.hop],
    );
    if (!invite) {
      c.add(
        'D1.a',
        'alice receives the PF invitation',
        false,
        'no INVITE with the group Conversation-ID reached alice',
      );
      return;
    }
    const m = invite.message;
    const flags = acceptContactFlags(m);
    c.add(
      'D1.a',
      'the INVITE carries Accept-Contact +g.3gpp.icsi-ref=cpm.deferred;require;explicit',
      cpmServiceOf(m) === 'deferred' && flags.require && flags.explicit,
      m.getAll('accept-contact').join(' | '),
      [invite.hop],
    );
    c.add(
      'D1.a',
      'the INVITE names the group: Conversation-ID, Contribution-ID and Contact <conference URI>;isfocus',
      m.get('contribution-id')?.toLowerCase() === group.contributionId &&
        /isfocus/.test(m.get('contact') ?? ''),
      undefined,
      [invite.hop],
    );
    c.add(
      'D1.i',
      'the SDP offer is a=sendonly',
      sdpDirection(m) === 'sendonly',
      `direction ${sdpDirection(m)}`,
      [invite.hop],
    );
    c.add(
      'D1.v',
      'alice answers 200 OK',
      answer?.message.status === 200,
      answer ? brief(answer.hop) : 'no final response',
      [answer?.hop],
    );
    c.add(
      'D1.iii',
      'the answer is a=recvonly: alice treats the group session as inactive (receive only)',
      answer !== undefined && sdpDirection(answer.message) === 'recvonly',
      answer ? `direction ${sdpDirection(answer.message)}` : undefined,
      [answer?.hop],
    );
    const binding = msrpBindings(hops, 'alice')[0];
    c.add(
      'D1.v',
      'alice opens the MSRP session only after the ACK reached her (empty SEND binds the connection)',
      ack !== undefined && binding !== undefined && binding.index > ack.index,
      ack && binding ? `ACK #${ack.index}, first MSRP #${binding.index}` : 'ACK or MSRP binding missing',
      [ack?.hop, binding?.hop],
    );
    const sends = msrpSends(hops, { from: 'pf', to: 'alice' });
    const first = sends[0];
    c.add(
      'D1.vii',
      'the first MSRP SEND is the group state object (application/group-state-object+xml)',
      first?.contentType.startsWith('application/group-state-object+xml') ?? false,
      first ? first.contentType : 'no SEND',
      [first?.hop],
    );
    const view = await s.clientGroup('alice', group);
    c.add(
      'D1.vii',
      "alice's participant list follows the group state object",
      view !== undefined && USERS.every((u) => view.participants.some((p) => p.uri === s.aor(u))),
      view ? view.participants.map((p) => p.uri).join(', ') : 'group unknown',
    );
    const texts = sends
      .filter((x) => x.inner?.contentType.startsWith('text/plain'))
      .map((x) => x.inner!.text);
    c.add(
      'D1.i',
      'the stored messages arrive on that session, in order',
      texts.join('|') === 'deferred 1|deferred 2',
      texts.join(' | '),
      sends.map((x) => x.hop),
    );
    c.add(
      'D1.i',
      'alice received them as deferred messages',
      got.filter((g) => g.text?.startsWith('deferred ')).every((g) => g.arrivedOn === 'deferred'),
      got.map((g) => `${g.text}:${g.arrivedOn}`).join(', '),
    );
    const imdns = requestHops(hops, { method: 'MESSAGE', from: 'alice' }).filter((h) =>
      /imdn/i.test(h.message.body.toString('utf8')),
    );
    c.add(
      'D1.ii',
      'delivery notifications go back over SIP MESSAGE to the sender (R-URI = bob)',
      imdns.length >= 2 && imdns.every((h) => /bob@/.test(h.message.uri)),
      imdns.map((h) => brief(h.hop)).join('; ') || 'none',
      imdns.map((h) => h.hop),
    );
    const imdnOverMsrp = msrpSends(hops, { from: 'alice' }).filter((x) =>
      x.inner?.contentType.includes('imdn'),
    );
    c.add(
      'D1.ii',
      'no notification is sent over the deferred MSRP session',
      imdnOverMsrp.length === 0,
      undefined,
      imdnOverMsrp.map((x) => x.hop),
    );
    const subscribes = requestHops(hops, { method: 'SUBSCRIBE', from: 'alice' });
    c.add(
      'D1.vi',
      'alice does not SUBSCRIBE to the conference event package',
      subscribes.length === 0,
      subscribes.map((h) => brief(h.hop)).join('; ') || undefined,
      subscribes.map((h) => h.hop),
    );
    const bye = requestHops(hops, { method: 'BYE', to: 'alice' }).find((h) => h.message.callId === m.callId);
    c.add(
      'PF',
      'the PF ends the deferred session with BYE once the backlog is flushed',
      bye !== undefined && sends.every((x) => x.index < bye.index),
      bye ? brief(bye.hop) : 'no BYE',
      [bye?.hop],
    );
  },
);

const activeSession = scenario(
  'active-session',
  'Reconnection into an active group session',
  ['A2.a', 'A2.i', 'PF'],
  'alice is offline while bob and carol chat; when alice registers the PF invites her into the live session with cpm.session and a=sendrecv: stored messages first, then live traffic; alice replies on the same session.',
  async (s, c, readHops) => {
    const group = await s.newGroup('active', USERS);
    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'while you were away');
    await s.waitStored('alice', group, 1);
    await s.waitConnected(group, ['bob', 'carol']);
    await s.online('alice');
    await s.waitReceived('alice', group, ['while you were away']);
    await s.waitConnected(group, ['alice', 'bob', 'carol']);
    await s.send('bob', group, 'live now');
    await s.waitReceived('alice', group, ['live now']);
    await s.send('alice', group, 'I am back');
    await s.waitReceived('bob', group, ['I am back']);
    const all = await readHops();
    const hops = groupHops(all, group);

    const { invite, answer } = invitationTo(hops, 'alice', group);
    if (!invite) {
      c.add(
        'A2.a',
        'alice receives the PF invitation',
        false,
        'no INVITE with the group Conversation-ID reached alice',
      );
      return;
    }
    c.add(
      'PF',
      'after alice registers the PF invites her into the still-active session',
      true,
      brief(invite.hop),
      [invite.hop],
    );
    c.add(
      'A2.a',
      'the INVITE carries Accept-Contact +g.3gpp.icsi-ref=cpm.session',
      cpmServiceOf(invite.message) === 'session',
      invite.message.getAll('accept-contact').join(' | '),
      [invite.hop],
    );
    c.add(
      'A2.a',
      'alice answers 200 OK (handled as a CPM session invitation)',
      answer?.message.status === 200,
      answer ? brief(answer.hop) : 'no answer',
      [answer?.hop],
    );
    c.add(
      'A2.i',
      'offer and answer are a=sendrecv: the group session is active',
      sdpDirection(invite.message) === 'sendrecv' &&
        answer !== undefined &&
        sdpDirection(answer.message) === 'sendrecv',
      `${sdpDirection(invite.message)} / ${answer ? sdpDirection(answer.message) : '-'}`,
      [invite.hop, answer?.hop],
    );
    const toAlice = msrpSends(hops, { from: 'pf', to: 'alice' }).filter((x) =>
      x.inner?.contentType.startsWith('text/plain'),
    );
    c.add(
      'A2.i',
      'the stored message comes first, then live traffic, on the one session',
      toAlice.map((x) => x.inner!.text).join('|') === 'while you were away|live now',
      toAlice.map((x) => x.inner!.text).join(' | '),
      toAlice.map((x) => x.hop),
    );
    const imdns = msrpSends(hops, { from: 'alice', to: 'pf' }).filter((x) =>
      x.inner?.contentType.includes('imdn'),
    );
    c.add(
      'A2.i',
      'delivery notifications go back over the MSRP session',
      imdns.length >= 1,
      `${imdns.length} IMDN SEND(s)`,
      imdns.map((x) => x.hop),
    );
    const smsg = requestHops(hops, { method: 'MESSAGE', from: 'alice' });
    c.add(
      'A2.i',
      'no notification is sent over SIP MESSAGE in the active session',
      smsg.length === 0,
      smsg.map((h) => brief(h.hop)).join('; ') || undefined,
      smsg.map((h) => h.hop),
    );
    const reply = msrpSends(hops, { from: 'alice', to: 'pf' }).find((x) => x.inner?.text === 'I am back');
    const aliceInvites = requestHops(hops, { method: 'INVITE', from: 'alice' });
    c.add(
      'A2.i',
      "alice's new message goes out on the same session (no new INVITE)",
      reply !== undefined && aliceInvites.length === 0,
      reply ? brief(reply.hop) : 'not sent over MSRP',
      [reply?.hop],
    );
  },
);

const rejoin = scenario(
  'rejoin',
  'Re-join after the deferred session, and none without a message',
  ['D1.viii', 'R3'],
  'alice registers with nothing to send: she does not re-join (R3). She writes while offline; on return the deferred session runs first, and only after its BYE does she re-join the group with a new INVITE and send (D1.viii).',
  async (s, c, readHops) => {
    const group = await s.newGroup('rejoin', USERS);
    await s.offline('alice', 'deregister');
    await s.online('alice');
    await s.observe(1000);
    let all = await readHops();
    let hops = groupHops(all, group);
    const early = requestHops(hops, { method: 'INVITE', from: 'alice' }).filter((h) =>
      h.message.uri.startsWith(group.conferenceUri),
    );
    c.add(
      'R3',
      'registering with an empty outbox: no re-join INVITE (observed 1 s)',
      early.length === 0,
      early.map((h) => brief(h.hop)).join('; ') || undefined,
      early.map((h) => h.hop),
    );

    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'are you there?');
    await s.waitStored('alice', group, 1);
    await s.endSession(group);
    await s.send('alice', group, 'back soon'); // typed while offline: queued (outbox)
    await s.online('alice');
    await s.waitReceived('alice', group, ['are you there?']);
    await s.waitReceived('bob', group, ['back soon']);
    all = await readHops();
    hops = groupHops(all, group);
    const { invite } = invitationTo(hops, 'alice', group);
    const bye = invite
      ? requestHops(hops, { method: 'BYE', to: 'alice' }).find(
          (h) => h.message.callId === invite.message.callId,
        )
      : undefined;
    const rejoinInvite = requestHops(hops, { method: 'INVITE', from: 'alice' }).find((h) =>
      h.message.uri.startsWith(group.conferenceUri),
    );
    c.add(
      'D1.viii',
      'a deferred session delivered the stored message first',
      invite !== undefined && cpmServiceOf(invite.message) === 'deferred',
      invite ? brief(invite.hop) : 'no deferred INVITE',
      [invite?.hop],
    );
    c.add(
      'D1.viii',
      "alice's re-join INVITE comes strictly after the deferred session's BYE",
      rejoinInvite !== undefined && bye !== undefined && rejoinInvite.index > bye.index,
      rejoinInvite && bye ? `BYE #${bye.index}, re-join #${rejoinInvite.index}` : 'BYE or re-join missing',
      [bye?.hop, rejoinInvite?.hop],
    );
    if (rejoinInvite) {
      const m = rejoinInvite.message;
      c.add(
        'D1.viii',
        're-join: INVITE to the conference URI with the group IDs, cpm.session, a=sendrecv',
        m.get('conversation-id')?.toLowerCase() === group.conversationId &&
          m.get('contribution-id')?.toLowerCase() === group.contributionId &&
          cpmServiceOf(m) === 'session' &&
          sdpDirection(m) === 'sendrecv',
        `${m.uri} ${cpmServiceOf(m)} ${sdpDirection(m)}`,
        [rejoinInvite.hop],
      );
    }
    const sent = msrpSends(hops, { from: 'alice', to: 'pf' }).find((x) => x.inner?.text === 'back soon');
    c.add(
      'R3',
      'alice re-joined because she had a message to send, and sent it on the new session',
      sent !== undefined && rejoinInvite !== undefined && sent.index > rejoinInvite.index,
      sent ? brief(sent.hop) : 'not sent',
      [sent?.hop],
    );
  },
);

const decline = scenario(
  'decline',
  'The user declines deferred messages and leaves the group (603)',
  ['D1.v'],
  'alice\'s policy for the group is "decline": she answers the PF\'s invitation with 603 Decline; the PF removes her from the group and drops her backlog.',
  async (s, c, readHops) => {
    const group = await s.newGroup('decline', USERS);
    await s.policy('alice', 'decline', group);
    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'not for alice');
    await s.waitStored('alice', group, 1);
    await s.endSession(group);
    await s.online('alice');
    await waitFor(
      s,
      'alice to be removed from the group',
      async () =>
        (await s.pfGroup(group)).participants.find((p) => p.uri === s.aor('alice'))?.status !== 'member',
    );
    const all = await readHops();
    const hops = groupHops(all, group);
    const { invite, answer } = invitationTo(hops, 'alice', group);
    c.add(
      'D1.v',
      'alice answers the deferred invitation with 603 Decline',
      answer?.message.status === 603,
      answer ? brief(answer.hop) : 'no answer',
      [invite?.hop, answer?.hop],
    );
    const pfGroup = await s.pfGroup(group);
    c.add(
      'D1.v',
      'the PF removes alice from the group',
      pfGroup.participants.find((p) => p.uri === s.aor('alice'))?.status !== 'member',
      JSON.stringify(pfGroup.participants.find((p) => p.uri === s.aor('alice'))),
    );
    c.add('D1.v', "the PF drops alice's backlog", (await s.pending('alice', group)) === 0);
    const view = await s.clientGroup('alice', group);
    c.add(
      'D1.v',
      'alice leaves the group locally',
      view?.left === true,
      view ? `left=${view.left}` : 'group gone',
    );
  },
);

const later = scenario(
  'later',
  'The user wants the deferred messages later (480)',
  ['D1.v'],
  'alice\'s policy is "later": she answers 480 Temporarily Unavailable; the PF keeps the messages and delivers them at her next registration once she accepts.',
  async (s, c, readHops) => {
    const group = await s.newGroup('later', USERS);
    await s.policy('alice', 'later', group);
    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'keep this for later');
    await s.waitStored('alice', group, 1);
    await s.endSession(group);
    await s.online('alice');
    await waitFor(s, "alice's 480", async () => {
      const { answer } = invitationTo(groupHops(await readHops(), group), 'alice', group);
      return answer !== undefined;
    });
    let all = await readHops();
    let hops = groupHops(all, group);
    const first = invitationTo(hops, 'alice', group);
    c.add(
      'D1.v',
      'alice answers the deferred invitation with 480 Temporarily Unavailable',
      first.answer?.message.status === 480,
      first.answer ? brief(first.answer.hop) : 'no answer',
      [first.invite?.hop, first.answer?.hop],
    );
    c.add('D1.v', 'the PF keeps the message', (await s.pending('alice', group)) === 1);
    await s.policy('alice', 'accept', group);
    await s.offline('alice', 'deregister');
    await s.online('alice');
    await s.waitReceived('alice', group, ['keep this for later']);
    all = await readHops();
    hops = groupHops(all, group);
    const invites = requestHops(hops, { method: 'INVITE', to: 'alice' }).filter(
      (h) => h.message.get('conversation-id')?.toLowerCase() === group.conversationId,
    );
    c.add(
      'D1.v',
      'at the next registration the PF invites again and the message is delivered',
      invites.length >= 2,
      `${invites.length} invitations`,
      invites.map((h) => h.hop),
    );
  },
);

const unknownGroup = scenario(
  'unknown-group',
  'Invitations for a group the client does not know (481)',
  ['D1.iv', 'A2.ii'],
  'the PF holds messages for alice in two groups her client has never heard of: one with an inactive session (cpm.deferred) and one with an active session (cpm.session). alice answers both with 481 Call/Transaction Does Not Exist; the PF stops delivery for them and records it.',
  async (s, c, readHops) => {
    const quiet = await s.newGroup('unknown-deferred', USERS, ['bob', 'carol']);
    const live = await s.newGroup('unknown-active', USERS, ['bob', 'carol']);
    await s.offline('alice', 'deregister');
    await s.send('bob', quiet, 'you do not know this group');
    await s.send('bob', live, 'nor this one');
    await s.waitStored('alice', quiet, 1);
    await s.waitStored('alice', live, 1);
    await s.endSession(quiet);
    await s.waitConnected(live, ['bob', 'carol']);
    await s.online('alice');
    await waitFor(
      s,
      'the PF to record both 481s',
      async () =>
        (await s.deliveryStatus('alice', quiet)) === 'stopped-481' &&
        (await s.deliveryStatus('alice', live)) === 'stopped-481',
    );
    const hops = await readHops(); // invitationTo picks each group's INVITE by its Conversation-ID
    const d = invitationTo(hops, 'alice', quiet);
    const a = invitationTo(hops, 'alice', live);
    c.add(
      'D1.iv',
      'cpm.deferred INVITE with unknown Conversation-ID/Contribution-ID → 481',
      d.invite !== undefined &&
        cpmServiceOf(d.invite.message) === 'deferred' &&
        d.answer?.message.status === 481,
      d.answer ? brief(d.answer.hop) : 'no answer',
      [d.invite?.hop, d.answer?.hop],
    );
    c.add(
      'A2.ii',
      'cpm.session INVITE with unknown Conversation-ID/Contribution-ID → 481',
      a.invite !== undefined &&
        cpmServiceOf(a.invite.message) === 'session' &&
        a.answer?.message.status === 481,
      a.answer ? brief(a.answer.hop) : 'no answer',
      [a.invite?.hop, a.answer?.hop],
    );
    c.add(
      'D1.iv',
      'the PF records the 481 and stops delivery for that group to alice',
      (await s.deliveryStatus('alice', quiet)) === 'stopped-481',
    );
  },
);

/**
 * The PF clause when alice's registration ends without her de-registering: `goAway` ends it (her flow drops,
 * or the network de-registers her); the CSCF tells the PF (third-party REGISTER Expires: 0); bob's message is
 * stored; on her return the PF invites her and delivers it once.
 */
function registrationLost(goAway: (s: Steps) => Promise<void>, how: string): Body {
  return async (s, c, readHops) => {
    const group = await s.newGroup('lost', USERS);
    await goAway(s);
    await waitFor(
      s,
      'the PF to see alice offline',
      async () =>
        !(await s.lab.node('pf').get<{ online: string[] }>('/state')).online.includes(s.aor('alice')),
    );
    await s.send('bob', group, 'lost you there');
    await s.waitStored('alice', group, 1);
    await s.endSession(group);
    await s.online('alice');
    await s.waitReceived('alice', group, ['lost you there']);
    const all = await readHops();
    const hops = groupHops(all, group);
    const gone = requestHops(all, { method: 'REGISTER', from: 'cscf', to: 'pf' }).find(
      (h) => /alice@/.test(h.message.get('to') ?? '') && h.message.get('expires') === '0',
    );
    const aliceDereg = requestHops(all, { method: 'REGISTER', from: 'alice' }).find(
      (h) => h.message.get('expires') === '0',
    );
    c.add(
      'PF',
      `the CSCF tells the PF alice is gone (third-party REGISTER Expires: 0) ${how}, though alice never de-registered`,
      gone !== undefined && aliceDereg === undefined,
      gone ? brief(gone.hop) : 'none',
      [gone?.hop],
    );
    const { invite, answer } = invitationTo(hops, 'alice', group);
    c.add(
      'PF',
      'on return the PF invites alice (cpm.deferred) and she accepts',
      invite !== undefined && cpmServiceOf(invite.message) === 'deferred' && answer?.message.status === 200,
      invite ? brief(invite.hop) : 'no invitation',
      [invite?.hop, answer?.hop],
    );
    const texts = msrpSends(hops, { from: 'pf', to: 'alice' }).filter(
      (x) => x.inner?.text === 'lost you there',
    );
    c.add(
      'PF',
      'the stored message is delivered exactly once',
      texts.length === 1,
      `${texts.length} SEND(s)`,
      texts.map((x) => x.hop),
    );
  };
}

const dropAndReturn = scenario(
  'drop-and-return',
  'Coverage lost without de-registration, then return',
  ['PF'],
  "alice's phone loses coverage: her TCP flow closes without a word. The CSCF notices, marks her unreachable and tells the PF (third-party REGISTER Expires: 0); bob's message is stored; when alice registers again it is delivered.",
  registrationLost((s) => s.offline('alice', 'drop'), 'when her flow closes'),
);

const networkDeregistration = scenario(
  'network-deregistration',
  'The network de-registers a user, then she returns',
  ['PF'],
  "The CSCF ends alice's registration on its own (a network-initiated de-registration, injected through the lab CSCF's control API): it tells the PF (third-party REGISTER Expires: 0); bob's message is stored; when alice registers again it is delivered. Needs the lab's own CSCF.",
  registrationLost(async (s) => {
    s.say("the network de-registers alice (the CSCF's control API)");
    await s.lab.node('cscf').post('/users/alice/deregister');
  }, 'on the network-initiated de-registration'),
  ['cscf-control'],
);

const imdnToOfflineSender = scenario(
  'imdn-to-offline-sender',
  'A delivery notification for a sender who has gone offline',
  ['D1.ii'],
  "bob writes while alice is offline, then bob goes offline too. alice's deferred delivery makes her send the delivery notification by SIP MESSAGE to bob (D1.ii); the CSCF, finding bob unregistered, hands it to the PF, which stores it and delivers it when bob returns (protocol-notes §6: no notification is ever dropped).",
  async (s, c, readHops) => {
    const group = await s.newGroup('imdn-offline', USERS);
    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'did you get this?');
    await s.waitStored('alice', group, 1);
    await s.endSession(group);
    await s.offline('bob', 'deregister');
    await s.online('alice');
    await s.waitReceived('alice', group, ['did you get this?']);
    await s.waitStored('bob', group, 1);
    await s.online('bob');
    const notified = await waitUntil("bob's delivery notification from alice", async () => {
      const all = await s.lab
        .node('bob')
        .get<Array<{ groupKey: string; from: string; notification: { type?: string; status?: string } }>>(
          '/notifications',
        );
      return all.find((n) => n.groupKey === group.conversationId && n.from === s.aor('alice'));
    });
    const all = await readHops();
    const hops = groupHops(all, group);
    const fromAlice = requestHops(hops, { method: 'MESSAGE', from: 'alice' }).find((h) =>
      /bob@/.test(h.message.uri),
    );
    const toPf = requestHops(hops, { method: 'MESSAGE', from: 'cscf', to: 'pf' }).find((h) =>
      /bob@/.test(h.message.uri),
    );
    const stored = toPf ? responsesTo(hops, toPf.message, 'pf')[0] : undefined;
    c.add(
      'D1.ii',
      "alice's notification goes out by SIP MESSAGE to the original sender (R-URI = bob)",
      fromAlice !== undefined,
      fromAlice ? brief(fromAlice.hop) : 'none',
      [fromAlice?.hop],
    );
    c.add(
      'D1.ii',
      'bob is offline: the CSCF hands the MESSAGE to the PF, which stores it (202)',
      toPf !== undefined && stored?.message.status === 202,
      stored ? brief(stored.hop) : 'not routed to the PF',
      [toPf?.hop, stored?.hop],
    );
    // The stored notification is the one alice sent (same imdn.Message-ID), delivered after it was stored;
    // carol's live notification of the same message must not stand in for it.
    const storedId = fromAlice ? cpimMessageId(fromAlice.message.body) : undefined;
    const delivered = msrpSends(hops, { from: 'pf', to: 'bob' }).find(
      (x) =>
        storedId !== undefined &&
        x.frame.body !== undefined &&
        cpimMessageId(x.frame.body) === storedId &&
        (toPf === undefined || x.index > toPf.index),
    );
    c.add(
      'D1.ii',
      "when bob returns the PF delivers alice's stored notification to him (same imdn.Message-ID)",
      delivered !== undefined,
      delivered ? `${brief(delivered.hop)} (imdn.Message-ID ${storedId})` : 'not delivered',
      [toPf?.hop, delivered?.hop],
    );
    c.add(
      'D1.ii',
      "bob's client records alice's delivery notification",
      notified !== undefined,
      JSON.stringify(notified?.notification),
    );
  },
);

const membershipChange = scenario(
  'membership-change',
  'Membership changes while a user is offline (group state object)',
  ['D1.vii', 'D1.i'],
  "alice and bob form a group; alice goes offline and bob writes. While alice is away carol joins and bob leaves. alice's deferred delivery starts with the group state object: it lists alice and carol, not bob, and alice's client takes its participants (and its re-join target) from it, not from the list it was provisioned with.",
  async (s, c, readHops) => {
    const group = await s.newGroup('members', ['alice', 'bob']);
    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'before I go');
    await s.waitStored('alice', group, 1);
    await s.addMember(group, 'carol');
    await s.removeMember(group, 'bob');
    await s.endSession(group);
    await s.online('alice');
    await s.waitReceived('alice', group, ['before I go']);
    await s.waitDelivered('alice', group);
    const all = await readHops();
    const hops = groupHops(all, group);
    const gso = msrpSends(hops, { from: 'pf', to: 'alice' }).find((x) =>
      x.contentType.startsWith('application/group-state-object+xml'),
    );
    let state: ReturnType<typeof parseGroupState> | undefined;
    try {
      state = gso?.frame.body ? parseGroupState(gso.frame.body) : undefined;
    } catch {
      state = undefined;
    }
    const listed = state?.participants.map((p) => p.commAddr).sort() ?? [];
    c.add(
      'D1.vii',
      'the group state object lists the members as they are now: alice and carol, not bob',
      listed.join(' ') === [s.aor('alice'), s.aor('carol')].sort().join(' '),
      listed.join(', ') || (gso ? 'unreadable group state object' : 'no group state object'),
      [gso?.hop],
    );
    const view = await s.clientGroup('alice', group);
    const known = view?.participants.map((p) => p.uri).sort() ?? [];
    c.add(
      'D1.vii',
      "alice's participant information follows the group state object (carol in, bob out), not the provisioned list",
      known.join(' ') === listed.join(' ') && known.includes(s.aor('carol')) && !known.includes(s.aor('bob')),
      known.join(', ') || 'group unknown',
    );
    c.add(
      'D1.vii',
      "alice's re-join target is the object's lastfocussessionid",
      state !== undefined && view !== undefined && view.conferenceUri === state.lastFocusSessionId,
      `${view?.conferenceUri ?? '-'} / ${state?.lastFocusSessionId ?? '-'}`,
      [gso?.hop],
    );
    const texts = msrpSends(hops, { from: 'pf', to: 'alice' })
      .filter((x) => x.inner?.contentType.startsWith('text/plain'))
      .map((x) => x.inner!.text);
    c.add(
      'D1.i',
      "bob's message, stored before he left, is still delivered",
      texts.includes('before I go'),
      texts.join(' | ') || 'none',
    );
  },
);

const reconnectWithoutBacklog = scenario(
  'reconnect-without-backlog',
  'Reconnection into an active session with nothing stored',
  ['PF', 'A2.a', 'A2.i'],
  "the group's session is live; alice leaves it by going offline and nobody writes while she is away. When she registers again the PF still invites her into the live session (cpm.session, a=sendrecv) with nothing to deliver, and live traffic reaches her there.",
  async (s, c, readHops) => {
    const group = await s.newGroup('reconnect', USERS);
    await s.send('bob', group, 'all here');
    await s.waitReceived('alice', group, ['all here']);
    await s.waitConnected(group, ['alice', 'bob', 'carol']);
    await s.offline('alice', 'deregister');
    await s.waitConnected(group, ['bob', 'carol']);
    const stored = await s.pending('alice', group);
    await s.online('alice');
    await s.waitConnected(group, ['alice', 'bob', 'carol']);
    await s.send('bob', group, 'welcome back');
    await s.waitReceived('alice', group, ['welcome back']);
    const all = await readHops();
    const hops = groupHops(all, group);
    const register = requestHops(all, { method: 'REGISTER', from: 'cscf', to: 'pf' }).filter(
      (h) => /alice@/.test(h.message.get('to') ?? '') && h.message.get('expires') !== '0',
    );
    const lastRegister = register.at(-1);
    const invite = requestHops(hops, { method: 'INVITE', to: 'alice' }).find(
      (h) => lastRegister !== undefined && h.index > lastRegister.index && h.message.toTag === undefined,
    );
    const answer = invite ? responsesTo(hops, invite.message, 'alice')[0] : undefined;
    c.add(
      'PF',
      'nothing was stored for alice, and after she registers the PF invites her into the live session',
      stored === 0 && invite !== undefined,
      invite ? `${stored} stored; ${brief(invite.hop)}` : `${stored} stored; no INVITE after the REGISTER`,
      [lastRegister?.hop, invite?.hop],
    );
    c.add(
      'A2.a',
      'the invitation carries Accept-Contact +g.3gpp.icsi-ref=cpm.session and alice answers 200 OK',
      invite !== undefined && cpmServiceOf(invite.message) === 'session' && answer?.message.status === 200,
      answer ? brief(answer.hop) : 'no answer',
      [invite?.hop, answer?.hop],
    );
    c.add(
      'A2.i',
      'offer and answer are a=sendrecv',
      invite !== undefined &&
        sdpDirection(invite.message) === 'sendrecv' &&
        answer !== undefined &&
        sdpDirection(answer.message) === 'sendrecv',
      invite ? `${sdpDirection(invite.message)} / ${answer ? sdpDirection(answer.message) : '-'}` : undefined,
      [invite?.hop, answer?.hop],
    );
    const live = msrpSends(hops, { from: 'pf', to: 'alice' }).find(
      (x) => x.inner?.text === 'welcome back' && invite !== undefined && x.index > invite.index,
    );
    c.add(
      'A2.i',
      'live traffic reaches alice on that session',
      live !== undefined,
      live ? brief(live.hop) : 'not seen',
      [live?.hop],
    );
  },
);

/** The imdn.Message-ID of a CPIM body, or undefined when it is not readable CPIM. */
function cpimMessageId(body: Buffer): string | undefined {
  try {
    return imdnMessageId(parseCpim(body));
  } catch {
    return undefined;
  }
}

async function waitFor(s: Steps, what: string, probe: () => Promise<boolean>): Promise<void> {
  await waitUntil(what, async () => (await probe()) || undefined);
  s.say(`… ${what}`);
}

export const SCENARIOS: readonly Scenario[] = [
  deferredInactive,
  activeSession,
  rejoin,
  decline,
  later,
  unknownGroup,
  dropAndReturn,
  networkDeregistration,
  imdnToOfflineSender,
  membershipChange,
  reconnectWithoutBacklog,
];

export function findScenario(name: string): Scenario {
  const found = SCENARIOS.find((x) => x.name === name);
  if (!found)
    throw new Error(`no scenario "${name}" (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`);
  return found;
}

export async function runScenario(
  name: string,
  lab: LabClient,
  step: (text: string) => void = () => {},
): Promise<ScenarioResult> {
  return findScenario(name).run({ lab, step });
}
