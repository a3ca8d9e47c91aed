// The scenario file format's JSON Schema (draft 2020-12): the one definition the loader validates against and
// the file published as docs/scenario.schema.json for editors (completion, validation). A test keeps the two
// identical. Reference and tutorial: docs/scenarios.md.
import { CLAUSE_IDS } from '../../../protocol/cpm/index.js';

const role = { type: 'string', pattern: '^[a-z][a-z0-9._-]{0,31}$', description: 'a role of this scenario' };
const groupName = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{0,23}$',
  description: 'a group of this scenario',
};
const seconds = { type: 'number', exclusiveMinimum: 0, maximum: 600, description: 'seconds' };
const userOrShort = (description: string) => ({
  description,
  oneOf: [
    role,
    {
      type: 'object',
      additionalProperties: false,
      required: ['user'],
      properties: { user: role, mode: { enum: ['deregister', 'drop'] } },
    },
  ],
});

/** A membership change the PF makes through its control API: `{group, user}`. */
function memberChange(description: string) {
  return {
    description,
    type: 'object',
    additionalProperties: false,
    required: ['group', 'user'],
    properties: { group: groupName, user: role },
  } as const;
}

/** The step actions: each step is an object with exactly one of these keys. */
export const STEP_SCHEMAS = {
  online: { ...role, description: "the user's client registers (REGISTER)" },
  offline: userOrShort(
    'the user goes offline: `alice` (de-registration, REGISTER Expires: 0) or `{user: alice, mode: drop}` (the flow is dropped, no de-registration: "loses coverage")',
  ),
  send: {
    description:
      'the user types text in the group: one message per `text`, each of `texts`, or each non-empty line of `file`',
    type: 'object',
    additionalProperties: false,
    required: ['user', 'group'],
    properties: {
      user: role,
      group: groupName,
      text: { type: 'string', minLength: 1, maxLength: 4096 },
      texts: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 4096 } },
      file: {
        type: 'string',
        minLength: 1,
        description: "a text file, relative to the scenario file's directory",
      },
    },
    oneOf: [{ required: ['text'] }, { required: ['texts'] }, { required: ['file'] }],
  },
  'network-deregister': {
    ...role,
    description:
      "the network ends the user's registration (the lab CSCF's control API; declare `requires: [cscf-control]`)",
  },
  policy: {
    description: "the user's answer to deferred invitations, for one group or for all",
    type: 'object',
    additionalProperties: false,
    required: ['user', 'policy'],
    properties: { user: role, policy: { enum: ['accept', 'decline', 'later'] }, group: groupName },
  },
  'end-session': { ...groupName, description: 'the PF ends the group session (BYE to everyone connected)' },
  'add-member': memberChange('the PF adds the user to the group'),
  'remove-member': memberChange('the PF removes the user from the group'),
  wait: {
    description: 'wait until a condition holds, at most `timeout` seconds (default 15)',
    type: 'object',
    additionalProperties: false,
    required: ['for'],
    properties: {
      for: {
        enum: [
          'stored',
          'received',
          'sent',
          'delivered',
          'connected',
          'removed',
          'offline',
          'delivery',
          'notification',
          'answered',
        ],
        description:
          "stored: the PF holds `count` messages for `user`; received: `user` has each of `texts`; sent: the PF acknowledged each of `user`'s `texts`; delivered: nothing pending or in flight for `user`; connected: `users` are in the active session; removed: `user` is no longer a member; offline: the PF no longer counts `user` online; delivery: the PF's delivery to `user` has `status`; notification: `user` has a delivery notification from `from`; answered: the PF's invitation to `user` in `group` has a final response on the wire",
      },
      status: { type: 'string', description: 'delivery: the status (e.g. stopped-481)' },
      from: role,
      user: role,
      users: { type: 'array', minItems: 1, items: role },
      group: groupName,
      count: { type: 'integer', minimum: 1 },
      texts: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      timeout: seconds,
    },
  },
  observe: {
    ...seconds,
    description: 'let the network settle for this many seconds (for absence checks: "nothing was sent")',
  },
  check: {
    $ref: '#/$defs/check',
    description:
      'judge a check now, between steps (the checks under `checks` are judged after the last step)',
  },
  parallel: {
    description: 'run these steps at the same time; the step ends when all have',
    type: 'array',
    minItems: 2,
    items: { $ref: '#/$defs/step' },
  },
} as const;

const match = {
  type: 'object',
  description: 'which SIP requests: every field given must hold',
  additionalProperties: false,
  required: ['method'],
  properties: {
    method: { type: 'string', pattern: '^[A-Z]+$' },
    from: { type: 'string', description: 'the sending node: a role, `pf` or `cscf`' },
    to: { type: 'string', description: 'the receiving node: a role, `pf` or `cscf`' },
    uri: {
      type: 'string',
      description: "the Request-URI: `conference` (the group's), `factory`, or a role (that user's AoR)",
    },
    group: {
      ...groupName,
      description: "only this group's messages (its Conversation-ID and conference URI)",
    },
    initial: { type: 'boolean', description: 'true: outside a dialog (no To tag)' },
    headers: {
      type: 'object',
      description:
        "header name → a regular expression its value must match (case-insensitive; `{alice}` stands for the user playing that role, `{g.conversation-id}`, `{g.contribution-id}`, `{g.conference-uri}` for group g's)",
      additionalProperties: { type: 'string' },
    },
    body: { type: 'string', description: 'a regular expression the body (as text) must match' },
    after: {
      type: 'string',
      description: 'only requests after the message a check `id` or `messages` named',
    },
    'same-dialog-as': { type: 'string', description: 'the Call-ID of the message a check `id` named' },
  },
};

const requestAssertions = {
  headers: {
    type: 'object',
    description: 'header name → a regular expression its value must match (case-insensitive); `null`: absent',
    additionalProperties: { type: ['string', 'null'] },
  },
  sdp: { enum: ['sendonly', 'recvonly', 'sendrecv', 'inactive'], description: 'the SDP direction attribute' },
  service: {
    enum: ['deferred', 'session'],
    description: 'the CPM service (Accept-Contact / P-Asserted-Service)',
  },
  'accept-contact': {
    type: 'array',
    items: { enum: ['require', 'explicit'] },
    description: 'flags the Accept-Contact naming the ICSI carries (RFC 3841)',
  },
  'content-type': { type: 'string', description: 'the body media type (prefix)' },
};

const count = {
  description: 'how many match: a number, or `{min, max}`',
  oneOf: [
    { type: 'integer', minimum: 0 },
    {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { min: { type: 'integer', minimum: 0 }, max: { type: 'integer', minimum: 0 } },
    },
  ],
};

const order = {
  after: { type: 'string', description: 'the first match comes after the message a check `id` named' },
  before: { type: 'string', description: 'the first match comes before the message a check `id` named' },
};

const checkBase = {
  clause: { enum: [...CLAUSE_IDS], description: 'the clause this check proves (docs/clauses.md)' },
  description: { type: 'string', minLength: 1, description: 'what is checked, in one line' },
  id: {
    type: 'string',
    pattern: '^[a-z][a-z0-9-]*$',
    description: 'names the matched message for later checks',
  },
};

/** The check kinds: `kind` picks one; each has its own fields. */
export const CHECK_SCHEMAS = {
  request: {
    description:
      'SIP requests on the wire: present (default), `absent`, or exactly `count`; the first match meets the assertions',
    properties: {
      match,
      absent: { type: 'boolean' },
      count,
      each: { type: 'boolean', description: 'the assertions hold for every match (default: the first)' },
      'request-uri': {
        type: 'string',
        description: "assertion: the Request-URI is this role's AoR (or `conference`, `factory`)",
      },
      ...requestAssertions,
      ...order,
    },
    required: ['match'],
  },
  response: {
    description:
      'the final response to the first request `match` finds, sent by `from` (default: its receiver)',
    properties: {
      match,
      from: { type: 'string' },
      status: { type: 'integer', minimum: 200, maximum: 699 },
      sdp: requestAssertions.sdp,
      headers: requestAssertions.headers,
      service: { ...requestAssertions.service, description: "the request's CPM service" },
      'offer-sdp': { ...requestAssertions.sdp, description: "the request's SDP direction" },
      ...order,
    },
    required: ['match'],
  },
  msrp: {
    description:
      'MSRP SENDs with a body from `from` to `to` (in `group`), narrowed by the filters; `after`/`before` hold for every one',
    properties: {
      from: { type: 'string' },
      to: { type: 'string' },
      group: groupName,
      'first-content-type': { type: 'string', description: 'the first SEND is of this media type (prefix)' },
      texts: {
        type: 'array',
        items: { type: 'string' },
        description: 'the text/plain contents of the CPIM SENDs, exactly and in this order',
      },
      'no-content-type': {
        type: 'string',
        description: 'no SEND (nor CPIM content) of this media type (substring)',
      },
      text: { type: 'string', description: 'only the SENDs whose CPIM text is this' },
      'with-content-type': {
        type: 'string',
        description: 'only the SENDs of this media type, or CPIM content of it (substring)',
      },
      bindings: {
        type: 'boolean',
        description: 'only the empty SENDs that bind a connection (RFC 4975 §5.4)',
      },
      'same-imdn-id-as': {
        type: 'string',
        description: 'only the SENDs whose CPIM imdn.Message-ID is that of the message a check `id` named',
      },
      absent: { type: 'boolean' },
      count,
      ...order,
    },
  },
  'group-state': {
    description:
      'the first group state object (application/group-state-object+xml) the PF sends `to` a user in `group` (OMA CPM 7.3.11 D1.vii)',
    properties: {
      to: role,
      group: groupName,
      lists: { type: 'array', items: role, description: 'the object lists exactly these participants' },
      'client-follows': {
        type: 'boolean',
        description: "the user's client lists the same participants as the object",
      },
      'rejoin-target': {
        type: 'boolean',
        description: "the user's client takes the object's lastfocussessionid as its re-join target",
      },
    },
    required: ['to', 'group'],
  },
  state: {
    description: 'what a node reports through its control API, read after the steps',
    properties: {
      of: { enum: ['pf-member', 'pf-pending', 'pf-delivery', 'client-group', 'received', 'notification'] },
      from: { ...role, description: 'notification: from this role' },
      user: role,
      group: groupName,
      member: { type: 'boolean', description: 'pf-member: whether `user` is a member of `group`' },
      pending: { type: 'integer', minimum: 0, description: 'pf-pending: messages stored for `user`' },
      delivery: { type: 'string', description: 'pf-delivery: the delivery status (e.g. stopped-481)' },
      left: { type: 'boolean', description: 'client-group: the user left the group' },
      participants: {
        type: 'array',
        items: role,
        description: "client-group: these roles are in the user's list",
      },
      'arrived-on': {
        enum: ['deferred', 'active'],
        description: 'received: every message arrived on a deferred session, or on the active group session',
      },
      texts: { type: 'array', items: { type: 'string' }, description: 'received: these texts were received' },
    },
    required: ['of', 'user', 'group'],
  },
} as const;

function checkSchema(kind: keyof typeof CHECK_SCHEMAS) {
  const spec = CHECK_SCHEMAS[kind];
  return {
    type: 'object',
    description: spec.description,
    additionalProperties: false,
    required: ['kind', 'description', ...('required' in spec ? spec.required : [])],
    properties: { kind: { const: kind }, ...checkBase, ...spec.properties },
  };
}

export const SCENARIO_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'CPM Lab scenario',
  description: 'A flow the lab drives and the checks it judges on the wire (docs/scenarios.md)',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'title', 'steps', 'checks'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,47}$', description: 'the name `cpm-lab run` shows' },
    title: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    clauses: {
      type: 'array',
      items: { enum: [...CLAUSE_IDS] },
      description: 'the clauses it is meant to prove (default: those its checks name)',
    },
    requires: {
      type: 'array',
      items: { enum: ['cscf-control'] },
      description:
        "cscf-control: the lab's own CSCF (faults the network injects); without it: not applicable",
    },
    roles: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: {
        oneOf: [
          role,
          {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'create'],
            properties: {
              name: role,
              create: {
                const: true,
                description:
                  'a client created for the run (a fresh user), removed after it (labs that can: embedded)',
              },
            },
          },
        ],
      },
      description:
        "the roles: cast in order onto the lab's clients, or `{name: dave, create: true}` for a client created for the run (default alice, bob, carol)",
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'members'],
        properties: {
          name: groupName,
          members: { type: 'array', minItems: 1, items: role, description: 'the first is the creator' },
          'known-by': {
            type: 'array',
            items: role,
            description: 'the members whose clients know it (default all)',
          },
        },
      },
      description:
        'groups created fresh for each run (new IDs), every member online with policy accept first',
    },
    messages: {
      type: 'object',
      description:
        'named messages the checks refer to (`after`, `before`, `same-dialog-as`, `same-imdn-id-as`) without reporting them',
      propertyNames: { pattern: '^[a-z][a-z0-9-]*$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['match'],
        properties: {
          match,
          pick: { enum: ['first', 'last'], description: 'which of the matching requests (default first)' },
          response: {
            type: 'object',
            additionalProperties: false,
            properties: { from: { type: 'string' } },
            description: 'the final response to that request (sent by `from`, default its receiver) instead',
          },
        },
      },
    },
    steps: { type: 'array', minItems: 1, items: { $ref: '#/$defs/step' } },
    checks: { type: 'array', minItems: 1, items: { $ref: '#/$defs/check' } },
  },
  $defs: {
    step: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
      properties: STEP_SCHEMAS,
      description: 'one action: exactly one of the keys',
    },
    check: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { enum: Object.keys(CHECK_SCHEMAS) } },
      oneOf: (Object.keys(CHECK_SCHEMAS) as Array<keyof typeof CHECK_SCHEMAS>).map(checkSchema),
    },
  },
} as const;
