import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedRows, failedRowsOf } from './failed-rows.js';
import { findReportPage } from './find-page.js';
import { renderHtmlReport } from './html.js';
import type { RunSummary, SummaryBase } from './types.js';

const MARKUP = '<b id="x">"it\'s" & more</b>';

function summary(extra: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: '20261205T120000000Z-abcd',
    file: `/in/${MARKUP}.txt`,
    sha256: 'f00',
    type: 'persons',
    op: 'store',
    dataSource: MARKUP,
    dryRun: false,
    startedAt: '2026-12-05T12:00:00.000Z',
    finishedAt: '2026-12-05T12:01:05.500Z',
    status: 'failed-rows',
    exitCode: 2,
    message: `1 row failed ${MARKUP}`,
    rows: 3,
    planned: { create: 2, adopt: 0, update: 0, enable: 0, disable: 0, delete: 0, unchanged: 0, fail: 1 },
    outcomes: { ok: 2, unchanged: 0, failed: 1, relinked: 0 },
    guard: null,
    moodleCalls: { total: 3, byFunction: { [MARKUP]: 1, core_user_create_users: 2 } },
    reportDir: '/r/20261205T120000000Z-abcd',
    archivedAs: null,
    tryback: '/r/20261205T120000000Z-abcd/x.tryback.txt',
    warnings: [MARKUP],
    error: { code: 'invalid-value', message: MARKUP },
    ...extra,
  };
}

const render = (s: SummaryBase, rows = new FailedRows(), secrets: string[] = [], files = ['rows.csv', 'summary.json', 'x.tryback.txt']) => renderHtmlReport(s, rows, { secrets, files });

describe('report.html', () => {
  test('every untrusted text is escaped: file name, data source, message, warnings, error, function names, keys', () => {
    const rows = failedRowsOf([{ line: 2, key: MARKUP, action: 'create', outcome: 'failed', errorcode: 'invalid-value', message: MARKUP }]);
    const html = render(summary(), rows);
    expect(html).not.toContain('<b id');
    const escaped = '&#60;b id=&#34;x&#34;&#62;&#34;it&#39;s&#34; &#38; more&#60;/b&#62;';
    // file, data source, message, warning, error, function, key and row message: eight places.
    expect(html.split(escaped).length - 1).toBe(8);
  });

  test('control characters (ESC, NUL …) never reach the page: each is shown as the replacement character', () => {
    const rows = failedRowsOf([{ line: 2, key: 'k\u001b[31m', action: 'create', outcome: 'failed', errorcode: 'invalid-value', message: 'a\u0000b\u007f' }]);
    const html = render(summary(), rows);
    // eslint-disable-next-line no-control-regex
    expect(html.match(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g)).toBeNull();
    expect(html).toContain('k\ufffd[31m');
    expect(html).toContain('a\ufffdb\ufffd');
  });

  test("a site note shows once, in its own section with what to do, escaped, and not again under Details", () => {
    const html = render(summary({ siteHints: [{ code: 'email-scan', message: `slow ${MARKUP}`, hint: 'CREATE INDEX … (lower(email));' }] }), new FailedRows());
    expect(html).toContain('<section id="site-hints"><h2>About the site</h2><div class="site-hint" data-code="email-scan">');
    expect(html).toContain('<p class="hint">What to do: CREATE INDEX … (lower(email));</p>');
    expect(html).not.toContain('<b id');
    expect(html.split('CREATE INDEX').length - 1).toBe(1);
    expect(render(summary(), new FailedRows())).not.toContain('site-hints');
  });

  test('the policy allows exactly the page’s own style and script, by hash, and nothing else', () => {
    const html = render(summary());
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    expect(csp).toContain(`style-src ${hash(style)};`);
    expect(csp).toContain(`script-src ${hash(script)};`);
    expect(csp).toMatch(/default-src 'none'/);
    expect(html.match(/<script/g)).toHaveLength(1);
    // No external asset: no src= at all, and the only links are to the run's own files.
    expect(html).not.toMatch(/\ssrc=/);
    expect([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual(['./x.tryback.txt', './rows.csv', './summary.json']);
  });

  test('failed rows past the cap are counted, not listed; each code counts all its rows', () => {
    const rows = new FailedRows('failed', 2);
    for (let i = 0; i < 5; i++) rows.add({ line: i + 2, key: `k${i}`, action: 'create', code: i < 4 ? 'invalid-value' : null, message: 'm' });
    expect(rows.rows).toHaveLength(2);
    expect(rows.counts.list().map((c) => [c.code, c.count])).toEqual([
      ['invalid-value', 4],
      ['failed', 1],
    ]);
    const html = render(summary(), rows);
    expect(html).toContain('The first 2 of 5 are listed; rows.csv holds the other 3.');
    expect(html.match(/<tr data-code=/g)).toHaveLength(2);
  });

  test('only failed outcomes are kept', () => {
    const rows = failedRowsOf([
      { line: 2, key: 'a', action: 'create', outcome: 'ok' },
      { line: 3, key: 'b', action: 'update', outcome: 'failed', errorcode: 'transient', message: 'timeout' },
      { line: 4, key: 'c', action: 'unchanged', outcome: 'unchanged' },
    ]);
    expect(rows.total).toBe(1);
    expect(rows.rows.map((r) => r.key)).toEqual(['b']);
  });

  test('a secret given for the page is redacted wherever it appears', () => {
    const html = render(summary({ message: 'password was Hunter-2222' }), failedRowsOf([{ line: 2, key: 'k', action: 'create', outcome: 'failed', message: 'Hunter-2222' }]), ['Hunter-2222']);
    expect(html).not.toContain('Hunter-2222');
    expect(html).toContain('[redacted]');
  });

  test('another command’s summary: its own fields under Details, no run facts it does not have', () => {
    const purge = {
      runId: '20261205T120000000Z-abcd',
      kind: 'purge',
      entity: 'persons',
      candidates: 4,
      guard: { message: 'would delete 4 of 100' },
      startedAt: '2026-12-05T12:00:00.000Z',
      finishedAt: '2026-12-05T12:00:01.000Z',
      status: 'ok',
      exitCode: 0,
      message: 'Purged 4.',
      outcomes: { ok: 4, unchanged: 0, failed: 0, relinked: 0 },
      moodleCalls: { total: 1, byFunction: {} },
      reportDir: '/r',
    } as SummaryBase;
    const html = render(purge, new FailedRows(), [], []);
    expect(html).toContain('<h1>mdlsync purge');
    expect(html).toMatch(/<dt>candidates<\/dt><dd>4<\/dd>/);
    expect(html).toContain('would delete 4 of 100');
    expect(html).not.toContain('<dt>File</dt>');
    expect(html).not.toContain('id="rows"');
  });

  test("the guard's numbers: an update verdict names the field it counted, a window's verdict has no limit", () => {
    const update = { kind: 'update' as const, entity: 'persons' as const, dataSource: null, owned: 120, toDisable: 0, limit: 30, refused: true, forced: false, updates: { field: 'any field', count: 120, byField: { 'any field': 120 } }, message: 'store would change…' };
    const u = render(summary({ guard: update }), new FailedRows(), [], []);
    expect(u).toContain('<h2>Safety guard: refused</h2>');
    expect(u).toContain('Would change the content (which field is not known) of 120 of 120 owned record(s); the limit without --force is 30.');
    const held = { ...update, kind: 'additions-only' as const, refused: false, updates: undefined, toDisable: 6, limit: 0, disablesHeld: true, message: 'additions-only window…' };
    const w = render(summary({ guard: held }), new FailedRows(), [], []);
    expect(w).toContain('<h2>Safety guard: disables held</h2>');
    expect(w).not.toContain('Would disable');
  });
});

describe('findReportPage', () => {
  test('the newest run by run id that has a page; a named run; why there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-pages-'));
    const page = (id: string) => {
      mkdirSync(join(dir, id));
      writeFileSync(join(dir, id, 'report.html'), '');
    };
    expect(findReportPage(dir)).toEqual({ missing: expect.stringMatching(/No run in .* has a report\.html yet/) });
    page('20261205T100000000Z-aaaa');
    page('20261205T110000000Z-0000');
    mkdirSync(join(dir, '20261205T120000000Z-ffff')); // still running: no page yet
    mkdirSync(join(dir, 'not-a-run'));
    expect(findReportPage(dir)).toEqual({ path: join(dir, '20261205T110000000Z-0000', 'report.html') });
    expect(findReportPage(dir, '20261205T100000000Z-aaaa')).toEqual({ path: join(dir, '20261205T100000000Z-aaaa', 'report.html') });
    expect(findReportPage(dir, '20261205T120000000Z-ffff')).toEqual({ missing: expect.stringMatching(/has no report\.html/) });
    expect(findReportPage(dir, '../etc')).toEqual({ missing: expect.stringMatching(/is not a run id/) });
    expect(findReportPage(join(dir, 'none'))).toEqual({ missing: expect.stringMatching(/no reports folder/) });
  });
});
