// report.html: one self-contained page (inline CSS, inline SVG, a few lines of inline script, a CSP that
// forbids every fetch): the clause verdicts with their evidence, then per scenario its checks and, per
// flow, a ladder diagram whose arrows open the raw text of the message. Everything from the trace is
// escaped.
import { describeMessage, type Hop, participantOrder, splitFlows } from '../trace/index.js';
import { type CheckVerdict, checkVerdict, type ScenarioResult } from '../scenarios/types.js';
import { fileSlug } from './artifacts.js';
import {
  type ConformanceReport,
  evidenceHops,
  reportFacts,
  reportHeadline,
  scenarioVerdict,
  type Verdict,
} from './report.js';

const VERDICT_TEXT: Record<Verdict, string> = {
  pass: 'pass',
  fail: 'FAIL',
  inconclusive: 'inconclusive',
  'not-covered': 'NOT COVERED',
  'not-applicable': 'not applicable',
};

const CHECK_MARK: Record<CheckVerdict, string> = {
  pass: '✔',
  fail: '✘',
  inconclusive: '?',
  'not-applicable': '–',
};

export function renderHtml(report: ConformanceReport): string {
  const title = `CPM Lab conformance — ${report.passed ? 'PASS' : 'FAIL'}`;
  const body: string[] = [];
  body.push(
    `<header><h1>CPM Lab conformance report</h1>`,
    `<p class="summary ${report.passed ? 'pass' : 'fail'}"><strong>${report.passed ? 'PASS' : 'FAIL'}</strong> — ` +
      `${esc(reportHeadline(report).split(' — ').slice(1).join(' — '))}.</p>`,
    `<dl class="meta">${reportFacts(report)
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
      .join('')}<dt>Duration</dt><dd>${esc(formatMs(report.durationMs))}</dd></dl>`,
    '</header>',
  );

  body.push('<section id="clauses"><h2>Clauses</h2><table class="clauses">');
  body.push(
    '<thead><tr><th>Clause</th><th>Level</th><th>Verdict</th><th>Checks</th><th>Scenarios</th></tr></thead><tbody>',
  );
  for (const c of report.clauses) {
    const passed = c.checks.filter((e) => e.check.passed).length;
    body.push(
      `<tr class="${c.verdict}"><td><a href="#${clauseAnchor(c.clause)}"><b>${esc(c.clause)}</b></a> ${esc(c.title)}</td>` +
        `<td>${esc(c.level)}</td>` +
        `<td><span class="badge ${c.verdict}">${VERDICT_TEXT[c.verdict]}</span></td>` +
        `<td>${passed}/${c.checks.filter((e) => e.check.verdict === undefined).length}</td>` +
        `<td>${c.scenarios.map(scenarioLink).join(', ') || '—'}</td></tr>`,
    );
  }
  body.push('</tbody></table>');
  for (const c of report.clauses) {
    body.push(
      `<section class="clause ${c.verdict}" id="${clauseAnchor(c.clause)}">`,
      `<h3>${esc(c.clause)} <span class="badge ${c.verdict}">${VERDICT_TEXT[c.verdict]}</span></h3>`,
      `<p>${esc(c.title)}</p>`,
    );
    if (c.reasons.length > 0) {
      body.push(`<ul class="reasons">${c.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
    }
    if (c.checks.length > 0) {
      body.push('<ul class="checks">');
      for (const { scenario, check } of c.checks) {
        const result = report.scenarios.find((s) => s.name === scenario)!;
        body.push(
          `<li class="${checkVerdict(check)}">${CHECK_MARK[checkVerdict(check)]} ${scenarioLink(scenario)}: ` +
            `${esc(check.description)}${check.detail ? ` <span class="detail">— ${esc(check.detail)}</span>` : ''}`,
          evidenceList(result, check.evidence),
          '</li>',
        );
      }
      body.push('</ul>');
    }
    body.push('</section>');
  }
  body.push('</section>');

  body.push('<section id="scenarios"><h2>Scenarios</h2>');
  for (const result of report.scenarios) body.push(scenarioSection(result));
  body.push('</section>');

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No fetch of any kind: the page is self-contained.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`,
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function scenarioSection(result: ScenarioResult): string {
  const out: string[] = [];
  const slug = fileSlug(result.name);
  const kind = scenarioVerdict(result);
  const badge = VERDICT_TEXT[kind];
  out.push(
    `<section class="scenario ${kind}" id="scenario-${slug}">`,
    `<h3>${esc(result.name)} <span class="badge ${kind}">${badge}</span></h3>`,
    `<p>${esc(result.title)} · ${esc(formatMs(result.durationMs))} · clauses ${esc(result.clauses.join(', ') || '—')} · ${result.hops.length} messages</p>`,
  );
  if (result.notApplicable !== undefined)
    out.push(`<p class="not-applicable">Not applicable: ${esc(result.notApplicable)}</p>`);
  if (result.inconclusive !== undefined)
    out.push(
      `<p class="inconclusive">Inconclusive, a step could not be driven: ${esc(result.inconclusive)}</p>`,
    );
  if (result.error !== undefined)
    out.push(`<p class="error">Did not run to its end: ${esc(result.error)}</p>`);
  if (result.checks.length > 0) {
    out.push(
      '<table class="checks"><thead><tr><th></th><th>Clause</th><th>Check</th><th>Evidence</th></tr></thead><tbody>',
    );
    for (const check of result.checks) {
      out.push(
        `<tr class="${checkVerdict(check)}"><td>${CHECK_MARK[checkVerdict(check)]}</td>` +
          `<td>${check.clause === undefined ? '—' : `<a href="#${clauseAnchor(check.clause)}">${esc(check.clause)}</a>`}</td>` +
          `<td>${esc(check.description)}${check.detail ? `<div class="detail">${esc(check.detail)}</div>` : ''}</td>` +
          `<td>${check.evidence.map((at) => hopLink(result, at, `#${at}`)).join(' ')}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  if (result.hops.length > 0) {
    const position = new Map(result.hops.map((h, i) => [h, i]));
    const evidence = new Set(result.checks.flatMap((c) => c.evidence));
    const failed = new Set(
      result.checks.filter((c) => checkVerdict(c) === 'fail').flatMap((c) => c.evidence),
    );
    const flows = splitFlows(result.hops);
    flows.forEach((flow, i) => {
      out.push(
        `<h4>Flow ${i + 1} of ${flows.length} <code>${esc(flow.key)}</code></h4>`,
        `<div class="ladder">${ladderSvg(result, flow.hops, position, evidence, failed)}</div>`,
      );
    });
    out.push('<h4>Messages</h4><div class="raws">');
    result.hops.forEach((hop, at) => {
      const cut = hop.rawLength > hop.raw.length ? ` (cut: ${hop.raw.length} of ${hop.rawLength} bytes)` : '';
      out.push(
        `<details id="${rawId(result, at)}" class="raw ${kindOf(hop)}"><summary>#${at} ${esc(hop.from)} → ${esc(hop.to)} ` +
          `<b>${esc(describeMessage(hop))}</b> <span class="time">${esc(new Date(hop.time).toISOString())}${esc(cut)}</span></summary>` +
          `<pre>${esc(rawText(hop))}</pre></details>`,
      );
    });
    out.push('</div>');
  }
  out.push('</section>');
  return out.join('\n');
}

// Ladder geometry (px).
const COL = 210;
const LEFT = 80;
const TOP = 44;
const ROW = 30;
const CHAR = 6.6;

/** An SVG sequence diagram of one flow: lifelines per party, one arrow per message, each a link to its raw text. */
function ladderSvg(
  result: ScenarioResult,
  hops: readonly Hop[],
  position: ReadonlyMap<Hop, number>,
  evidence: ReadonlySet<number>,
  failed: ReadonlySet<number>,
): string {
  const names = participantOrder(hops);
  const x = (name: string) => LEFT + COL / 2 + names.indexOf(name) * COL;
  const width = LEFT + names.length * COL;
  const height = TOP + hops.length * ROW + 16;
  const origin = hops[0]!.time;
  const parts: string[] = [
    `<svg class="ladder" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="message ladder">`,
  ];
  for (const name of names) {
    parts.push(
      `<text class="party" x="${x(name)}" y="18" text-anchor="middle">${esc(clip(name, 26))}</text>`,
      `<line class="lifeline" x1="${x(name)}" y1="26" x2="${x(name)}" y2="${height - 6}"/>`,
    );
  }
  hops.forEach((hop, row) => {
    const at = position.get(hop)!;
    const y = TOP + row * ROW + 12;
    const x1 = x(hop.from);
    const x2 = x(hop.to);
    const text = describeMessage(hop);
    const classes = [
      'hop',
      kindOf(hop),
      hop.protocol,
      evidence.has(at) ? 'evidence' : '',
      failed.has(at) ? 'failed' : '',
    ].filter(Boolean);
    parts.push(`<a href="#${rawId(result, at)}" class="${classes.join(' ')}" data-hop="${at}">`);
    parts.push(
      `<title>#${at} ${esc(hop.from)} → ${esc(hop.to)}: ${esc(text)} — ${esc(hop.startLine)}</title>`,
    );
    parts.push(`<text class="offset" x="4" y="${y + 4}">+${esc(formatOffset(hop.time - origin))}</text>`);
    if (x1 === x2) {
      // A node talking to itself: a small loop.
      parts.push(
        `<path class="arrow" d="M${x1} ${y - 6} h26 v12 h-26" fill="none"/>`,
        `<polygon class="head" points="${x1},${y + 6} ${x1 + 7},${y + 2} ${x1 + 7},${y + 10}"/>`,
        `<text class="label" x="${x1 + 32}" y="${y + 4}">#${at} ${esc(clip(text, 26))}</text>`,
      );
    } else {
      const dir = x2 > x1 ? 1 : -1;
      const tip = x2 - dir;
      const span = Math.abs(x2 - x1);
      parts.push(
        `<line class="arrow" x1="${x1}" y1="${y}" x2="${tip - dir * 7}" y2="${y}"/>`,
        `<polygon class="head" points="${tip},${y} ${tip - dir * 9},${y - 4} ${tip - dir * 9},${y + 4}"/>`,
        `<text class="label" x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle">#${at} ${esc(clip(text, Math.floor(span / CHAR) - 4))}</text>`,
      );
    }
    // A wide invisible target so the arrow is easy to click.
    parts.push(
      `<rect class="target" x="${Math.min(x1, x2) - 4}" y="${y - 18}" width="${Math.abs(x2 - x1) + 40}" height="${ROW - 2}"/>`,
      '</a>',
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function evidenceList(result: ScenarioResult, indexes: readonly number[]): string {
  const hops = evidenceHops(result, { description: '', passed: true, evidence: [...indexes] });
  if (hops.length === 0) return '';
  return `<ul class="evidence">${hops
    .map(
      ({ at, hop }) =>
        `<li>${hopLink(result, at, `#${at}`)} ${esc(hop.from)} → ${esc(hop.to)} <b>${esc(describeMessage(hop))}</b> <code>${esc(hop.startLine)}</code></li>`,
    )
    .join('')}</ul>`;
}

function hopLink(result: ScenarioResult, at: number, text: string): string {
  return result.hops[at] === undefined
    ? `<span class="missing" title="no such message">${esc(text)}</span>`
    : `<a href="#${rawId(result, at)}" data-hop="${at}">${esc(text)}</a>`;
}

function scenarioLink(name: string): string {
  return `<a href="#scenario-${fileSlug(name)}">${esc(name)}</a>`;
}

function clauseAnchor(clause: string): string {
  return `clause-${clause.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

function rawId(result: ScenarioResult, at: number): string {
  return `raw-${fileSlug(result.name)}-${at}`;
}

/** Colour class: SIP request, provisional, success, error response; MSRP. */
function kindOf(hop: Hop): string {
  if (hop.protocol === 'msrp')
    return /^MSRP \S+ \d{3}/.test(hop.startLine) ? 'msrp-response' : 'msrp-request';
  const status = /^SIP\/2\.0 (\d)/.exec(hop.startLine)?.[1];
  if (status === undefined) return 'request';
  return status === '1' ? 'provisional' : status === '2' ? 'success' : 'error-response';
}

/** The message as text: CRLF as line breaks, other control characters and bad UTF-8 made visible. */
export function rawText(hop: Hop): string {
  return hop.raw
    .toString('utf8')
    .replace(/\r\n/g, '\n')
    .replace(
      /[\u0000-\u0008\u000b-\u001f\u007f]/g,
      (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
}

/** HTML text and attribute escaping (all five characters, so the result is safe in either). */
export function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function clip(text: string, max: number): string {
  const n = Math.max(4, max);
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function formatOffset(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${Math.round(ms)} ms`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1em 2em;max-width:1400px;color:#1d1d1f}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.summary{font-size:1.15em;padding:.5em .8em;border-radius:6px}.summary.pass{background:#e6f6ea}.summary.fail{background:#fde8e8}
.meta{color:#666}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.3em .6em;vertical-align:top;text-align:left}
tr.fail td,tr.not-covered td{background:#fff5f5}
.badge{display:inline-block;padding:0 .5em;border-radius:4px;font-size:.85em;font-weight:600;color:#fff}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}.badge.not-covered{background:#bc4c00}.badge.not-applicable{background:#6e7781}.badge.inconclusive{background:#9a6700}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;color:#57606a;font-size:90%}dl.meta dt{font-weight:600}dl.meta dd{margin:0}
li.pass{color:#1a3d22}li.fail{color:#8b1a1a}.detail{color:#555}.error{color:#cf222e;font-weight:600}.not-applicable{color:#57606a}
ul.evidence{list-style:none;padding-left:1.2em;margin:.2em 0 .5em}ul.evidence li{color:#333}
section.clause{border-left:4px solid #1a7f37;padding-left:1em;margin:1em 0}
section.clause.fail{border-color:#cf222e}section.clause.not-covered{border-color:#bc4c00}
section.scenario{border-top:1px solid #ddd;margin-top:1.5em}
.ladder{overflow-x:auto;border:1px solid #eee;border-radius:6px;background:#fcfcfd;margin:.5em 0}
svg.ladder text{font:12px ui-monospace,Menlo,Consolas,monospace}
svg.ladder .party{font-weight:700;font-size:13px}
svg.ladder .lifeline{stroke:#bbb;stroke-dasharray:2 3}
svg.ladder .offset{fill:#888;font-size:11px}
svg.ladder .arrow{stroke:#0550ae;stroke-width:1.6}svg.ladder .head{fill:#0550ae}svg.ladder .label{fill:#0550ae}
svg.ladder .success .arrow{stroke:#1a7f37}svg.ladder .success .head,svg.ladder .success .label{fill:#1a7f37}
svg.ladder .provisional .arrow{stroke:#777}svg.ladder .provisional .head,svg.ladder .provisional .label{fill:#777}
svg.ladder .error-response .arrow{stroke:#cf222e}svg.ladder .error-response .head,svg.ladder .error-response .label{fill:#cf222e}
svg.ladder .msrp .arrow{stroke:#8250df;stroke-dasharray:6 4}svg.ladder .msrp .head,svg.ladder .msrp .label{fill:#8250df}
svg.ladder .evidence .label{font-weight:700}
svg.ladder .failed .label{text-decoration:underline wavy #cf222e}
svg.ladder .target{fill:transparent;cursor:pointer}
svg.ladder a:hover .target,svg.ladder a.selected .target{fill:rgba(255,215,0,.25)}
details.raw{border:1px solid #e5e5e5;border-radius:4px;margin:.2em 0;padding:.1em .5em}
details.raw summary{cursor:pointer}details.raw .time{color:#888;font-size:.85em}
details.raw:target,details.raw.selected{outline:2px solid #d4a72c;background:#fffbe6}
details.raw pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:.5em;margin:.3em 0}
`;

// Clicking a message (ladder arrow or evidence link) opens its raw text; the hash keeps it linkable.
const SCRIPT = `
(function(){
  function show(id){
    var d=document.getElementById(id);
    if(!d||d.tagName!=='DETAILS')return;
    d.open=true;
    document.querySelectorAll('.selected').forEach(function(e){e.classList.remove('selected');});
    d.classList.add('selected');
    d.scrollIntoView({block:'nearest'});
  }
  document.addEventListener('click',function(e){
    var a=e.target.closest&&e.target.closest('a[href^="#raw-"]');
    if(!a)return;
    e.preventDefault();
    var id=a.getAttribute('href').slice(1);
    history.replaceState(null,'','#'+id);
    show(id);
    a.classList.add('selected');
  });
  if(location.hash.indexOf('#raw-')===0)show(location.hash.slice(1));
})();
`;
