// CPM Lab console: topology, groups, chats, the live SIP + MSRP ladder and the clause checklist, with the
// controls of a live demo. Talks only to the lab API that served it (same origin).
import { ApiError, get, node } from './api.js';
import { Ladder } from './ladder.js';
import { Runner, remoteScenarios, resetLab, scripts } from './runner.js';

// ---------------------------------------------------------------- state

const view = {
  lab: { nodes: [], peers: [], groups: [], domain: '' },
  state: {},
  chats: {},
  hops: [],
  clauses: [],
  lights: new Map(),
  selectedClause: undefined,
  /** "Reset lab": chats and the ladder show only what came after (an ISO time, a hop index). */
  since: { time: '', hop: 0 },
};

// ---------------------------------------------------------------- DOM helpers

const $ = (id) => document.getElementById(id);

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c);
  return e;
}

let toastTimer;
function toast(message) {
  const t = $('toast');
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.hidden = true;
  }, 7000);
}

/** Run a control action: buttons are disabled meanwhile, errors become a toast, the view refreshes. */
async function act(button, action) {
  if (button) button.disabled = true;
  try {
    await action();
  } catch (err) {
    toast(err instanceof ApiError ? err.message : `failed: ${err.message}`);
  } finally {
    if (button) button.disabled = false;
    scheduleRefresh(0);
  }
}

/** Control actions that may be repeated safely (api.js retries them once after a network failure). */
const SAFE = { idempotent: true };
const userOf = (uri) => /^sips?:([^@;]+)@/.exec(uri ?? '')?.[1] ?? uri;
const clients = () => view.lab.nodes.filter((n) => n.role === 'client').map((n) => n.name);
const short = (id) => (id ? id.slice(0, 8) : '');

// ---------------------------------------------------------------- topology and groups

function renderNetwork() {
  const cscf = view.state.cscf;
  const pf = view.state.pf;
  const card = (name, what, facts, error) =>
    h(
      'div',
      { class: 'node', 'data-testid': `node-${name}` },
      h(
        'div',
        {},
        h('span', { class: 'name', text: name.toUpperCase() }),
        ' ',
        error ? badge('unreachable', 'offline') : badge('up', 'online'),
      ),
      h('div', { class: 'what', text: error ?? what }),
      h('div', { class: 'what', text: facts }),
    );
  const bindings = cscf?.bindings?.length ?? 0;
  const unreachable = cscf?.unreachable?.length
    ? ` · ${cscf.unreachable.map(userOf).join(', ')} unreachable`
    : '';
  const backlog = (pf?.backlog ?? []).reduce((n, b) => n + b.pending, 0);
  // An external CSCF (Kamailio, another IMS core) has no control API: the card says what and where it is.
  const external = view.lab.peers.find((p) => p.role === 'cscf');
  $('network').replaceChildren(
    external
      ? card(
          'cscf',
          `${external.product} · external`,
          `SIP ${external.sip}${external.note ? ` · ${external.note}` : ''}`,
        )
      : card(
          'cscf',
          'registrar · proxy · 3rd-party REGISTER',
          `${bindings} binding(s)${unreachable}`,
          cscf?.error,
        ),
    card(
      'pf',
      'participating function · deferred store',
      `${pf?.groups?.length ?? 0} group(s) · ${backlog} stored`,
      pf?.error,
    ),
  );
}

function badge(text, kind) {
  return h('span', { class: `badge ${kind}`, text });
}

const clientCards = new Map();

function clientCard(name) {
  let card = clientCards.get(name);
  if (card) return card;
  const status = h('span', { 'data-testid': `status-${name}` });
  const detail = h('div', { class: 'detail' });
  const policy = h(
    'select',
    {
      'data-testid': `policy-${name}`,
      title: 'Answer to deferred invitations (D1.v)',
      onchange: () =>
        act(policy, async () => {
          const group = policyGroup.value;
          await node(name).put('/policy', group ? { policy: policy.value, group } : { policy: policy.value });
        }),
    },
    h('option', { value: 'accept', text: 'accept (200)' }),
    h('option', { value: 'later', text: 'later (480)' }),
    h('option', { value: 'decline', text: 'decline (603)' }),
  );
  const policyGroup = h('select', {
    'data-testid': `policy-group-${name}`,
    title: 'Policy for all groups or one',
    onchange: () => updateClientCard(name),
  });
  const deregister = h('button', {
    type: 'button',
    class: 'danger',
    text: 'De-register',
    title: 'Go offline: REGISTER Expires: 0',
    'data-testid': `offline-${name}`,
    onclick: () => act(deregister, () => node(name).post('/offline', { mode: 'deregister' }, SAFE)),
  });
  const drop = h('button', {
    type: 'button',
    class: 'danger',
    text: 'Drop',
    title: 'Lose coverage: the TCP flow is cut, no de-registration',
    'data-testid': `drop-${name}`,
    onclick: () => act(drop, () => node(name).post('/offline', { mode: 'drop' }, SAFE)),
  });
  const online = h('button', {
    type: 'button',
    class: 'primary',
    text: 'Online',
    title: 'Come online: REGISTER',
    'data-testid': `online-${name}`,
    onclick: () => act(online, () => node(name).post('/online', {}, SAFE)),
  });
  const root = h(
    'div',
    { class: 'client', 'data-testid': `client-${name}` },
    h('div', {}, h('span', { class: 'name', text: name }), ' ', status),
    h('div', { class: 'actions' }, deregister, drop, online),
    detail,
  );
  card = { root, status, detail, policy, policyGroup, deregister, drop, online };
  clientCards.set(name, card);
  return card;
}

function updateClientCard(name) {
  const card = clientCard(name);
  const s = view.state[name];
  if (!s || s.error) {
    card.status.replaceChildren(badge('control API down', 'offline'));
    card.root.classList.add('is-offline');
    return;
  }
  const isOnline = s.registration?.state === 'online';
  const reason = s.registration?.reason ? ` (${s.registration.reason})` : '';
  card.status.replaceChildren(
    badge(
      isOnline ? 'online' : `${s.registration?.state ?? 'offline'}${reason}`,
      isOnline ? 'online' : 'offline',
    ),
  );
  card.root.classList.toggle('is-offline', !isOnline);
  card.deregister.disabled = !isOnline;
  card.drop.disabled = !isOnline;
  card.online.disabled = isOnline;

  const groups = s.groups ?? [];
  const wanted = ['', ...groups.map((g) => g.key)];
  const have = [...card.policyGroup.options].map((o) => o.value);
  if (wanted.join() !== have.join()) {
    const keep = card.policyGroup.value;
    card.policyGroup.replaceChildren(
      h('option', { value: '', text: 'all groups' }),
      ...groups.map((g) => h('option', { value: g.key, text: g.subject ?? short(g.key) })),
    );
    card.policyGroup.value = wanted.includes(keep) ? keep : '';
  }
  const g = card.policyGroup.value;
  const current = (g && s.policy?.perGroup?.[g]) || s.policy?.default || 'accept';
  if (document.activeElement !== card.policy) card.policy.value = current;

  const sessions = (s.sessions ?? []).map((x) =>
    badge(`${x.kind} session · ${groupName(x.groupKey)}`, x.kind === 'deferred' ? 'deferred' : 'active'),
  );
  card.detail.replaceChildren(
    h('label', {}, 'invitations: ', card.policy, ' ', card.policyGroup),
    ...sessions,
  );
}

function renderClients() {
  const root = $('clients');
  const names = clients();
  if (root.children.length !== names.length) root.replaceChildren(...names.map((n) => clientCard(n).root));
  for (const n of names) updateClientCard(n);
}

/** Group display name by Conversation-ID / key, from the PF's groups. */
function groupName(key) {
  const g = (view.state.pf?.groups ?? []).find((x) => x.conversationId === key || x.id === key);
  return g ? g.id : short(key);
}

function renderGroups() {
  const pf = view.state.pf;
  const root = $('groups');
  if (!pf || pf.error) {
    root.replaceChildren(h('p', { class: 'hint', text: pf?.error ?? 'waiting for the PF…' }));
    return;
  }
  root.replaceChildren(
    ...pf.groups.map((g) => {
      const end = h('button', {
        type: 'button',
        text: 'End session',
        title: 'The PF ends the group session: BYE to every connected participant',
        'data-testid': `end-${g.id}`,
        disabled: g.session !== 'active',
        onclick: () => act(end, () => node('pf').post(`/groups/${encodeURIComponent(g.id)}/end`, {}, SAFE)),
      });
      const participants = g.participants.map((p) => {
        const pending =
          (pf.backlog ?? []).find((b) => b.recipient === p.uri && b.groupId === g.id)?.pending ?? 0;
        const classes = [g.connected.includes(p.uri) ? 'connected' : '', pending ? 'pending' : ''].join(' ');
        return h('li', {
          class: classes,
          'data-pending': pending || undefined,
          title: `${p.uri}: ${p.status}${g.connected.includes(p.uri) ? ', in the session' : ''}${pending ? `, ${pending} stored` : ''}`,
          text: `${userOf(p.uri)}${p.status === 'member' ? '' : ` (${p.status})`}`,
        });
      });
      return h(
        'div',
        { class: 'group', 'data-testid': `group-${g.id}` },
        h(
          'div',
          { class: 'title' },
          h('span', { class: 'name', text: g.id }),
          badge(`session ${g.session}`, g.session === 'active' ? 'active' : 'inactive'),
          end,
        ),
        h('div', {
          class: 'meta',
          text: `${g.subject ?? ''} · ${g.conferenceUri} · Conversation-ID ${short(g.conversationId)}…`,
        }),
        h('ul', { class: 'participants' }, participants),
      );
    }),
  );
}

// ---------------------------------------------------------------- chats

const chatCards = new Map();

function chatCard(name) {
  let card = chatCards.get(name);
  if (card) return card;
  const status = h('span');
  const messages = h('div', { class: 'messages', 'data-testid': `messages-${name}` });
  const group = h('select', { 'data-testid': `chat-group-${name}`, title: 'Group' });
  const input = h('input', {
    type: 'text',
    placeholder: `Message as ${name}…`,
    'aria-label': `Message as ${name}`,
    'data-testid': `chat-input-${name}`,
  });
  const send = h('button', {
    type: 'submit',
    class: 'primary',
    text: 'Send',
    'data-testid': `chat-send-${name}`,
  });
  const form = h(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text || !group.value) return;
        act(send, async () => {
          await node(name).post(`/groups/${encodeURIComponent(group.value)}/messages`, { text });
          input.value = '';
        });
      },
    },
    group,
    input,
    send,
  );
  const root = h(
    'article',
    { class: 'chat', 'data-testid': `chat-${name}` },
    h('header', {}, h('span', { class: 'name', text: name }), status),
    messages,
    form,
  );
  card = { root, status, messages, group, input, signature: '' };
  chatCards.set(name, card);
  return card;
}

function renderChats() {
  const root = $('chats');
  const names = clients();
  if (root.children.length !== names.length) root.replaceChildren(...names.map((n) => chatCard(n).root));
  for (const name of names) updateChat(name);
}

function updateChat(name) {
  const card = chatCard(name);
  const s = view.state[name];
  const online = s?.registration?.state === 'online';
  card.status.replaceChildren(badge(online ? 'online' : 'offline', online ? 'online' : 'offline'));
  const groups = (s?.groups ?? []).filter((g) => !g.left);
  const options = groups.map((g) => g.key);
  if ([...card.group.options].map((o) => o.value).join() !== options.join()) {
    const keep = card.group.value;
    card.group.replaceChildren(
      ...groups.map((g) => h('option', { value: g.key, text: g.subject ?? short(g.key) })),
    );
    const team = groups.find((g) => groupName(g.key) === view.lab.groups[0]?.name);
    card.group.value = options.includes(keep) ? keep : (team?.key ?? options[0] ?? '');
  }
  card.group.hidden = groups.length < 2;

  const chat = view.chats[name] ?? { messages: [], sent: [] };
  const signature = JSON.stringify(chat);
  if (signature === card.signature) return;
  card.signature = signature;
  const multi = groups.length > 1;
  const items = [
    ...chat.messages.map((m) => ({ at: m.receivedAt, mine: false, m })),
    ...chat.sent.map((m) => ({ at: m.sentAt, mine: true, m })),
  ]
    .filter((item) => item.at >= view.since.time)
    .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
  const atBottom = card.messages.scrollTop + card.messages.clientHeight >= card.messages.scrollHeight - 8;
  card.messages.replaceChildren(
    ...(items.length === 0 ? [h('div', { class: 'empty', text: 'no messages yet' })] : []),
    ...items.map(({ mine, m }) => (mine ? sentBubble(m, multi) : receivedBubble(name, m, multi))),
  );
  if (atBottom) card.messages.scrollTop = card.messages.scrollHeight;
}

function receivedBubble(name, m, multi) {
  const status = [];
  status.push(
    badge(
      m.arrivedOn === 'deferred' ? 'deferred session' : 'live session',
      m.arrivedOn === 'deferred' ? 'deferred' : 'active',
    ),
  );
  if (m.notified?.delivery) status.push(h('span', { class: 'ok', text: '✓ delivery IMDN sent' }));
  if (m.notified?.display) status.push(h('span', { class: 'ok', text: '✓ display IMDN sent' }));
  else if ((m.requested ?? []).includes('display')) {
    const read = h('button', {
      type: 'button',
      text: 'mark read',
      title: 'Send the display notification (RFC 5438)',
      onclick: () =>
        act(read, () =>
          node(name).post(
            `/groups/${encodeURIComponent(m.groupKey)}/messages/${encodeURIComponent(m.messageId)}/displayed`,
          ),
        ),
    });
    status.push(read);
  }
  return h(
    'div',
    { class: 'bubble', 'data-testid': 'received' },
    h('div', { class: 'who', text: `${userOf(m.from)}${multi ? ` · ${groupName(m.groupKey)}` : ''}` }),
    h('div', { class: 'text', text: m.text ?? `(${m.contentType})` }),
    h('div', { class: 'status' }, status),
  );
}

function sentBubble(m, multi) {
  const status = Object.entries(m.recipients ?? {}).map(([uri, r]) => {
    const marks = [
      r.delivery ? `${r.delivery === 'delivered' ? '✓' : '✗'} ${r.delivery}` : '',
      r.display ? `✓ ${r.display}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return h('span', { class: r.delivery === 'delivered' ? 'ok' : '', text: `${userOf(uri)} ${marks}` });
  });
  if (status.length === 0) status.push(h('span', { text: 'sent · no notification yet' }));
  return h(
    'div',
    { class: 'bubble mine', 'data-testid': 'sent' },
    h('div', { class: 'who', text: `me${multi ? ` · ${groupName(m.groupKey)}` : ''}` }),
    h('div', { class: 'text', text: m.text }),
    h('div', { class: 'status' }, status),
  );
}

// ---------------------------------------------------------------- refresh

let refreshTimer;
let refreshing = false;
let refreshAgain = false;

function scheduleRefresh(delay = 120) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, delay);
}

async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    view.state = (await get('/state')).nodes;
    await Promise.all(
      clients().map(async (name) => {
        if (view.state[name]?.error) return;
        const [messages, sent] = await Promise.all([node(name).get('/messages'), node(name).get('/sent')]);
        view.chats[name] = { messages, sent };
      }),
    );
    renderNetwork();
    renderClients();
    renderGroups();
    renderChats();
    updateFilterOptions();
  } catch (err) {
    toast(`cannot read the lab's state: ${err.message}`);
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      scheduleRefresh(0);
    }
  }
}

// ---------------------------------------------------------------- ladder

const ladder = new Ladder($('ladder'), {
  onSelect: showRaw,
  follow: () => $('follow').checked,
});

function showRaw(hop) {
  ladder.select(hop.index);
  $('raw-title').textContent =
    `#${hop.index} ${hop.from} → ${hop.to} · ${hop.description} · ${hop.transport.toUpperCase()}`;
  const cut = hop.rawLength > hop.text.length ? `\n… (${hop.rawLength} bytes on the wire, cut)` : '';
  $('raw-text').textContent = hop.text + cut;
  const dialog = $('raw');
  if (!dialog.open) dialog.showModal();
}

function isNoise(hop) {
  const label = hop.label;
  if (label === 'CRLF ping' || label === 'CRLF pong') return true;
  if (!$('show-register').checked && (label === 'REGISTER' || label.endsWith('(REGISTER)'))) return true;
  if (!$('show-trying').checked && label.startsWith('100 ')) return true;
  if (
    !$('show-subscribe').checked &&
    ['SUBSCRIBE', 'NOTIFY'].some((m) => label === m || label.endsWith(`(${m})`))
  )
    return true;
  return false;
}

function filteredHops() {
  const filter = $('ladder-filter').value;
  let keep = () => true;
  if (filter.startsWith('group:')) {
    const id = filter.slice(6);
    keep = (hop) => hop.conversations.includes(id);
  } else if (filter.startsWith('call:')) {
    const id = filter.slice(5);
    const sessions = new Set(view.hops.filter((x) => x.callId === id).flatMap((x) => x.msrpSessionIds));
    keep = (hop) =>
      hop.callId === id || (hop.protocol === 'msrp' && hop.msrpSessionIds.some((s) => sessions.has(s)));
  }
  return view.hops.slice(view.since.hop).filter((hop) => keep(hop) && !isNoise(hop));
}

function renderLadder() {
  const hops = filteredHops();
  ladder.setHops(hops);
  $('hop-count').textContent = `${hops.length} of ${view.hops.length - view.since.hop} messages`;
}

function updateFilterOptions() {
  const select = $('ladder-filter');
  const options = [['all', 'all traffic']];
  for (const g of view.state.pf?.groups ?? []) options.push([`group:${g.conversationId}`, `group ${g.id}`]);
  const calls = new Map();
  for (const hop of view.hops) {
    if (hop.callId === undefined || calls.has(hop.callId)) continue;
    if (!/^[A-Z]+$/.test(hop.label) || hop.label === 'REGISTER') continue;
    const cid = hop.conversations[0];
    calls.set(
      hop.callId,
      `call ${hop.description} ${hop.from}→${hop.to}${cid ? ` · ${groupName(cid)}` : ''} · ${hop.callId.slice(0, 6)}`,
    );
  }
  for (const [id, text] of calls) options.push([`call:${id}`, text]);
  const have = [...select.options].map((o) => `${o.value}\u0000${o.text}`).join('\u0001');
  const want = options.map(([v, t]) => `${v}\u0000${t}`).join('\u0001');
  if (have === want) return;
  const keep = select.value;
  select.replaceChildren(...options.map(([value, text]) => h('option', { value, text })));
  select.value = options.some(([v]) => v === keep) ? keep : 'all';
}

for (const id of ['ladder-filter', 'show-register', 'show-trying', 'show-subscribe']) {
  $(id).addEventListener('change', renderLadder);
}

// ---------------------------------------------------------------- clauses

function renderClauses() {
  const lit = view.clauses.filter((c) => view.lights.get(c.id)?.lit).length;
  $('clause-count').textContent = `${lit}/${view.clauses.length} lit`;
  $('clauses').replaceChildren(
    ...view.clauses.map((c) => {
      const light = view.lights.get(c.id);
      const classes = ['clause', light?.lit ? 'lit' : '', view.selectedClause === c.id ? 'selected' : ''];
      return h(
        'li',
        {
          class: classes.join(' '),
          'data-testid': `clause-${c.id}`,
          'data-lit': light?.lit ? 'true' : 'false',
          title: c.heuristic,
          tabindex: 0,
          onclick: () => selectClause(c.id),
          onkeydown: (event) => {
            if (event.key === 'Enter') selectClause(c.id);
          },
        },
        h('span', { class: 'lamp', 'aria-label': light?.lit ? 'lit' : 'not yet' }),
        h('span', { class: 'id', text: c.id }),
        h('span', { text: c.text }),
      );
    }),
  );
}

function selectClause(id) {
  view.selectedClause = view.selectedClause === id ? undefined : id;
  const evidence = view.selectedClause ? (view.lights.get(id)?.evidence ?? []) : [];
  if (evidence.length && $('ladder-filter').value !== 'all') {
    $('ladder-filter').value = 'all';
    renderLadder();
  }
  ladder.mark(evidence);
  renderClauses();
}

async function loadClauses() {
  const { clauses } = await get('/console/clauses');
  view.clauses = clauses;
  $('heuristics').replaceChildren(
    ...clauses.flatMap((c) => [h('dt', { text: c.id }), h('dd', { text: c.heuristic })]),
  );
  renderClauses();
}

// ---------------------------------------------------------------- live feed

function connectLive() {
  const live = $('live');
  const source = new EventSource('/live');
  source.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'live up';
  });
  source.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'live down';
  });
  source.addEventListener('hops', (event) => {
    const { from, hops, total } = JSON.parse(event.data);
    view.hops = view.hops.slice(0, from).concat(hops).slice(0, total);
    renderLadder();
    updateFilterOptions();
  });
  source.addEventListener('node', () => scheduleRefresh());
  source.addEventListener('scenario', (event) => {
    const { name, text } = JSON.parse(event.data);
    if (!runner.busy) return;
    $('scenario-status').textContent = `${name}: ${text}`;
    scheduleRefresh();
  });
  source.addEventListener('summary', (event) => {
    const { clauses } = JSON.parse(event.data);
    view.lights = new Map(clauses.map((c) => [c.id, c]));
    renderClauses();
  });
}

// ---------------------------------------------------------------- scenarios, reset, large type

const runner = new Runner({
  hops: () => view.hops,
  onStatus: ({ state, text }) => {
    const status = $('scenario-status');
    status.textContent = text;
    status.className = `scenario-status ${state}`;
    $('scenario-next').disabled = state === 'running';
    $('scenario-auto').textContent = runner.auto ? 'Stop ■' : 'Auto ▶▶';
    scheduleRefresh(0);
  },
});

async function setupScenarios() {
  const local = scripts(view.lab);
  const remote = await remoteScenarios();
  const all = [...local, ...remote];
  const select = $('scenario');
  select.replaceChildren(
    h(
      'optgroup',
      { label: 'Step by step (group ' + (view.lab.groups[0]?.name ?? '?') + ')' },
      ...local.map((s) => h('option', { value: s.name, text: s.title })),
    ),
    ...(remote.length
      ? [
          h(
            'optgroup',
            { label: 'Lab scenarios (own group, with checks)' },
            ...remote.map((s) => h('option', { value: s.name, text: `${s.name}: ${s.title}` })),
          ),
        ]
      : []),
  );
  const pick = () => runner.select(all.find((s) => s.name === select.value));
  select.addEventListener('change', pick);
  pick();
  $('scenario-next').addEventListener('click', () => runner.step());
  $('scenario-auto').addEventListener('click', () => {
    const label = () => {
      $('scenario-auto').textContent = runner.auto ? 'Stop ■' : 'Auto ▶▶';
    };
    if (runner.auto) runner.stop();
    else runner.runAuto().finally(label);
    label();
  });
}

$('reset').addEventListener('click', (event) =>
  act(event.currentTarget, async () => {
    await resetLab(view.lab);
    // The console starts afresh: chats and the ladder show what happens from now on.
    view.since = { time: new Date().toISOString(), hop: view.hops.length };
    for (const card of chatCards.values()) card.signature = undefined;
    renderLadder();
    scheduleRefresh(0);
  }),
);

function setLarge(on) {
  document.documentElement.classList.toggle('large', on);
  $('large').setAttribute('aria-pressed', String(on));
  try {
    localStorage.setItem('cpm-lab-large', on ? '1' : '0');
  } catch {
    // storage may be disabled: the toggle still works for this page
  }
  ladder.render();
}
$('large').addEventListener('click', () => setLarge(!document.documentElement.classList.contains('large')));

// ---------------------------------------------------------------- start

async function start() {
  let stored = null;
  try {
    stored = localStorage.getItem('cpm-lab-large');
  } catch {
    // no storage: default size
  }
  if (stored === '1' || new URLSearchParams(location.search).has('large')) setLarge(true);
  const topology = await get('/topology');
  view.lab = {
    nodes: topology.nodes,
    peers: topology.peers ?? [],
    groups: topology.lab?.groups ?? [],
    domain: topology.lab?.domain ?? '',
  };
  const order = [
    ...clients(),
    ...[...topology.nodes, ...(topology.peers ?? [])].filter((n) => n.role === 'cscf').map((n) => n.name),
    ...topology.nodes.filter((n) => n.role === 'pf').map((n) => n.name),
  ];
  ladder.setColumns(order);
  await Promise.all([loadClauses(), refresh(), setupScenarios()]);
  connectLive();
  // Node events drive refreshes; this slow poll catches what has no event (CSCF bindings expiring).
  setInterval(() => scheduleRefresh(0), 3000);
  document.body.dataset.ready = 'true';
}

start().catch((err) => toast(`console failed to start: ${err.message}`));
