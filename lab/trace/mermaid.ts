// Mermaid sequence diagrams (https://mermaid.js.org/syntax/sequenceDiagram.html) of a timeline: SIP as
// solid arrows (`->>`), MSRP as dashed arrows (`-->>`), labels with method/status and short details.

import { describeMessage, messageLabel } from './labels.js';
import type { Hop } from './merge.js';
import { splitFlows } from './group.js';
import { type ParticipantOptions, participantOrder } from './participants.js';

export interface MermaidOptions extends ParticipantOptions {
  /** Diagram title. */
  title?: string;
  /** Show details after the label (default true): `INVITE (cpm.deferred, sendonly)`. */
  details?: boolean;
  /** A note spanning all participants where consecutive hops are this far apart (ms, default 1000). */
  gapMs?: number;
  /** Number the arrows (Mermaid `autonumber`). */
  autonumber?: boolean;
}

export const DEFAULT_GAP_MS = 1000;

// Words the sequence diagram grammar reserves; such a name gets an alias.
const RESERVED = new Set(
  'participant actor as note left right over of end loop alt else opt par and rect critical break box create destroy autonumber activate deactivate title links link properties details'.split(
    ' ',
  ),
);

/** A Mermaid `sequenceDiagram` of these hops, in their order. */
export function toMermaid(hops: readonly Hop[], options: MermaidOptions = {}): string {
  const gapMs = options.gapMs ?? DEFAULT_GAP_MS;
  const names = participantOrder(hops, options);
  const ids = new Map<string, string>();
  const lines = ['sequenceDiagram'];
  if (options.title !== undefined) lines.push(`  title ${escapeMermaid(options.title)}`);
  if (options.autonumber) lines.push('  autonumber');
  names.forEach((name, i) => {
    const plain = /^[A-Za-z][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name.toLowerCase());
    const id = plain ? name : `p${i + 1}`;
    ids.set(name, id);
    lines.push(plain ? `  participant ${id}` : `  participant ${id} as ${escapeMermaid(name)}`);
  });
  const span = names.length > 1 ? `${ids.get(names[0]!)},${ids.get(names.at(-1)!)}` : ids.get(names[0] ?? '');
  let previous: Hop | undefined;
  for (const hop of hops) {
    if (previous && span !== undefined && hop.time - previous.time >= gapMs) {
      lines.push(`  Note over ${span}: ${formatGap(hop.time - previous.time)} later`);
    }
    const arrow = hop.protocol === 'msrp' ? '-->>' : '->>';
    const text = options.details === false ? messageLabel(hop) : describeMessage(hop);
    const mark =
      hop.seenBy === 'both'
        ? ''
        : hop.seenBy === 'sender'
          ? ' [not seen by receiver]'
          : ' [not seen by sender]';
    lines.push(`  ${ids.get(hop.from)}${arrow}${ids.get(hop.to)}: ${escapeMermaid(text + mark)}`);
    previous = hop;
  }
  return `${lines.join('\n')}\n`;
}

/** One diagram per flow (splitFlows): keyed by the flow key. */
export function toMermaidPerFlow(
  hops: readonly Hop[],
  options: MermaidOptions = {},
): { key: string; mermaid: string }[] {
  return splitFlows(hops).map((flow) => ({ key: flow.key, mermaid: toMermaid(flow.hops, options) }));
}

/**
 * Text safe in a Mermaid message, note, alias or title: entity codes (`#59;`) for the characters the
 * grammar or the HTML renderer would read (`;` ends a statement, `#` starts an entity code, `<`/`>` are
 * markup); control characters and line breaks become spaces.
 */
export function escapeMermaid(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[#;<>]/g, (c) => `#${c.charCodeAt(0)};`)
    .trim();
}

function formatGap(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
