// User verbs for demos and scripts, driving a running client daemon through its control API:
//   cpm-lab say alice team "hello"        cpm-lab offline alice [--drop]      cpm-lab online alice
//   cpm-lab policy alice later [--group team]                                  cpm-lab inbox alice [--json]
// The daemon's address: --client-url <url> (CPM_LAB_CLIENT_URL), else the lab API's GET /topology
// (--lab <url>, CPM_LAB_URL, default http://127.0.0.1:8080). Groups by subject ("team") or Conversation-ID.
import type { Command } from 'commander';
import {
  ClientControl,
  type ControlTarget,
  type ReceivedMessage,
  type ReceivedNotification,
  type RegistrationStatus,
  type SentMessage,
} from '../../client/index.js';

export const DEFAULT_LAB_URL = 'http://127.0.0.1:8080';

export interface TargetFlags {
  clientUrl?: string;
  lab?: string;
}

export function targetOf(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): ControlTarget {
  const clientUrl = flags.clientUrl ?? env['CPM_LAB_CLIENT_URL'];
  if (clientUrl) return { clientUrl };
  return { lab: flags.lab ?? env['CPM_LAB_URL'] ?? DEFAULT_LAB_URL };
}

function describeRegistration(user: string, r: RegistrationStatus): string {
  switch (r.state) {
    case 'online':
      return `${user} is online (registered for ${r.expires} s)`;
    case 'offline':
      return `${user} is offline (${r.reason})`;
    case 'registering':
      return `${user} is registering`;
    case 'failed':
      return `${user}: registration failed${r.status !== undefined ? ` (SIP ${r.status})` : ''}: ${r.reason}`;
  }
}

export async function sayVerb(
  user: string,
  group: string,
  text: string,
  target: ControlTarget,
): Promise<string> {
  const c = await ClientControl.connect(user, target);
  const r = await c.call<{ groupKey: string; messageId: string; queued: boolean }>(
    'POST',
    `/groups/${encodeURIComponent(group)}/messages`,
    { text },
  );
  return r.queued
    ? `${user} → ${group}: queued ${r.messageId} (sent once ${user} is in an active group session)`
    : `${user} → ${group}: sent ${r.messageId}`;
}

export async function onlineVerb(user: string, target: ControlTarget): Promise<string> {
  const c = await ClientControl.connect(user, target);
  const r = await c.call<{ registration: RegistrationStatus }>('POST', '/online');
  return describeRegistration(user, r.registration);
}

export async function offlineVerb(user: string, drop: boolean, target: ControlTarget): Promise<string> {
  const c = await ClientControl.connect(user, target);
  const r = await c.call<{ registration: RegistrationStatus }>('POST', '/offline', {
    mode: drop ? 'drop' : 'deregister',
  });
  return describeRegistration(user, r.registration);
}

export async function policyVerb(
  user: string,
  policy: string,
  group: string | undefined,
  target: ControlTarget,
): Promise<string> {
  const c = await ClientControl.connect(user, target);
  await c.call('PUT', '/policy', group === undefined ? { policy } : { policy, group });
  return `${user}: invitations ${group === undefined ? '' : `for ${group} `}→ ${policy}`;
}

export async function inboxVerb(
  user: string,
  target: ControlTarget,
  options: { group?: string; json?: boolean } = {},
): Promise<string> {
  const c = await ClientControl.connect(user, target);
  const q = options.group === undefined ? '' : `?group=${encodeURIComponent(options.group)}`;
  const [messages, notifications, sent] = await Promise.all([
    c.call<ReceivedMessage[]>('GET', `/messages${q}`),
    c.call<ReceivedNotification[]>('GET', `/notifications${q}`),
    c.call<SentMessage[]>('GET', `/sent${q}`),
  ]);
  if (options.json) return JSON.stringify({ messages, notifications, sent }, null, 2);
  // One timeline, oldest first, each line naming its group (by subject). Times are UTC (RFC 3339), as sent.
  const groups = await c.call<Array<{ key: string; subject?: string }>>('GET', '/groups');
  const groupName = (key: string) => groups.find((g) => g.key === key)?.subject || key.slice(0, 8);
  const entries = [
    ...messages.map((m) => ({
      at: m.dateTime ?? m.receivedAt,
      line: `[${groupName(m.groupKey)}] ${m.fromName ?? m.from}: ${m.text ?? `(${m.contentType})`}  (${m.arrivedOn})`,
    })),
    ...sent.map((s) => {
      const status = Object.entries(s.recipients)
        .map(([who, st]) => `${who} ${st.display ?? st.delivery ?? '?'}`)
        .join(', ');
      return {
        at: s.sentAt,
        line: `[${groupName(s.groupKey)}] me: ${s.text}${status ? `  (${status})` : ''}`,
      };
    }),
  ].sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
  const lines = [
    `${user}: ${messages.length} message(s) received, ${sent.length} sent, ${notifications.length} notification(s); times in UTC`,
    ...entries.map((e) => `  ${e.at}  ${e.line}`),
  ];
  return lines.join('\n');
}

function withTarget(cmd: Command): Command {
  return cmd
    .option('--client-url <url>', "the client daemon's control URL (CPM_LAB_CLIENT_URL)")
    .option(
      '--lab <url>',
      `the lab API, for the node's control URL (CPM_LAB_URL, default ${DEFAULT_LAB_URL})`,
    );
}

async function run(task: () => Promise<string>): Promise<void> {
  try {
    process.stdout.write(`${await task()}\n`);
  } catch (err) {
    process.stderr.write(`cpm-lab: ${(err as Error).message}\n`);
    process.exitCode = 2; // the action could not be carried out (lab unreachable, unknown user or group)
  }
}

export function registerUserVerbs(program: Command): void {
  withTarget(program.command('say <user> <group> <text...>'))
    .description('send a message to a group as <user> (group: subject or Conversation-ID)')
    .action((user: string, group: string, text: string[], flags: TargetFlags) =>
      run(() => sayVerb(user, group, text.join(' '), targetOf(flags))),
    );
  withTarget(program.command('online <user>'))
    .description('register <user> (come back online)')
    .action((user: string, flags: TargetFlags) => run(() => onlineVerb(user, targetOf(flags))));
  withTarget(program.command('offline <user>'))
    .description('take <user> offline: de-register, or --drop the TCP flow like lost coverage')
    .option('--drop', 'close the flow to the CSCF without a word')
    .action((user: string, flags: TargetFlags & { drop?: boolean }) =>
      run(() => offlineVerb(user, flags.drop === true, targetOf(flags))),
    );
  withTarget(program.command('policy <user> <policy>'))
    .description('answer to PF invitations: accept | decline (603, leave) | later (480)')
    .option('--group <group>', 'only for this group')
    .action((user: string, policy: string, flags: TargetFlags & { group?: string }) =>
      run(() => policyVerb(user, policy, flags.group, targetOf(flags))),
    );
  withTarget(program.command('inbox <user>'))
    .description("show <user>'s received messages, notifications and sent messages")
    .option('--group <group>', 'only this group')
    .option('--json', 'machine-readable output')
    .action((user: string, flags: TargetFlags & { group?: string; json?: boolean }) =>
      run(() =>
        inboxVerb(user, targetOf(flags), {
          ...(flags.group !== undefined ? { group: flags.group } : {}),
          ...(flags.json ? { json: true } : {}),
        }),
      ),
    );
}
