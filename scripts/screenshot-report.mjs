#!/usr/bin/env node
// docs/report.png: a real run's report.html (the built CLI against the built-in sandbox, a persons file with a few
// rows Moodle takes and a few it refuses), photographed by Debian's Chromium through playwright-core.
// Run `npm run screenshot` (it builds first). MDLSYNC_TEST_CHROMIUM names another Chromium.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const root = new URL('..', import.meta.url).pathname;
const { startSandbox } = await import(join(root, 'dist/sandbox/server.js'));
const run = promisify(execFile);

const people = [
  ['S1001', 'amartin', 'Welcome-1001x', 'Ana', 'Martín', 'ana.martin@school.example'],
  ['S1002', 'bokafor', 'Welcome-1002x', 'Bola', 'Okafor', 'bola.okafor@school.example'],
  ['S1003', 'cnguyen', 'Welcome-1003x', 'Chi', 'Nguyen', 'chi.nguyen@school'],
  ['S1004', 'dschmidt', 'Welcome-1004x', 'David', 'Schmidt', 'david.schmidt@school.example'],
  ['S1005', 'ekowalska', 'Welcome-1005x', 'Ewa', 'Kowalska', 'ewa.kowalska@school.example'],
  ['S1006', 'fhassan', 'Welcome-1006x', 'Farah', '', 'farah.hassan@school.example'],
  ['S1007', 'gmoreau', 'Welcome-1007x', 'Guy', 'Moreau', 'guy.moreau@school.example'],
  ['S1008', 'hsato', 'Welcome-1008x', 'Hana', 'Sato', 'hana.sato@@school.example'],
  ['S1009', 'iolsen', 'Welcome-1009x', 'Ingrid', 'Olsen', 'ingrid.olsen@school.example'],
];
const header = ['EXTERNAL_PERSON_KEY', 'USER_ID', 'PASSWD', 'FIRSTNAME', 'LASTNAME', 'EMAIL'];

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-screenshot-'));
const sandbox = await startSandbox({});
try {
  writeFileSync(join(dir, 'students.txt'), [header, ...people].map((r) => r.join('|')).join('\n') + '\n');
  const env = { PATH: process.env.PATH ?? '', HOME: dir, MDLSYNC_URL: sandbox.url, MDLSYNC_TOKEN: sandbox.token };
  // Exit code 2: some rows failed, as the picture should show.
  await run(process.execPath, [join(root, 'bin/mdlsync.js'), 'run', 'students.txt', '--quiet'], { cwd: dir, env }).catch((err) => {
    if (err.code !== 2) throw err;
  });
  const runId = readdirSync(join(dir, 'reports')).filter((n) => /^\d{8}T/.test(n)).sort().pop();
  const page = join(dir, 'reports', runId, 'report.html');
  const summary = JSON.parse(readFileSync(join(dir, 'reports', runId, 'summary.json'), 'utf8'));
  const browser = await chromium.launch({
    executablePath: process.env.MDLSYNC_TEST_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await tab.goto(pathToFileURL(page).href);
    await tab.screenshot({ path: join(root, 'docs/report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`docs/report.png: run ${runId}, outcomes ${JSON.stringify(summary.outcomes)}`);
} finally {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
