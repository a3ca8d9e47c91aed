// runtime: what every lab node (CSCF, PF, client daemon, lab runner) shares.

export {
  blob,
  type DatabaseOptions,
  type Migration,
  migrate,
  openSqlite,
  readPragma,
  runTransaction,
  tryAllOrNothing,
  type SqliteDatabase,
  type SynchronousMode,
} from './sqlite.js';
export { acceptsTcp, freePort } from './ports.js';
export { forEachBounded } from './bounded-parallel.js';
export { assertFdsAvailable, type FdBudget, fdBudget } from './fd-limit.js';
export { type SupervisedProcess, spawnSupervised } from './supervised-process.js';
export { logWireMessages } from './wire-log.js';
export { packageCommit, packageRoot, packageVersion } from './package-root.js';
export { StoreError, type StoreErrorCode } from './store-error.js';
export {
  type ApiGuardOptions,
  apiGuard,
  authHeaders,
  guardOptionsFromEnv,
  TOKEN_COOKIE,
} from './api-guard.js';
export {
  ConfigError,
  envBool,
  envHostPort,
  envInt,
  envOptional,
  envPort,
  envString,
  flag,
  formatHostPort,
  parseHostPort,
  parseInteger,
  parsePort,
  type Env,
  type FlagValue,
  type HostPort,
} from './config.js';
export {
  createControlApi,
  describeHttpError,
  type ControlApiOptions,
  type ErrorResponse,
  type HealthResponse,
  type TraceResponse,
} from './control-api.js';
export {
  ListenError,
  startControlServer,
  type ControlServer,
  type ControlServerOptions,
} from './control-server.js';
export { type ControlHost, startControlHost } from './control-host.js';
export { feedEventStream, type EventStreamOptions, type TraceGap } from './event-stream.js';
export { Fanout, type Listener } from './fanout.js';
export {
  DEFAULT_SHUTDOWN_SIGNALS,
  logReady,
  onShutdown,
  type ShutdownOptions,
  type SignalTarget,
} from './lifecycle.js';
export {
  createLogger,
  LOG_LEVELS,
  logLevelFromEnv,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.js';
export { NodeEvents, type NodeEvent } from './node-events.js';
export {
  DEFAULT_SSE_KEEP_ALIVE_MS,
  lastEventId,
  openSseStream,
  SseHub,
  sseHubOf,
  SseStream,
  type SseMessage,
  type SseStreamOptions,
} from './sse.js';
export {
  DEFAULT_TRACE_CAPACITY,
  DEFAULT_TRACE_MAX_BYTES,
  DEFAULT_TRACE_MAX_RAW_BYTES,
  type TraceLimits,
  traceLimits,
  DEFAULT_TRACE_QUERY_LIMIT,
  TraceRecorder,
  traceRecordFromJson,
  traceRecordToJson,
  type TracePage,
  type TraceQuery,
  type TraceRecord,
  type TraceRecordJson,
  type TraceRecorderOptions,
} from './trace-recorder.js';
export {
  HttpError,
  optionalBoolean,
  optionalInt,
  optionalString,
  queryInt,
  requireBoolean,
  requireInt,
  requireObject,
  requireString,
  requireStringArray,
  requireText,
  checkParam,
  MAX_FIELD_LENGTH,
  ValidationError,
  type IntRange,
  type JsonObject,
} from './validate.js';
export { MAX_HEADER_SCAN, MAX_START_LINE, summarizeWire, type WireSummary } from './wire-summary.js';
export {
  DEFAULT_SSE_MAX_EVENT_BYTES,
  readSse,
  type SseComment,
  type SseEvent,
  type SseItem,
  SseParser,
  SseProtocolError,
} from './sse-parser.js';
export { fetchFailureCause } from './fetch-failure.js';
