// The demo console (architecture.md "Running modes"): a web page served by the lab API that shows the
// topology, the groups, each client's chat, a live SIP + MSRP ladder and the clause checklist, with the
// controls of a live demo.
export { CLAUSES, type ClauseInfo, type ClauseLight, evaluateClauses } from './clauses.js';
export { type ConsoleOptions, mountConsole } from './routes.js';
export { consoleStaticDir, STATIC_SUBDIR } from './static-dir.js';
