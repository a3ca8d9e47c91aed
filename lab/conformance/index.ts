// lab/conformance: the conformance run (every scenario against a lab), its verdict per clause of the CR,
// and the report files (Markdown, HTML with ladders, JUnit XML, trace JSON, Mermaid, pcap + decode-as).
export {
  decodeAsArgsFor,
  fileSlug,
  type HopJson,
  hopToJson,
  mermaidFiles,
  type NamedFile,
  pcapPath,
  renderDecodeAs,
  renderTraceJson,
} from './artifacts.js';
export { CLAUSE_TITLES, clauseHeading } from './clauses.js';
export { type ConformanceOptions, runConformance } from './conformance.js';
export { esc, rawText, renderHtml } from './html.js';
export { renderJunit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export {
  buildReport,
  type ClauseEvidence,
  type ClauseVerdict,
  clauseVerdict,
  type ConformanceReport,
  evidenceHops,
  explainClause,
  hopLine,
  lastHops,
  type PlacedHop,
  type ReportMeta,
  scenarioOf,
  type Verdict,
} from './report.js';
export {
  type ConformanceProgress,
  failedResult,
  type RunScenariosOptions,
  runScenarios,
  type ScenarioRunner,
} from './run.js';
export { progressLine, summaryTable } from './summary.js';
export { reportTextFiles, writeReport } from './write.js';
