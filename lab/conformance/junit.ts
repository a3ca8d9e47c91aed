// junit.xml for CI: a `clauses` testsuite (one testcase per clause ID: fail and not-covered are failures,
// inconclusive is an error (the run could not judge it), not-applicable is skipped; its properties name the
// implementation under test, the lab version and commit, and the specification), then one testsuite per scenario with one testcase per check named
// `<clause> <description>` (a scenario that does not apply to the lab: one skipped testcase). The JUnit XML
// format as read by Jenkins, GitLab and GitHub reporters (testsuites > testsuite > testcase > failure).
import { checkVerdict, type ScenarioResult } from '../scenarios/types.js';
import { type ConformanceReport, evidenceHops, hopLine, lastHops, reportFacts } from './report.js';

export function renderJunit(report: ConformanceReport): string {
  const suites: string[] = [];
  const timestamp = report.startedAt.replace(/\.\d+Z$/, '').replace(/Z$/, '');
  let tests = 0;
  let failures = 0;
  let errors = 0;

  const clauseCases = report.clauses.map((c) => {
    const name = `${c.clause} ${c.title}`;
    const body =
      c.verdict === 'pass'
        ? system(c.checks.map((e) => `${e.scenario}: ${e.check.description}`).join('\n'))
        : c.verdict === 'not-applicable'
          ? skipped(c.reasons.join('\n'))
          : c.verdict === 'inconclusive'
            ? errorText(`${c.clause} inconclusive`, 'inconclusive', c.reasons.join('\n'))
            : failure(
                c.verdict === 'fail' ? `${c.clause} failed` : `${c.clause} not covered`,
                c.verdict,
                c.reasons.join('\n'),
              );
    return testcase('clauses', name, 0, body);
  });
  const clauseFailures = report.clauses.filter(
    (c) => c.verdict === 'fail' || c.verdict === 'not-covered',
  ).length;
  const clauseSkipped = report.clauses.filter((c) => c.verdict === 'not-applicable').length;
  const clauseErrors = report.clauses.filter((c) => c.verdict === 'inconclusive').length;
  suites.push(
    suite(
      'clauses',
      clauseCases,
      { tests: clauseCases.length, failures: clauseFailures, errors: clauseErrors, skipped: clauseSkipped },
      0,
      timestamp,
      reportFacts(report),
    ),
  );
  tests += clauseCases.length;
  failures += clauseFailures;
  errors += clauseErrors;

  for (const result of report.scenarios) {
    if (result.notApplicable !== undefined) {
      const cases = [
        testcase(result.name, `${result.name} applies to this lab`, 0, skipped(result.notApplicable)),
      ];
      suites.push(suite(result.name, cases, { tests: 1, failures: 0, errors: 0, skipped: 1 }, 0, timestamp));
      tests += 1;
      continue;
    }
    const cases = result.checks.map((check) => {
      const name = check.clause === undefined ? check.description : `${check.clause} ${check.description}`;
      const evidence = evidenceHops(result, check).map(hopLine).join('\n');
      const verdict = checkVerdict(check);
      const body =
        verdict === 'pass'
          ? system([check.detail, evidence].filter(Boolean).join('\n'))
          : verdict === 'not-applicable'
            ? skipped(check.detail ?? 'not applicable')
            : verdict === 'inconclusive'
              ? errorText(check.detail ?? check.description, 'inconclusive', evidence)
              : failure(
                  check.detail ?? check.description,
                  'check',
                  [check.detail, evidence].filter(Boolean).join('\n'),
                );
      return testcase(result.name, name, 0, body);
    });
    let suiteErrors = result.checks.filter((c) => c.verdict === 'inconclusive').length;
    if (result.error !== undefined) {
      suiteErrors += 1;
      cases.push(testcase(result.name, `${result.name} runs to its end`, 0, errorElement(result)));
    }
    if (result.inconclusive !== undefined) {
      suiteErrors += 1;
      cases.push(
        testcase(
          result.name,
          `${result.name} can be driven`,
          0,
          errorText(result.inconclusive, 'inconclusive', lastHops(result).map(hopLine).join('\n')),
        ),
      );
    }
    const suiteFailures = result.checks.filter((c) => checkVerdict(c) === 'fail').length;
    const suiteSkipped = result.checks.filter((c) => c.verdict === 'not-applicable').length;
    suites.push(
      suite(
        result.name,
        cases,
        { tests: cases.length, failures: suiteFailures, errors: suiteErrors, skipped: suiteSkipped },
        result.durationMs / 1000,
        timestamp,
      ),
    );
    tests += cases.length;
    failures += suiteFailures;
    errors += suiteErrors;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cpm-lab conformance" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(report.durationMs / 1000)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function suite(
  name: string,
  cases: string[],
  counts: { tests: number; failures: number; errors: number; skipped?: number },
  time: number,
  timestamp: string,
  properties: Array<[string, string]> = [],
): string {
  return [
    `  <testsuite name="${attr(name)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped ?? 0}" time="${seconds(time)}" timestamp="${attr(timestamp)}">`,
    ...(properties.length
      ? [
          '    <properties>',
          ...properties.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`),
          '    </properties>',
        ]
      : []),
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

function testcase(classname: string, name: string, time: number, body: string): string {
  const open = `    <testcase classname="${attr(classname)}" name="${attr(name)}" time="${seconds(time)}"`;
  return body === '' ? `${open}/>` : `${open}>\n${body}\n    </testcase>`;
}

/** JUnit's skipped element: not judged, with the reason. */
function skipped(message: string): string {
  return `      <skipped message="${attr(message)}"/>`;
}

function failure(message: string, type: string, details: string): string {
  return `      <failure message="${attr(message)}" type="${attr(type)}">${textNode(details)}</failure>`;
}

function errorElement(result: ScenarioResult): string {
  return errorText(result.error ?? '', 'scenario-error', lastHops(result).map(hopLine).join('\n'));
}

/** JUnit's error element: the run could not judge (a setup problem, a step that could not be driven). */
function errorText(message: string, type: string, details: string): string {
  return `      <error message="${attr(message)}" type="${attr(type)}">${textNode(details)}</error>`;
}

function system(out: string): string {
  return out === '' ? '' : `      <system-out>${textNode(out)}</system-out>`;
}

function seconds(s: number): string {
  return s.toFixed(3);
}

/** XML 1.0 §2.2: characters outside Char cannot appear at all, even escaped; they become U+FFFD. */
function xmlChars(value: string): string {
  return value.replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd');
}

function textNode(value: string): string {
  return xmlChars(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute value (XML 1.0 §3.3.3: line breaks and tabs are kept as character references). */
function attr(value: string): string {
  return textNode(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}
