// writeReport: every file of a conformance report into one directory.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writePcap } from '../trace/index.js';
import { mermaidFiles, type NamedFile, pcapPath, renderDecodeAs, renderTraceJson } from './artifacts.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { ConformanceReport } from './report.js';

/** The text files of a report (everything but the pcaps), by path relative to the report directory. */
export function reportTextFiles(report: ConformanceReport): NamedFile[] {
  return [
    { path: 'report.md', content: renderMarkdown(report) },
    { path: 'report.html', content: renderHtml(report) },
    { path: 'junit.xml', content: renderJunit(report) },
    { path: 'trace.json', content: renderTraceJson(report) },
    { path: 'decode-as.txt', content: renderDecodeAs(report) },
    ...mermaidFiles(report),
  ];
}

/**
 * Writes report.md, report.html, junit.xml, trace.json, decode-as.txt, mermaid/*.mmd and pcap/*.pcap
 * (one per scenario with messages) into dir (created if needed). Returns the paths written, relative to dir.
 */
export async function writeReport(dir: string, report: ConformanceReport): Promise<string[]> {
  const written: string[] = [];
  await mkdir(dir, { recursive: true });
  for (const file of reportTextFiles(report)) {
    const path = join(dir, ...file.path.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content, 'utf8');
    written.push(file.path);
  }
  for (const result of report.scenarios) {
    if (result.hops.length === 0) continue;
    const rel = pcapPath(result.name);
    const path = join(dir, ...rel.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writePcap(path, result.hops);
    written.push(rel);
  }
  return written;
}
