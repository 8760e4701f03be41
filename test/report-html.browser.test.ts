/**
 * reports/RUNID/report.html in a real headless Chromium (Debian's, through playwright-core: no browser download): a run
 * of known counts against the sandbox, with keys that are markup. MDLSYNC_TEST_CHROMIUM names the browser (CI sets it:
 * the test then runs or fails); otherwise /usr/bin/chromium when present, else the test is skipped with a line saying so.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

const EXPLICIT = process.env.MDLSYNC_TEST_CHROMIUM;
const CHROMIUM = EXPLICIT || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null);
if (!CHROMIUM) console.log('report-html.browser.test.ts: browser tests skipped: no /usr/bin/chromium and MDLSYNC_TEST_CHROMIUM is not set');
const withBrowser = CHROMIUM ? describe : describe.skip;

const SCRIPT_KEY = '<script>window.__pwned=1</script>';
const IMG_KEY = '<img src=x onerror="window.__pwned=2">';

let ws: Workspace;
let browser: Browser;
let runSummary: Record<string, unknown> & { reportDir: string };
let planSummary: Record<string, unknown> & { reportDir: string };

beforeAll(async () => {
  ws = await workspace();
  const rows = persons(5);
  rows[1][0] = SCRIPT_KEY;
  rows[1][5] = 'not-an-email';
  rows[2][0] = IMG_KEY;
  rows[2][5] = 'bad@';
  rows[3][4] = ''; // no last name: invalid in the plan
  const file = ws.write('people.txt', sisFile(SIS_HEADER, rows));
  expect((await ws.cli(['plan', file])).code).toBe(0);
  planSummary = ws.lastSummary();
  expect((await ws.cli(['run', file])).code).toBe(2);
  runSummary = ws.lastSummary();
  if (CHROMIUM) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ws?.close();
});

/** The page opened from file://, with every console error and uncaught page error it caused. */
async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  // Nothing but the page itself may load: any other request is a leak of the report or an external asset.
  page.on('request', (r) => {
    if (r.url() !== pathToFileURL(path).href) errors.push(`request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(path).href);
  return { page, errors };
}

const visibleRows = (page: Page) => page.locator('#failed-rows tbody tr:visible');

withBrowser('report.html in Chromium', () => {
  test('a run: counts as in summary.json, failed rows filtered and sorted, planted markup shown as text and never run', async () => {
    const { page, errors } = await open(join(runSummary.reportDir, 'report.html'));
    const outcomes = runSummary.outcomes as Record<string, number>;
    expect(outcomes.failed).toBe(3);
    for (const [k, n] of Object.entries(outcomes)) expect(await page.locator(`[data-count="outcome-${k}"]`).textContent()).toBe(String(n));
    for (const [k, n] of Object.entries(runSummary.planned as Record<string, number>)) expect(await page.locator(`[data-count="planned-${k}"]`).textContent()).toBe(String(n));
    expect(await page.locator('#status').getAttribute('data-status')).toBe('failed-rows');
    expect(await page.locator('#calls-total').textContent()).toBe(String((runSummary.moodleCalls as { total: number }).total));

    expect(await visibleRows(page).count()).toBe(3);
    await page.locator('#filter').fill('P0004');
    expect(await visibleRows(page).count()).toBe(1);
    await page.locator('#filter').fill('<script>');
    expect(await visibleRows(page).locator('td.key').allTextContents()).toEqual([SCRIPT_KEY]);
    await page.locator('#filter').fill('');
    await page.locator('#code-filter').selectOption('missing-value');
    expect(await visibleRows(page).locator('td.key').allTextContents()).toEqual(['P0004']);
    await page.locator('#code-filter').selectOption('');
    expect(await page.locator('#rows-shown').textContent()).toBe('3');

    // Sorting by line, descending on the second click.
    await page.locator('#failed-rows thead button', { hasText: 'Line' }).click();
    await page.locator('#failed-rows thead button', { hasText: 'Line' }).click();
    expect(await page.locator('#failed-rows tbody tr td:first-child').allTextContents()).toEqual(['5', '4', '3']);

    expect(await page.locator('td.key', { hasText: 'onerror' }).textContent()).toBe(IMG_KEY);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#tryback').getAttribute('href')).toBe('./people.tryback.txt');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a dry run lists the rows its plan marks invalid', async () => {
    const { page, errors } = await open(join(planSummary.reportDir, 'report.html'));
    expect(await page.locator('#status').getAttribute('data-status')).toBe('dry-run');
    expect(await page.locator('[data-count="planned-fail"]').textContent()).toBe(String((planSummary.planned as Record<string, number>).fail));
    expect(await visibleRows(page).locator('td.key').allTextContents()).toEqual(['P0004']);
    expect(await page.locator('[data-count^="outcome-"]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the policy stops a script that escaping had let through', async () => {
    const html = readFileSync(join(runSummary.reportDir, 'report.html'), 'utf8').replace('<main>', '<main><script>window.__pwned=3</script>');
    const tampered = join(ws.dir, 'tampered.html');
    writeFileSync(tampered, html);
    const { page, errors } = await open(tampered);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(errors.some((e) => /Content Security Policy/i.test(e))).toBe(true);
    // The page's own script still runs: its filter works.
    await page.locator('#filter').fill('P0004');
    expect(await visibleRows(page).count()).toBe(1);
    await page.close();
  });
});

describe('mdlsync report', () => {
  test('prints the newest run’s page, or a given run’s; a missing run is one sentence and exit 1', async () => {
    const newest = await ws.cli(['report']);
    expect(newest).toMatchObject({ code: 0, stdout: join(runSummary.reportDir, 'report.html') + '\n' });
    const runId = String(planSummary.runId);
    expect((await ws.cli(['report', runId])).stdout).toBe(join(planSummary.reportDir, 'report.html') + '\n');
    const missing = await ws.cli(['report', '20200101T000000000Z-0000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/report folder of run 20200101T000000000Z-0000 .* does not exist/);
    const none = await ws.cli(['report', '--reports', 'nowhere']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no reports folder .*nowhere/i);
  });
});
