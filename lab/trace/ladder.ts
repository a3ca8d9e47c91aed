// Plain-text ladder diagram for the terminal: one column per party, time offsets on the left, SIP as
// solid arrows (`──INVITE──▶`, `◀──200 OK──`), MSRP dashed (`- MSRP SEND - ->`), bounded width,
// optional ANSI colour (off by default).

import { describeMessage, messageLabel } from './labels.js';
import type { Hop } from './merge.js';
import { type ParticipantOptions, participantOrder } from './participants.js';

export interface LadderOptions extends ParticipantOptions {
  /** Longest line, in characters (default 100). Columns shrink and labels are cut (…) to fit. */
  width?: number;
  /** ANSI colours: SIP requests cyan, 2xx green, other responses red, MSRP magenta (default false). */
  color?: boolean;
  /** Show details after the label (default true). */
  details?: boolean;
  /** Time 0 of the offsets, ms since the epoch (default: the first hop's time). */
  origin?: number;
  /** Number each row with its hop's index (`#12`), the numbers checks and reports cite (default false). */
  numbers?: boolean;
}

export const DEFAULT_LADDER_WIDTH = 100;
/** `+12.345 ` */
const TIME_WIDTH = 9;
const MIN_SPACING = 8;
const MAX_SPACING = 40;

const ANSI = { cyan: '\x1b[36m', green: '\x1b[32m', red: '\x1b[31m', magenta: '\x1b[35m', reset: '\x1b[0m' };

/** The ladder of these hops, in their order, as lines (no trailing spaces, no trailing newline). */
export function renderLadder(hops: readonly Hop[], options: LadderOptions = {}): string {
  const names = participantOrder(hops, options);
  if (names.length === 0) return '';
  // Left gutter: the message number (optional) and the time in seconds since the first message.
  const numberWidth = options.numbers ? String(Math.max(0, ...hops.map((h) => h.index))).length + 2 : 0;
  const gutter = numberWidth + TIME_WIDTH;
  const width = Math.max(gutter + MIN_SPACING, options.width ?? DEFAULT_LADDER_WIDTH);
  const texts = hops.map((h) => (options.details === false ? messageLabel(h) : describeMessage(h)));
  const wanted = Math.max(12, ...texts.map((t) => t.length + 6), ...names.map((n) => n.length + 2));
  const fit = Math.floor((width - gutter) / names.length);
  const spacing = Math.max(MIN_SPACING, Math.min(wanted, MAX_SPACING, fit));
  const x = names.map((_, i) => gutter + Math.floor((spacing - 1) / 2) + i * spacing);
  const column = new Map(names.map((n, i) => [n, i]));
  const origin = options.origin ?? hops[0]?.time ?? 0;

  const header = blank(x.at(-1)! + spacing);
  names.forEach((name, i) => {
    const shown = cut(name, spacing - 1);
    put(header, x[i]! - Math.floor((shown.length - 1) / 2), shown);
  });
  put(header, 0, options.numbers ? `${'#'.padStart(numberWidth - 1)} time (s)` : 'time (s)');
  const lines = [finish(header)];

  hops.forEach((hop, n) => {
    const row = blank(x.at(-1)! + spacing);
    for (const at of x) row[at] = '│';
    const number = options.numbers ? `#${hop.index}`.padStart(numberWidth - 1) : '';
    put(row, 0, number + `${formatOffset(hop.time - origin)} `.padStart(TIME_WIDTH));
    const a = column.get(hop.from)!;
    const b = column.get(hop.to)!;
    const text = texts[n]!;
    let start: number;
    let arrow: string;
    if (a === b) {
      start = x[a]! + 1;
      arrow = cut(` ⟲ ${text}`, spacing - 1);
    } else {
      start = x[Math.min(a, b)]! + 1;
      arrow = drawArrow(hop.protocol === 'msrp', a < b, text, x[Math.max(a, b)]! - start);
    }
    put(row, start, arrow);
    const line = finish(row);
    lines.push(options.color ? paint(line, start, arrow.length, colourOf(hop)) : line);
  });
  return lines.join('\n');
}

/** An arrow filling `length` cells: SIP `──label───▶` / `◀──label───`, MSRP `- label - ->` / `<- label - -`. */
function drawArrow(msrp: boolean, rightwards: boolean, label: string, length: number): string {
  const lead = msrp ? (rightwards ? '- ' : '<- ') : rightwards ? '──' : '◀──';
  const tail = rightwards ? 1 : 0; // room for the head on the right
  const room = Math.max(0, length - lead.length - tail - 1);
  let text = lead + cut(label, room) + (msrp ? ' ' : '');
  while (text.length < length - tail) text += msrp ? (text.endsWith('-') ? ' ' : '-') : '─';
  text = text.slice(0, length - tail);
  if (rightwards) text += msrp ? '>' : '▶';
  return text;
}

function colourOf(hop: Hop): string {
  if (hop.protocol === 'msrp') return ANSI.magenta;
  const status = /^SIP\/2\.0 (\d)/.exec(hop.startLine)?.[1];
  if (status === undefined) return ANSI.cyan;
  return status === '1' || status === '2' ? ANSI.green : ANSI.red;
}

function paint(line: string, start: number, length: number, colour: string): string {
  const chars = [...line];
  return `${chars.slice(0, start).join('')}${colour}${chars.slice(start, start + length).join('')}${ANSI.reset}${chars.slice(start + length).join('')}`;
}

/** `+1.234` seconds with milliseconds; negative offsets (hops before the origin) keep their sign. */
function formatOffset(ms: number): string {
  const s = (ms / 1000).toFixed(3);
  return ms < 0 ? s : `+${s}`;
}

function blank(length: number): string[] {
  return Array<string>(length).fill(' ');
}

/** Writes text into the row cell by cell (one code point per cell). */
function put(row: string[], at: number, text: string): void {
  let i = at;
  for (const ch of text) {
    if (i >= 0 && i < row.length) row[i] = ch;
    i++;
  }
}

function finish(row: string[]): string {
  return row.join('').trimEnd();
}

function cut(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 0 ? '' : `${chars.slice(0, max - 1).join('')}…`;
}
