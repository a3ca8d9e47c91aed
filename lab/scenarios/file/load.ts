// Loading a scenario file: YAML parsed with source positions, validated against the JSON Schema (schema.ts),
// then the references checked (roles, groups, check ids, wait fields). Every problem is reported at once, each
// with file, line, column and the path of the field (`steps[3].send.user`), before anything runs.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { CHECK_SCHEMAS, SCENARIO_SCHEMA, STEP_SCHEMAS } from './schema.js';
import { type CheckSpec, rolesOf, type ScenarioFile, type StepSpec, type WaitSpec } from './format.js';

export interface ScenarioFileProblem {
  file: string;
  line: number;
  column: number;
  /** The field: `steps[3].send.user`; empty for the document itself. */
  path: string;
  message: string;
}

export class ScenarioFileError extends Error {
  override readonly name = 'ScenarioFileError';
  constructor(readonly problems: ScenarioFileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ScenarioFileProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export interface LoadedScenarioFile {
  file: string;
  spec: ScenarioFile;
}

type PathPart = string | number;

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateDocument = ajv.compile(SCENARIO_SCHEMA);
const stepValidators = new Map<string, ValidateFunction>(
  Object.entries(STEP_SCHEMAS)
    .filter(([name]) => name !== 'parallel' && name !== 'check')
    .map(([name, schema]) => [name, ajv.compile(schema)]),
);
const checkValidators = new Map<string, ValidateFunction>(
  Object.keys(CHECK_SCHEMAS).map((kind) => {
    const def = SCENARIO_SCHEMA.$defs.check.oneOf.find((s) => s.properties.kind.const === kind)!;
    return [kind, ajv.compile(def)];
  }),
);

/** Read, parse and validate a scenario file; throws ScenarioFileError with every problem found. */
export async function loadScenarioFile(path: string): Promise<LoadedScenarioFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScenarioFileError([
      { file: path, line: 1, column: 1, path: '', message: `cannot read: ${(err as Error).message}` },
    ]);
  }
  return parseScenarioFile(text, path);
}

/** Whether a name given on the command line is a scenario file rather than a built-in's name. */
export function isScenarioFilePath(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}

/**
 * Every `*.yaml` / `*.yml` file of a directory, in name order: all of them valid, names unique, or a
 * ScenarioFileError with every problem of every file.
 */
export async function loadScenarioDir(dir: string): Promise<LoadedScenarioFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isScenarioFilePath).sort();
  } catch (err) {
    throw new ScenarioFileError([
      {
        file: dir,
        line: 1,
        column: 1,
        path: '',
        message: `cannot read the directory: ${(err as Error).message}`,
      },
    ]);
  }
  if (names.length === 0) {
    throw new ScenarioFileError([
      { file: dir, line: 1, column: 1, path: '', message: 'no scenario files (*.yaml, *.yml) here' },
    ]);
  }
  const problems: ScenarioFileProblem[] = [];
  const loaded: LoadedScenarioFile[] = [];
  const byName = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    try {
      const one = await loadScenarioFile(file);
      const other = byName.get(one.spec.name);
      if (other !== undefined) {
        problems.push({
          file,
          line: 1,
          column: 1,
          path: 'name',
          message: `"${one.spec.name}" is also the name in ${other}`,
        });
      }
      byName.set(one.spec.name, file);
      loaded.push(one);
    } catch (err) {
      if (!(err instanceof ScenarioFileError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ScenarioFileError(problems);
  return loaded;
}

/** Parse and validate scenario text (`file` names it in problems and resolves `send: {file}` paths). */
export function parseScenarioFile(text: string, file: string): LoadedScenarioFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: ScenarioFileProblem[] = [];
  const at = (offset: number | undefined, path: PathPart[], message: string) => {
    const pos = lines.linePos(offset ?? 0);
    problems.push({ file, line: pos.line, column: pos.col, path: formatPath(path), message });
  };
  for (const error of [...doc.errors, ...doc.warnings])
    at(error.pos[0], [], `YAML: ${error.message.split('\n')[0]}`);
  if (doc.errors.length > 0) throw new ScenarioFileError(problems);
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const nodeAt = (path: PathPart[]): Node | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = path.length === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (node && typeof node === 'object' && 'range' in node) return node as Node;
      if (n === 0) return doc.contents ?? undefined;
    }
    return undefined;
  };
  const report = (path: PathPart[], message: string) => at(nodeAt(path)?.range?.[0], path, message);
  const reportKey = (path: PathPart[], key: string, message: string) => {
    const parent = nodeAt(path);
    const pair = isMap(parent)
      ? parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)
      : undefined;
    const keyNode = pair && isScalar(pair.key) ? pair.key : undefined;
    at((keyNode ?? parent)?.range?.[0], [...path, key], message);
  };
  const fromAjv = (errors: ErrorObject[] | null | undefined, base: PathPart[]) => {
    for (const e of relevant(errors ?? [])) {
      const path = [...base, ...pointerToPath(e.instancePath)];
      if (e.keyword === 'additionalProperties') {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        reportKey(path, key, `unknown field "${key}"`);
      } else if (e.keyword === 'required') {
        report(path, `missing field "${(e.params as { missingProperty: string }).missingProperty}"`);
      } else if (e.keyword === 'enum') {
        report(
          path,
          `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`,
        );
      } else {
        report(path, e.message ?? e.keyword);
      }
    }
  };

  if (!validateDocument(value)) {
    // The document's own fields from the schema; steps and checks one by one below, for precise messages.
    fromAjv(
      (validateDocument.errors ?? []).filter(
        (e) => !/^\/(steps|checks)\/\d+/.test(e.instancePath) && !/^#\/\$defs/.test(e.schemaPath),
      ),
      [],
    );
  }
  const spec = (typeof value === 'object' && value !== null ? value : {}) as Partial<ScenarioFile>;
  const steps = Array.isArray(spec.steps) ? spec.steps : [];
  const checkSteps = (list: unknown[], base: PathPart[]) => {
    list.forEach((step, i) => {
      const path = [...base, i];
      if (typeof step !== 'object' || step === null || Array.isArray(step)) {
        report(path, 'a step is an object with one key, e.g. `online: alice`');
        return;
      }
      const keys = Object.keys(step);
      if (keys.length !== 1) {
        report(path, `a step has exactly one action (found ${keys.join(', ') || 'none'})`);
        return;
      }
      const action = keys[0]!;
      const arg = (step as Record<string, unknown>)[action];
      if (action === 'check') {
        validateCheck(arg, [...path, action]);
        return;
      }
      if (action === 'parallel') {
        if (!Array.isArray(arg) || arg.length < 2)
          report([...path, action], 'parallel takes a list of at least two steps');
        else checkSteps(arg, [...path, action]);
        return;
      }
      const validate = stepValidators.get(action);
      if (!validate) {
        reportKey(path, action, `unknown step "${action}" (steps: ${Object.keys(STEP_SCHEMAS).join(', ')})`);
        return;
      }
      if (!validate(arg)) fromAjv(validate.errors, [...path, action]);
    });
  };
  function validateCheck(check: unknown, path: PathPart[]): void {
    const kind = (check as { kind?: unknown } | null)?.kind;
    const validate = typeof kind === 'string' ? checkValidators.get(kind) : undefined;
    if (!validate) {
      report(
        [...path, ...(kind === undefined ? [] : ['kind'])],
        `kind must be one of ${Object.keys(CHECK_SCHEMAS).join(', ')}`,
      );
      return;
    }
    if (!validate(check)) fromAjv(validate.errors, path);
  }
  checkSteps(steps, ['steps']);
  const checks = Array.isArray(spec.checks) ? spec.checks : [];
  for (const [i, check] of checks.entries()) validateCheck(check, ['checks', i]);
  if (problems.length > 0) throw new ScenarioFileError(problems);

  // References: roles, groups, ids, what each wait needs, files to send.
  const ok = spec as ScenarioFile;
  const names = rolesOf(ok).names;
  const roles = new Set(names);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) report(['roles'], `role "${twice[0]}" is listed twice`);
  const groups = new Set((ok.groups ?? []).map((g) => g.name));
  const nodes = new Set([...roles, 'pf', 'cscf']);
  const role = (name: string | undefined, path: PathPart[]) => {
    if (name !== undefined && !roles.has(name))
      report(path, `"${name}" is not a role (roles: ${[...roles].join(', ')})`);
  };
  const group = (name: string | undefined, path: PathPart[]) => {
    if (name !== undefined && !groups.has(name))
      report(
        path,
        groups.size
          ? `no group "${name}" (groups: ${[...groups].join(', ')})`
          : `no group "${name}": declare it under groups`,
      );
  };
  const node = (name: string | undefined, path: PathPart[]) => {
    if (name !== undefined && !nodes.has(name))
      report(path, `"${name}" is not a node (${[...nodes].join(', ')})`);
  };
  (ok.groups ?? []).forEach((g, i) => {
    for (const [j, m] of g.members.entries()) role(m, ['groups', i, 'members', j]);
    for (const [j, m] of (g['known-by'] ?? []).entries()) role(m, ['groups', i, 'known-by', j]);
  });
  const baseDir = dirname(resolve(file));
  const walk = (list: StepSpec[], base: PathPart[]) =>
    list.forEach((step, i) => {
      const path = [...base, i];
      if ('online' in step) role(step.online, [...path, 'online']);
      else if ('offline' in step)
        role(typeof step.offline === 'string' ? step.offline : step.offline.user, [...path, 'offline']);
      else if ('send' in step) {
        role(step.send.user, [...path, 'send', 'user']);
        group(step.send.group, [...path, 'send', 'group']);
        if (step.send.file !== undefined) {
          const target = resolve(baseDir, step.send.file);
          if (!existsSync(target)) report([...path, 'send', 'file'], `no file ${target}`);
        }
      } else if ('policy' in step) {
        role(step.policy.user, [...path, 'policy', 'user']);
        group(step.policy.group, [...path, 'policy', 'group']);
      } else if ('end-session' in step) group(step['end-session'], [...path, 'end-session']);
      else if ('add-member' in step || 'remove-member' in step) {
        const key = 'add-member' in step ? 'add-member' : 'remove-member';
        const arg = 'add-member' in step ? step['add-member'] : step['remove-member'];
        role(arg.user, [...path, key, 'user']);
        group(arg.group, [...path, key, 'group']);
      } else if ('wait' in step) checkWait(step.wait, [...path, 'wait'], role, group, report);
      else if ('network-deregister' in step)
        role(step['network-deregister'], [...path, 'network-deregister']);
      else if ('check' in step) checkRefs(step.check, [...path, 'check']);
      else if ('parallel' in step) walk(step.parallel, [...path, 'parallel']);
    });
  const ids = new Set<string>(Object.keys(ok.messages ?? {}));
  for (const [name, m] of Object.entries(ok.messages ?? {})) {
    const path: PathPart[] = ['messages', name, 'match'];
    node(m.match.from, [...path, 'from']);
    node(m.match.to, [...path, 'to']);
    group(m.match.group, [...path, 'group']);
    node(m.response?.from, ['messages', name, 'response', 'from']);
  }
  function checkRefs(check: CheckSpec, path: PathPart[]): void {
    const ref = (name: string | undefined, field: string) => {
      if (name !== undefined && !ids.has(name)) report([...path, field], `no earlier check has id "${name}"`);
    };
    ref(check.after, 'after');
    ref(check.before, 'before');
    if (check.kind === 'request' || check.kind === 'response') {
      node(check.match.from, [...path, 'match', 'from']);
      node(check.match.to, [...path, 'match', 'to']);
      group(check.match.group, [...path, 'match', 'group']);
      if (check.match.uri !== undefined && !['conference', 'factory'].includes(check.match.uri))
        role(check.match.uri, [...path, 'match', 'uri']);
      ref(check.match['same-dialog-as'], 'match');
      ref(check.match.after, 'match');
      if (check.match.uri === 'conference' && check.match.group === undefined)
        report([...path, 'match', 'uri'], '`uri: conference` needs `group` (whose conference URI)');
    }
    if (check.kind === 'response') node(check.from, [...path, 'from']);
    if (check.kind === 'msrp') {
      node(check.from, [...path, 'from']);
      node(check.to, [...path, 'to']);
      group(check.group, [...path, 'group']);
    }
    if (check.kind === 'state') {
      role(check.user, [...path, 'user']);
      role(check.from, [...path, 'from']);
      group(check.group, [...path, 'group']);
      for (const [j, p] of (check.participants ?? []).entries()) role(p, [...path, 'participants', j]);
    }
    if (
      check.kind === 'request' &&
      check['request-uri'] !== undefined &&
      !['conference', 'factory'].includes(check['request-uri'])
    )
      role(check['request-uri'], [...path, 'request-uri']);
    if (check.kind === 'msrp') ref(check['same-imdn-id-as'], 'same-imdn-id-as');
    if (check.kind === 'group-state') {
      role(check.to, [...path, 'to']);
      group(check.group, [...path, 'group']);
      for (const [j, p] of (check.lists ?? []).entries()) role(p, [...path, 'lists', j]);
    }
    for (const [field, pattern] of [
      ...Object.entries(('match' in check ? check.match.headers : undefined) ?? {}).map(
        ([k, v]) => [`match.headers.${k}`, v] as const,
      ),
      ...('match' in check && check.match.body !== undefined
        ? [['match.body', check.match.body] as const]
        : []),
      ...Object.entries(('headers' in check ? check.headers : undefined) ?? {}).map(
        ([k, v]) => [`headers.${k}`, v] as const,
      ),
    ]) {
      if (pattern === null) continue;
      try {
        new RegExp(pattern.replace(/\{[a-z][a-z0-9._-]*\}/g, 'x'));
      } catch (err) {
        report([...path, ...field.split('.')], `not a regular expression: ${(err as Error).message}`);
      }
    }
    if (check.id !== undefined) {
      if (ids.has(check.id)) report([...path, 'id'], `id "${check.id}" is used twice`);
      ids.add(check.id);
    }
  }
  walk(ok.steps, ['steps']);
  for (const [i, check] of ok.checks.entries()) checkRefs(check, ['checks', i]);
  if (problems.length > 0) throw new ScenarioFileError(problems);
  return { file, spec: ok };
}

/** What each kind of wait needs. */
const WAIT_NEEDS: Record<WaitSpec['for'], Array<keyof WaitSpec>> = {
  stored: ['user', 'group', 'count'],
  received: ['user', 'group', 'texts'],
  sent: ['user', 'group', 'texts'],
  delivered: ['user', 'group'],
  connected: ['group', 'users'],
  removed: ['user', 'group'],
  offline: ['user'],
  delivery: ['user', 'group', 'status'],
  notification: ['user', 'group', 'from'],
  answered: ['user', 'group'],
};

function checkWait(
  wait: WaitSpec,
  path: PathPart[],
  role: (name: string | undefined, path: PathPart[]) => void,
  group: (name: string | undefined, path: PathPart[]) => void,
  report: (path: PathPart[], message: string) => void,
): void {
  for (const field of WAIT_NEEDS[wait.for]) {
    if (wait[field] === undefined) report(path, `wait for ${wait.for} needs "${field}"`);
  }
  role(wait.user, [...path, 'user']);
  role(wait.from, [...path, 'from']);
  for (const [i, u] of (wait.users ?? []).entries()) role(u, [...path, 'users', i]);
  group(wait.group, [...path, 'group']);
}

/** Drop the alternatives' noise of a failed `oneOf` (each branch's errors) when a plainer error is there. */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const plain = errors.filter((e) => e.keyword !== 'oneOf' && !e.schemaPath.includes('/oneOf/'));
  if (plain.length > 0) return plain;
  const oneOf = errors.find((e) => e.keyword === 'oneOf');
  return oneOf ? [{ ...oneOf, message: 'does not match any allowed form (see docs/scenarios.md)' }] : errors;
}

function pointerToPath(pointer: string): PathPart[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function formatPath(path: PathPart[]): string {
  return path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p),
    '',
  );
}
