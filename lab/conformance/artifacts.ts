// The machine-readable and diagram artefacts of a report: trace.json (the merged hops, raw bytes in
// base64), Mermaid files (one per scenario and one per flow of it), and the tshark decode-as arguments of
// each scenario's pcap.
import { type Hop, splitFlows, toMermaid, tsharkDecodeAsArgs } from '../trace/index.js';
import { describeMessage } from '../trace/index.js';
import type { ConformanceReport } from './report.js';

export interface HopJson {
  index: number;
  protocol: Hop['protocol'];
  transport: Hop['transport'];
  from: string;
  to: string;
  src: Hop['src'];
  dst: Hop['dst'];
  time: number;
  sentAt?: number;
  receivedAt?: number;
  seenBy: Hop['seenBy'];
  startLine: string;
  label: string;
  description: string;
  callId?: string;
  msrpTransactionId?: string;
  rawLength: number;
  /** The bytes, base64. */
  raw: string;
  /** The trace records merged into the hop: node and record id. */
  records: { out?: { node: string; id: number }; in?: { node: string; id: number } };
}

export function hopToJson(hop: Hop): HopJson {
  const json: HopJson = {
    index: hop.index,
    protocol: hop.protocol,
    transport: hop.transport,
    from: hop.from,
    to: hop.to,
    src: { ...hop.src },
    dst: { ...hop.dst },
    time: hop.time,
    seenBy: hop.seenBy,
    startLine: hop.startLine,
    label: hop.label,
    description: describeMessage(hop),
    rawLength: hop.rawLength,
    raw: hop.raw.toString('base64'),
    records: {},
  };
  if (hop.sentAt !== undefined) json.sentAt = hop.sentAt;
  if (hop.receivedAt !== undefined) json.receivedAt = hop.receivedAt;
  if (hop.callId !== undefined) json.callId = hop.callId;
  if (hop.msrpTransactionId !== undefined) json.msrpTransactionId = hop.msrpTransactionId;
  if (hop.out) json.records.out = { node: hop.out.node, id: hop.out.id };
  if (hop.in) json.records.in = { node: hop.in.node, id: hop.in.id };
  return json;
}

/** trace.json: per scenario its merged hops, in timeline order. */
export function renderTraceJson(report: ConformanceReport): string {
  return `${JSON.stringify(
    {
      startedAt: report.startedAt,
      labUrl: report.labUrl,
      scenarios: report.scenarios.map((s) => ({ name: s.name, title: s.title, hops: s.hops.map(hopToJson) })),
    },
    null,
    2,
  )}\n`;
}

/** A file name part made of `[a-z0-9._-]` only. */
export function fileSlug(name: string, max = 60): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return slug === '' ? 'unnamed' : slug;
}

export interface NamedFile {
  /** Path relative to the report directory, `/`-separated. */
  path: string;
  content: string;
}

/**
 * `mermaid/<scenario>.mmd` with the whole scenario, and when it has more than one flow (splitFlows)
 * `mermaid/<scenario>.flow-<n>.mmd` per flow.
 */
export function mermaidFiles(report: ConformanceReport): NamedFile[] {
  const files: NamedFile[] = [];
  for (const result of report.scenarios) {
    if (result.hops.length === 0) continue;
    const base = fileSlug(result.name);
    files.push({
      path: `mermaid/${base}.mmd`,
      content: toMermaid(result.hops, { title: `${result.name}: ${result.title}`, autonumber: false }),
    });
    const flows = splitFlows(result.hops);
    if (flows.length < 2) continue;
    flows.forEach((flow, i) => {
      files.push({
        path: `mermaid/${base}.flow-${i + 1}.mmd`,
        content: toMermaid(flow.hops, { title: `${result.name} flow ${i + 1}: ${flow.key}` }),
      });
    });
  }
  return files;
}

/** `pcap/<scenario>.pcap` for each scenario with messages. */
export function pcapPath(name: string): string {
  return `pcap/${fileSlug(name)}.pcap`;
}

/**
 * decode-as.txt: one ready-to-run tshark command per pcap, with the decode-as arguments that make SIP
 * and MSRP decode whatever ports the lab used (lab/trace/decode-as.ts).
 */
export function renderDecodeAs(report: ConformanceReport): string {
  const lines = [
    '# tshark commands for the pcaps of this report: the -d (decode-as) arguments name the ports the SIP and',
    '# MSRP peers listened on, so Wireshark decodes both whatever its heuristics and the ports were.',
    '# Wireshark: Analyze > Decode As... with the same table, port and protocol.',
    '',
  ];
  for (const result of report.scenarios) {
    if (result.hops.length === 0) continue;
    lines.push(
      `tshark -r ${pcapPath(result.name)} -Y 'sip || msrp' ${tsharkDecodeAsArgs(result.hops).join(' ')}`.trimEnd(),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The decode-as arguments of one pcap, read back from decode-as.txt (for scripts and tests). */
export function decodeAsArgsFor(decodeAsText: string, pcap: string): string[] | undefined {
  const prefix = `tshark -r ${pcap} -Y 'sip || msrp'`;
  const line = decodeAsText.split('\n').find((l) => l === prefix || l.startsWith(`${prefix} `));
  return line === undefined ? undefined : line.slice(prefix.length).split(' ').filter(Boolean);
}
