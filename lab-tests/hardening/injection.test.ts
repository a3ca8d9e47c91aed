// No header injection through any control API (hardening): every field that can reach a SIP, MSRP or CPIM
// header is refused with 400 when it carries CR, LF or NUL, and the bytes on the wire (the lab's merged trace)
// never show the smuggled header. Free chat text may span lines: it travels in a body, never in a header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateLab, startPrivateLab } from '../../lab/embedded/index.js';
import { LabClient, LabRequestError } from '../../lab/scenarios/lab-client.js';
import { Steps } from '../../lab/scenarios/steps.js';

const MARK = 'X-Injected';
/** The header-looking line inside chat text (kept apart from MARK, which must never reach the wire). */
const TEXT_MARK = 'X-Looks-Like-A-Header';
const CRLF_HEADER = `x\r\n${MARK}: yes`;
/** A whole forged request after the smuggled line break, as an attacker would try through the CSCF. */
const FORGED = `x\r\n\r\nMESSAGE sip:bob@ims.lab SIP/2.0\r\n${MARK}: forged\r\n`;

let privateLab: PrivateLab;
let lab: LabClient;

beforeAll(async () => {
  privateLab = await startPrivateLab({ t1: 50, level: 'error', label: 'injection' });
  lab = new LabClient(privateLab.url);
});

afterAll(async () => {
  await privateLab?.close();
});

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof LabRequestError) return err.status ?? 0;
    throw err;
  }
}

/** Every hop of the whole run, as bytes: the smuggled header must appear in none of them. */
async function wireHasMark(): Promise<boolean> {
  const hops = await lab.hops();
  return hops.some((h) => h.raw.toString('latin1').includes(MARK));
}

describe('no header injection through the control APIs (hardening)', () => {
  it('PF: group subject, IDs, participants, creator and path parameters with CR/LF/NUL → 400; nothing reaches the wire', async () => {
    const pf = lab.node('pf');
    const base = { participants: ['sip:alice@ims.lab', 'sip:bob@ims.lab'] };
    expect(await status(pf.post('/groups', { ...base, subject: CRLF_HEADER }))).toBe(400);
    expect(await status(pf.post('/groups', { ...base, subject: FORGED }))).toBe(400);
    expect(await status(pf.post('/groups', { ...base, conversationId: CRLF_HEADER }))).toBe(400);
    expect(await status(pf.post('/groups', { ...base, contributionId: 'a b' }))).toBe(400);
    expect(await status(pf.post('/groups', { ...base, subject: 'nul\u0000byte' }))).toBe(400);
    expect(await status(pf.post('/groups', { participants: [`sip:alice@ims.lab${CRLF_HEADER}`] }))).toBe(400);
    expect(await status(pf.post('/groups', { participants: ['sip:alice@ims.lab>;x=<y'] }))).toBe(400);
    expect(await status(pf.post('/groups', { ...base, creator: CRLF_HEADER }))).toBe(400);
    expect(await status(pf.post('/groups/team/participants', { participants: [CRLF_HEADER] }))).toBe(400);
    expect(await status(pf.delete(`/groups/team/participants/${encodeURIComponent(CRLF_HEADER)}`))).toBe(400);
    expect(await status(pf.get(`/backlog/${encodeURIComponent(CRLF_HEADER)}`))).toBe(400);
    expect(await wireHasMark()).toBe(false);
  });

  it('client: created and provisioned groups, policies and group references with CR/LF → 400; chat text with line breaks stays in the body', async () => {
    const alice = lab.node('alice');
    expect(await status(alice.post('/groups', { subject: FORGED, participants: ['bob'] }))).toBe(400);
    expect(await status(alice.post('/groups', { subject: 'ok', participants: [CRLF_HEADER] }))).toBe(400);
    const provisioned = {
      conferenceUri: 'sip:group-x@ims.lab',
      conversationId: 'conv-x',
      contributionId: 'contrib-x',
    };
    expect(
      await status(alice.post('/groups', { ...provisioned, conferenceUri: `sip:g@ims.lab${CRLF_HEADER}` })),
    ).toBe(400);
    expect(await status(alice.post('/groups', { ...provisioned, conferenceUri: 'sip:g@ims.lab>;x' }))).toBe(
      400,
    );
    expect(await status(alice.post('/groups', { ...provisioned, conversationId: CRLF_HEADER }))).toBe(400);
    expect(await status(alice.post('/groups', { ...provisioned, subject: CRLF_HEADER }))).toBe(400);
    expect(await status(alice.put('/policy', { policy: 'accept', group: CRLF_HEADER }))).toBe(400);
    expect(
      await status(alice.post(`/groups/${encodeURIComponent(CRLF_HEADER)}/messages`, { text: 'x' })),
    ).toBe(400);

    // A chat message whose text looks like headers: delivered as text, never as a header.
    const steps = new Steps(lab, () => {});
    await steps.baseline(['alice', 'bob', 'carol']);
    const group = await steps.newGroup('injection', ['alice', 'bob', 'carol']);
    const text = `line one\r\n${TEXT_MARK}: text\r\n\r\nline three`;
    await steps.send('alice', group, text);
    const got = await steps.waitReceived('bob', group, [text]);
    expect(got.length).toBeGreaterThan(0);
    const hops = await lab.hops();
    for (const h of hops) {
      const raw = h.raw.toString('latin1');
      if (!raw.includes(TEXT_MARK)) continue;
      // Only inside a CPIM body: never in a SIP or MSRP head.
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      expect(head.includes(TEXT_MARK), `${h.label}: ${TEXT_MARK} in the head`).toBe(false);
      expect(h.protocol).toBe('msrp');
    }
  });

  it('CSCF: static binding contacts and user names with CR/LF → 400; the lab API pass-through refuses encoded CR/LF', async () => {
    const cscf = lab.node('cscf');
    expect(
      await status(cscf.post('/users/bob/bindings', { contact: `sip:bob@127.0.0.1:9${CRLF_HEADER}` })),
    ).toBe(400);
    expect(
      await status(
        cscf.post(`/users/${encodeURIComponent(CRLF_HEADER)}/bindings`, { contact: 'sip:x@127.0.0.1:9' }),
      ),
    ).toBe(400);
    expect(await status(lab.get(`/nodes/pf/groups/${encodeURIComponent(CRLF_HEADER)}`))).toBe(400);
    expect(await wireHasMark()).toBe(false);
  });
});
