/**
 * The email-scan benchmark alone: `npm run build && node dist/bench/email-scan-main.js` (see email-scan.ts for its
 * BENCH_EMAIL_SCAN_* switches); writes the table to stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emailScanBench } from './email-scan.js';

const work = mkdtempSync(join(tmpdir(), 'mdlsync-email-scan-'));
try {
  await emailScanBench((s) => process.stdout.write(s + '\n'), work);
} finally {
  rmSync(work, { recursive: true, force: true });
}
