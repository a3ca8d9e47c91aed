// A tiny registrar on the UA for tests (RFC 3261 §10.3): digest challenge (§22.1, DigestServer), 423 with
// Min-Expires (§10.3 step 7), bindings with the granted expires in the 200's Contact (§10.3 step 8).
import { DigestServer } from '../auth/index.js';
import type { SipRequest } from '../index.js';
import { formatNameAddr, formatUri, parseNameAddr } from '../index.js';
import type { MessageSource } from '../transport/index.js';
import type { UserAgent } from '../ua/index.js';

export interface TestRegistrarOptions {
  /** username → password; undefined: no authentication. */
  users?: Record<string, string>;
  realm?: string;
  minExpires?: number;
  /** Grant at most this many seconds. */
  maxExpires?: number;
}

export interface TestBinding {
  /** The contact URI. */
  uri: string;
  /** The Contact as registered: `<uri>;params`. */
  contact: string;
  expires: number;
}

export interface TestRegistrar {
  /** AoR (To URI as written) → bindings. */
  bindings: Map<string, TestBinding[]>;
  /** Every REGISTER received, with where it came from. */
  requests: Array<{ request: SipRequest; source: MessageSource }>;
}

export function installRegistrar(ua: UserAgent, options: TestRegistrarOptions = {}): TestRegistrar {
  const digest = new DigestServer({ realm: options.realm ?? 'ims.lab' });
  const state: TestRegistrar = { bindings: new Map(), requests: [] };
  ua.on('REGISTER', async (req, res) => {
    state.requests.push({ request: req, source: res.source });
    if (options.users) {
      const authorization = req.get('authorization');
      const verdict = authorization
        ? digest.verify(authorization, 'REGISTER', (u) => options.users?.[u])
        : undefined;
      if (!verdict?.ok) {
        const stale = verdict !== undefined && !verdict.ok && verdict.reason === 'stale';
        await res.send(401, { headers: [['WWW-Authenticate', digest.challenge(stale)]] });
        return;
      }
    }
    const aor = parseNameAddr(req.get('to') ?? '').uri;
    const key = `${aor.scheme}:${'user' in aor ? `${aor.user}@${aor.host}` : ''}`;
    const contacts = req
      .getAll('contact')
      .filter((c) => c !== '*')
      .map(parseNameAddr);
    const header = req.get('expires');
    const granted: string[] = [];
    const list = state.bindings.get(key) ?? [];
    for (const contact of contacts) {
      const param = contact.params.get('expires');
      let expires = Number(typeof param === 'string' ? param : (header ?? 3600));
      if (expires > 0 && options.minExpires !== undefined && expires < options.minExpires) {
        await res.send(423, { headers: [['Min-Expires', options.minExpires]] });
        return;
      }
      if (options.maxExpires !== undefined) expires = Math.min(expires, options.maxExpires);
      const uri = formatUri(contact.uri);
      const value = formatNameAddr({ uri: contact.uri, params: contact.params.clone().delete('expires') });
      const rest = list.filter((b) => b.uri !== uri);
      list.length = 0;
      list.push(...rest);
      if (expires > 0) {
        list.push({ uri, contact: value, expires });
        granted.push(`${value};expires=${expires}`);
      }
    }
    state.bindings.set(key, list);
    await res.send(200, { headers: granted.map((c) => ['Contact', c] as [string, string]) });
  });
  return state;
}
