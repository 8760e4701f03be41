/**
 * reports/RUNID/report.html: one self-contained page for a person (no external asset, opens from file://, prints).
 * Everything shown comes from a feed or Moodle, so it is untrusted: every text is redacted, then HTML-escaped, and the
 * page's Content-Security-Policy lets only its own style and script run (by hash), so markup that escaping missed
 * could still not run. The failed-rows table is plain HTML; the script only filters and sorts its rows.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { hintFor } from '../hints.js';
import { writePrivateFile } from './files.js';
import { FailedRows, type FailedRow } from './failed-rows.js';
import { redactText } from './redact.js';
import type { SummaryBase } from './types.js';
import { ANY_FIELD } from '../plan/types.js';

export const REPORT_PAGE = 'report.html';

/** The optional fields of a run's or another command's summary the page knows how to show. */
interface Shown extends SummaryBase {
  kind?: string;
  sha256?: string | null;
  file?: string;
  type?: string | null;
  op?: string;
  dataSource?: string | null;
  dryRun?: boolean;
  rows?: number | Record<string, number>;
  planned?: Record<string, number> | null;
  guard?: {
    message: string;
    refused?: boolean;
    forced?: boolean;
    owned?: number;
    toDisable?: number;
    limit?: number;
    kind?: string;
    updates?: { field: string; count: number };
    disablesHeld?: boolean;
  } | null;
  format?: { dialect: string; title: string; kind: string; entities: string[] };
  warnings?: string[];
  siteHints?: Array<{ code: string; message: string; hint: string }>;
  parts?: Array<{ type: string; rows: number; planned: Record<string, number>; guard: { message: string } | null; outcomes: Record<string, number> | null }>;
  tryback?: string | null;
  archivedAs?: string | null;
  retry?: { file: string; rows: number; error: string } | null;
  held?: { runId: string; approve: string; discard: string } | null;
  approved?: string;
  by?: { user: string; host: string };
  site?: string;
}

/** Keys the page shows in their own section; any other key of a summary is listed under "Details". */
const OWN_SECTIONS = new Set([
  'runId', 'startedAt', 'finishedAt', 'status', 'exitCode', 'message', 'outcomes', 'moodleCalls', 'reportDir', 'error', 'kind', 'file', 'sha256',
  'type', 'op', 'dataSource', 'dryRun', 'planned', 'guard', 'format', 'warnings', 'parts', 'tryback', 'archivedAs', 'retry', 'by', 'site', 'failures',
  'siteHints',
]);

const PLANNED_LABELS: Record<string, string> = {
  create: 'create', adopt: 'adopt', update: 'update', enable: 'enable', disable: 'disable', delete: 'delete', unchanged: 'unchanged', fail: 'invalid',
};
const COLORS: Record<string, string> = {
  create: '#2f855a', adopt: '#2c7a7b', update: '#2b6cb0', enable: '#38a169', disable: '#c05621', delete: '#c53030', unchanged: '#a0aec0',
  fail: '#9b2c2c', ok: '#2f855a', relinked: '#2c7a7b', failed: '#c53030',
};
const STATUS_WORDS: Record<string, string> = {
  ok: 'Done', 'failed-rows': 'Done, some rows failed', refused: 'Refused', aborted: 'Stopped', 'dry-run': 'Dry run',
};
const FILE_WORDS: Record<string, string> = {
  'rows.csv': 'every row and what became of it',
  'plan.csv': 'the plan: one line per row, with its action and reason',
  'summary.json': 'this summary, for programs',
  'changes.jsonl': 'the changes this pass found, one JSON line each',
};

const STYLE = `
:root{--fg:#1a202c;--muted:#5a6578;--line:#e2e8f0;--bg:#f7f8fa;--card:#fff;--accent:#2b6cb0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:24px 20px 40px}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:12px;margin-bottom:6px}
h1{font-size:22px;margin:0;font-weight:650}
h1 .id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:500;font-size:15px;color:var(--muted)}
h2{font-size:16px;margin:0 0 10px;font-weight:650}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:650;letter-spacing:.02em;color:#fff;background:#4a5568}
.status-ok{background:#2f855a}.status-failed-rows{background:#b7791f}.status-refused,.status-aborted{background:#c53030}.status-dry-run{background:#2b6cb0}
p.message{font-size:15px;margin:4px 0 18px;padding:10px 14px;background:var(--card);border-left:4px solid var(--accent);border-radius:4px;overflow-wrap:anywhere}
p.message.bad{border-color:#c53030}p.message.warn{border-color:#b7791f}p.message.good{border-color:#2f855a}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin:0 0 16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.grid>section{margin:0}
main>.grid{margin-bottom:16px}
ul.counts{list-style:none;display:flex;flex-wrap:wrap;gap:6px;margin:10px 0 0;padding:0}
ul.counts li{border:1px solid var(--line);border-radius:5px;padding:1px 8px;color:var(--muted);font-size:12.5px}
ul.counts b{color:var(--fg);font-variant-numeric:tabular-nums}
.nowrap{white-space:nowrap}
td.key{min-width:14ch}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{font-weight:600;color:var(--muted);font-size:12.5px;background:#fafbfc;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th button{all:unset;cursor:pointer;color:inherit}
th button:focus-visible{outline:2px solid var(--accent)}
th[aria-sort=ascending] button::after{content:" \\25B2";font-size:10px}
th[aria-sort=descending] button::after{content:" \\25BC";font-size:10px}
.chart{display:block;max-width:100%;height:auto}
.chart text{font-size:12px;fill:#2d3748}
.muted{color:var(--muted)}
.controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:14px 0 10px}
table.codes{margin-bottom:4px}
.controls input,.controls select{font:inherit;padding:5px 8px;border:1px solid #cbd5e0;border-radius:5px;background:#fff}
.controls input{min-width:260px}
.hint{color:#2c5282}
.error{border-color:#feb2b2;background:#fff5f5}
.guard-refused{border-color:#feb2b2;background:#fff5f5}
ul.plain{margin:0;padding-left:18px}
a{color:var(--accent)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media print{
 body{background:#fff;font-size:11px}
 main{max-width:none;padding:0}
 section{border:none;border-top:1px solid #999;border-radius:0;padding:8px 0;break-inside:avoid-page}
 .controls{display:none}
 tr{break-inside:avoid}
 /* a printed report is complete: rows the filter hides are printed too */
 tr[hidden]{display:table-row}
 a{color:inherit;text-decoration:none}
 .badge{border:1px solid #000;color:#000;background:none}
}
`;

// Runs after the page is parsed (the script is the body's last element). Filters and sorts the failed rows' DOM rows only.
const SCRIPT = `
(function () {
  var table = document.getElementById('failed-rows');
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById('filter');
  var code = document.getElementById('code-filter');
  var shown = document.getElementById('rows-shown');
  document.getElementById('row-controls').hidden = false;
  function apply() {
    var q = text.value.trim().toLowerCase();
    var c = code.value;
    var n = 0;
    rows.forEach(function (r) {
      var keep = (c === '' || r.getAttribute('data-code') === c) && (q === '' || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !keep;
      if (keep) n++;
    });
    shown.textContent = String(n);
  }
  text.addEventListener('input', apply);
  code.addEventListener('change', apply);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  heads.forEach(function (th, col) {
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var numeric = th.getAttribute('data-type') === 'number';
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
        if (numeric) return dir * ((Number(x) || 0) - (Number(y) || 0));
        return dir * x.localeCompare(y);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
/** Only the page's own style and script; no fetch, no image, no form, no base: nothing else loads or runs. */
const CSP = `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; img-src 'none'; base-uri 'none'; form-action 'none'`;

/** Writes reports/RUNID/report.html for the summary (already final) and its failed (or, dry run, invalid) rows. */
export async function writeHtmlReport(dir: string, summary: SummaryBase, rows: FailedRows = new FailedRows(), opts: { secrets?: readonly string[] } = {}): Promise<string> {
  const path = join(dir, REPORT_PAGE);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f !== REPORT_PAGE).sort();
  await writePrivateFile(path, renderHtmlReport(summary, rows, { secrets: opts.secrets ?? [], files }));
  return path;
}

/** The page as text: `files` are the names in the report folder to link to. */
export function renderHtmlReport(summary: SummaryBase, rows: FailedRows, opts: { secrets: readonly string[]; files: readonly string[] }): string {
  const s = summary as Shown;
  const t = (v: unknown): string => escapeHtml(redactText(clean(String(v ?? '')), opts.secrets));
  const command = s.kind ?? (s.dryRun ? 'plan' : 'run');
  const title = `mdlsync ${command} ${s.runId}`;
  const sections = [
    whatRan(s, t),
    guardSection(s, t),
    errorSection(s, t),
    warningsSection(s, t),
    siteHintsSection(s, t),
    countsSection(s, t),
    partsSection(s, t),
    callsSection(s, t),
    rowsSection(s, rows, t),
    filesSection(s, opts.files, t),
    detailsSection(s, t),
  ].filter((x) => x !== '');
  const tone = s.status === 'ok' || s.status === 'dry-run' ? 'good' : s.status === 'failed-rows' ? 'warn' : 'bad';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${t(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header class="top"><h1>mdlsync ${t(command)} <span class="id">${t(s.runId)}</span></h1><span class="badge status-${t(s.status)}" id="status" data-status="${t(s.status)}">${t(STATUS_WORDS[s.status] ?? s.status)}</span><span class="muted">exit code <span id="exit-code">${t(s.exitCode)}</span></span></header>
<p class="message ${tone}" id="message">${t(s.message)}</p>
${sections.join('\n')}
<footer>Written by mdlsync. Every value on this page comes from the run's summary.json and rows; nothing is loaded from elsewhere.</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

type Esc = (v: unknown) => string;

function whatRan(s: Shown, t: Esc): string {
  const facts: Array<[string, string]> = [];
  if (s.file !== undefined) facts.push(['File', `<span class="mono">${t(s.file)}</span>`]);
  if (s.type) facts.push(['Type', t(s.type)]);
  if (s.format) facts.push(['Format', `${t(s.format.title)} <span class="muted">(${t(s.format.dialect)}${s.format.kind ? ` / ${t(s.format.kind)}` : ''})</span>`]);
  if (s.op) facts.push(['Operation', t(s.op)]);
  if (s.file !== undefined) facts.push(['Data source', s.dataSource ? t(s.dataSource) : '<span class="muted">none</span>']);
  if (s.dryRun !== undefined) facts.push(['Dry run', s.dryRun ? 'yes: nothing was written to Moodle' : 'no']);
  facts.push(['Run id', `<span class="mono">${t(s.runId)}</span>`]);
  facts.push(['Started', t(s.startedAt)]);
  facts.push(['Finished', t(s.finishedAt)]);
  const ms = Date.parse(s.finishedAt) - Date.parse(s.startedAt);
  if (Number.isFinite(ms) && ms >= 0) facts.push(['Duration', `<span id="duration">${t(duration(ms))}</span>`]);
  if (s.by) facts.push(['By', `${t(s.by.user)} on ${t(s.by.host)}`]);
  if (s.site) facts.push(['Moodle site', `<span class="mono">${t(s.site)}</span>`]);
  if (s.sha256) facts.push(['SHA-256', `<span class="mono">${t(s.sha256)}</span>`]);
  if (s.archivedAs) facts.push(['Archived as', `<span class="mono">${t(s.archivedAs)}</span>`]);
  return `<section id="what"><h2>What ran</h2><dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></section>`;
}

function guardSection(s: Shown, t: Esc): string {
  if (!s.guard) return '';
  const g = s.guard;
  const verdict = g.refused ? 'refused' : g.forced ? 'forced past its limit' : g.disablesHeld ? 'disables held' : 'allowed';
  // An update verdict's limit is of the changes of one field; a window's verdict has no limit (its message says it all).
  const numbers =
    g.kind === 'update' && g.updates && g.owned !== undefined
      ? `<p class="muted">Would change ${g.updates.field === ANY_FIELD ? 'the content (which field is not known)' : `the ${t(g.updates.field)}`} of ${t(g.updates.count)} of ${t(g.owned)} owned record(s); the limit without --force is ${t(g.limit ?? '')}.</p>`
      : g.kind !== 'additions-only' && g.owned !== undefined && g.toDisable !== undefined
        ? `<p class="muted">Would disable ${t(g.toDisable)} of ${t(g.owned)} owned record(s); the limit without --force is ${t(g.limit ?? '')}.</p>`
        : '';
  // A refused plan kept for approval (src/held/), or a run that applied one: say which, with the commands.
  const held = s.held
    ? `<p id="held"><strong>The plan is held</strong> as ${t(s.held.runId)}: once checked, apply it exactly as planned with <span class="mono">${t(s.held.approve)}</span>, or drop it with <span class="mono">${t(s.held.discard)}</span>.</p>`
    : s.approved
      ? `<p id="held">This run applied the plan held by run ${t(s.approved)}, approved by <span class="mono">mdlsync approve</span>.</p>`
      : '';
  return `<section id="guard" class="${g.refused ? 'guard-refused' : ''}"><h2>Safety guard: ${s.approved ? 'approved' : verdict}</h2><p>${t(g.message)}</p>${numbers}${held}</section>`;
}

function errorSection(s: Shown, t: Esc): string {
  if (!s.error) return '';
  const hint = hintFor(s.error.code, s.error.message);
  return `<section id="error" class="error"><h2>Error <code>${t(s.error.code)}</code></h2><p>${t(s.error.message)}</p>${hint ? `<p class="hint">What to do: ${t(hint)}</p>` : ''}</section>`;
}

function warningsSection(s: Shown, t: Esc): string {
  if (!s.warnings || s.warnings.length === 0) return '';
  return `<section id="warnings"><h2>Not acted on</h2><ul class="plain">${s.warnings.map((w) => `<li>${t(w)}</li>`).join('')}</ul></section>`;
}

/** What the run measured about the site that slowed it, and what the admin can do (summary.json siteHints). */
function siteHintsSection(s: Shown, t: Esc): string {
  if (!s.siteHints || s.siteHints.length === 0) return '';
  const notes = s.siteHints.map((h) => `<div class="site-hint" data-code="${t(h.code)}"><p><code>${t(h.code)}</code> ${t(h.message)}</p><p class="hint">What to do: ${t(h.hint)}</p></div>`);
  return `<section id="site-hints"><h2>About the site</h2>${notes.join('')}</section>`;
}

function countsSection(s: Shown, t: Esc): string {
  const charts: string[] = [];
  if (s.planned) {
    const entries = Object.entries(s.planned).map(([k, n]) => ({ key: k, label: PLANNED_LABELS[k] ?? k, n }));
    const rows = typeof s.rows === 'number' ? `<p class="muted">${t(s.rows)} data row(s) read.</p>` : '';
    charts.push(`<section id="planned"><h2>Planned actions</h2>${rows}${barChart('planned', entries, t)}</section>`);
  }
  // A dry run applies nothing: its outcome counts are all zero by design.
  if (!s.dryRun) {
    const entries = Object.entries(s.outcomes).map(([k, n]) => ({ key: k, label: k, n }));
    charts.push(`<section id="outcomes"><h2>Outcomes</h2>${barChart('outcome', entries, t)}</section>`);
  }
  return charts.length > 0 ? `<div class="grid">${charts.join('')}</div>` : '';
}

/** A small horizontal bar chart (inline SVG) with the numbers beside it as a table, so they read and print as text. */
function barChart(prefix: string, entries: Array<{ key: string; label: string; n: number }>, t: Esc): string {
  const max = Math.max(1, ...entries.map((e) => e.n));
  const rowH = 22;
  const labelW = 90;
  const barW = 220;
  const height = entries.length * rowH + 4;
  const bars = entries
    .map((e, i) => {
      const y = i * rowH + 2;
      const w = e.n === 0 ? 0 : Math.max(2, Math.round((e.n / max) * barW));
      return `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${t(e.label)}</text><rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 8}" rx="2" fill="${COLORS[e.key] ?? '#718096'}"></rect><text x="${labelW + w + 6}" y="${y + 15}">${t(e.n)}</text>`;
    })
    .join('');
  const described = entries.map((e) => `${e.label} ${e.n}`).join(', ');
  const svg = `<svg class="chart" role="img" aria-label="${t(described)}" width="${labelW + barW + 60}" height="${height}" viewBox="0 0 ${labelW + barW + 60} ${height}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`;
  const numbers = `<ul class="counts">${entries.map((e) => `<li>${t(e.label)} <b data-count="${t(`${prefix}-${e.key}`)}">${t(e.n)}</b></li>`).join('')}</ul>`;
  return `${svg}${numbers}`;
}

function partsSection(s: Shown, t: Esc): string {
  if (!s.parts || s.parts.length === 0) return '';
  const cell = (counts: Record<string, number> | null): string =>
    counts ? Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${t(PLANNED_LABELS[k] ?? k)} ${t(n)}`).join(', ') || 'none' : '<span class="muted">not applied</span>';
  const rows = s.parts.map((p) => `<tr><td>${t(p.type)}</td><td class="num">${t(p.rows)}</td><td>${cell(p.planned)}</td><td>${cell(p.outcomes)}</td><td>${p.guard ? t(p.guard.message) : ''}</td></tr>`);
  return `<section id="parts"><h2>Parts of the file</h2><p class="muted">The file fans out into these record types, run in this order.</p><table><thead><tr><th>Type</th><th class="num">Rows</th><th>Planned</th><th>Outcomes</th><th>Guard</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function callsSection(s: Shown, t: Esc): string {
  const by = Object.entries(s.moodleCalls?.byFunction ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = s.moodleCalls?.total ?? 0;
  if (by.length === 0) return `<section id="calls"><h2>Moodle calls</h2><p><span id="calls-total">${t(total)}</span> call(s).</p></section>`;
  const rows = by.map(([f, n]) => `<tr><td class="mono">${t(f)}</td><td class="num">${t(n)}</td></tr>`).join('');
  return `<section id="calls"><h2>Moodle calls</h2><table><thead><tr><th>Function</th><th class="num">Calls</th></tr></thead><tbody>${rows}</tbody><tfoot><tr><th>Total</th><td class="num" id="calls-total">${t(total)}</td></tr></tfoot></table></section>`;
}

function rowsSection(s: Shown, rows: FailedRows, t: Esc): string {
  if (rows.total === 0) return '';
  const invalid = rows.kind === 'invalid';
  const heading = invalid ? 'Invalid rows: the plan would not apply them' : 'Failed rows';
  const source = invalid ? 'plan.csv' : 'rows.csv';
  const counts = rows.counts.list();
  const codeTable = `<table class="codes"><thead><tr><th>Error code</th><th class="num">Rows</th><th>What to do</th></tr></thead><tbody>${counts
    .map((c) => `<tr><td><code>${t(c.code)}</code></td><td class="num">${t(c.count)}</td><td class="hint">${t(c.hint)}</td></tr>`)
    .join('')}</tbody></table>`;
  const perCode = new Map<string, number>();
  for (const c of counts) perCode.set(c.code, (perCode.get(c.code) ?? 0) + c.count);
  const more = rows.total > rows.rows.length ? `<p id="rows-more">The first ${t(rows.rows.length)} of ${t(rows.total)} are listed; ${t(source)} holds the other ${t(rows.total - rows.rows.length)}.</p>` : '';
  const options = [...perCode].map(([c, n]) => `<option value="${t(c)}">${t(c)} (${t(n)})</option>`).join('');
  const controls = `<div class="controls" id="row-controls" hidden><label>Filter <input id="filter" type="search" placeholder="key, message, line…" autocomplete="off"></label><label>Code <select id="code-filter"><option value="">all codes</option>${options}</select></label><span class="muted"><span id="rows-shown">${t(rows.rows.length)}</span> shown</span></div>`;
  // A Type column only for a file that fans out into several types.
  const fanned = new Set(rows.rows.map((r) => r.type ?? '')).size > 1;
  const head = `<tr><th class="num" data-type="number"><button type="button">Line</button></th>${fanned ? '<th><button type="button">Type</button></th>' : ''}<th><button type="button">Key</button></th><th><button type="button">Action</button></th><th><button type="button">Code</button></th><th><button type="button">Message</button></th><th>Hint</th></tr>`;
  const body = rows.rows.map((r) => failedRow(r, fanned, t)).join('\n');
  return `<section id="rows"><h2>${heading} (<span id="rows-total">${t(rows.total)}</span>)</h2>${codeTable}${more}${controls}<table id="failed-rows"><thead>${head}</thead><tbody>
${body}
</tbody></table></section>`;
}

function failedRow(r: FailedRow, fanned: boolean, t: Esc): string {
  const hint = hintFor(r.code, r.message);
  return `<tr data-code="${t(r.code ?? 'failed')}"><td class="num nowrap" data-sort="${t(r.line ?? '')}">${t(r.line ?? '')}</td>${fanned ? `<td class="nowrap">${t(r.type ?? '')}</td>` : ''}<td class="mono key">${t(r.key)}</td><td class="nowrap">${t(r.action === 'fail' ? 'invalid' : r.action)}</td><td class="nowrap"><code>${t(r.code ?? '')}</code></td><td>${t(r.message)}</td><td class="hint">${hintOrDash(hint, t)}</td></tr>`;
}

function hintOrDash(hint: string | null, t: Esc): string {
  return hint ? t(hint) : '<span class="muted">—</span>';
}

function filesSection(s: Shown, files: readonly string[], t: Esc): string {
  const tryback = s.tryback ? basename(s.tryback) : null;
  const items: string[] = [];
  if (tryback && files.includes(tryback)) {
    items.push(`<li><a id="tryback" href="${t(href(tryback))}">${t(tryback)}</a>: the failed rows under the file's header, each after its reason; fix them and run this file again</li>`);
  }
  for (const f of files) {
    if (f === tryback) continue;
    items.push(`<li><a href="${t(href(f))}">${t(f)}</a>${FILE_WORDS[f] ? `: ${FILE_WORDS[f]}` : ''}</li>`);
  }
  if (s.retry) items.push(`<li>Kept for retry: <span class="mono">${t(s.retry.file)}</span> (${t(s.retry.rows)} row(s) Moodle could not take: ${t(s.retry.error)})</li>`);
  if (items.length === 0) return '';
  return `<section id="files"><h2>Files of this run</h2><p class="muted">In the same folder as this page.</p><ul class="plain">${items.join('')}</ul></section>`;
}

/** Whatever else the command's summary holds (a purge's candidates, a diff's findings, an export's output …). */
function detailsSection(s: Shown, t: Esc): string {
  const rest = Object.entries(s).filter(([k, v]) => !OWN_SECTIONS.has(k) && !(k === 'rows' && typeof v === 'number') && v !== undefined);
  if (rest.length === 0) return '';
  return `<section id="details"><h2>Details</h2><dl class="facts">${rest.map(([k, v]) => `<dt>${t(k)}</dt><dd>${t(plain(v))}</dd>`).join('')}</dl></section>`;
}

/** A summary value in a few words: objects as "key: value" pairs, lists joined. */
function plain(v: unknown, depth = 0): string {
  if (v === null) return 'none';
  if (typeof v !== 'object') return String(v);
  if (depth > 2) return '…';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map((x) => plain(x, depth + 1)).join('; ');
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length === 0 ? 'none' : entries.map(([k, x]) => `${k}: ${plain(x, depth + 1)}`).join(', ');
}

function href(name: string): string {
  return `./${encodeURIComponent(name)}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  const h = Math.floor(m / 60);
  const rest = `${Math.floor(seconds % 60)} s`;
  return h > 0 ? `${h} h ${m % 60} min ${rest}` : `${m} min ${rest}`;
}

/** Control characters (ESC, NUL …) have no place in a page: shown as the replacement character. Tabs and newlines stay. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
