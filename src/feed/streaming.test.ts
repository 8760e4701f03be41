/** The reader streams: a large file costs time in proportion, not memory. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROWS = 200_000;
const dir = mkdtempSync(join(tmpdir(), 'mdlsync-feed-stream-'));
const path = join(dir, 'big.txt');

beforeAll(async () => {
  const out = createWriteStream(path);
  out.write('EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|EMAIL|AVAILABLE_IND\n');
  const lines: string[] = [];
  for (let i = 1; i <= ROWS; i++) {
    lines.push(`P${i}|user${i}|changeme|First${i}|Last${i}|user${i}@example.edu|Y\n`);
    if (lines.length === 10_000) {
      if (!out.write(lines.join(''))) await once(out, 'drain');
      lines.length = 0;
    }
  }
  out.end(lines.join(''));
  await once(out, 'finish');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Measured in a plain node process on the built reader (dist/, built by `npm test`): jest's sandbox slows csv-parse
 * several-fold, and --expose-gc lets the check count what is retained, not garbage not yet collected.
 */
const PROBE = `
const { openFeed } = await import(process.argv[1]);
const path = process.argv[2];
gc();
const before = process.memoryUsage().heapUsed;
let peak = 0, count = 0, lastLine = 0, errors = 0;
for await (const item of (await openFeed(path)).items()) {
  if (item.error) errors++;
  count++;
  lastLine = item.line;
  if ((count & 0x3fff) === 0) { gc(); peak = Math.max(peak, process.memoryUsage().heapUsed - before); }
}
console.log(JSON.stringify({ count, lastLine, errors, peak }));
`;

test(`reads ${ROWS} rows keeping memory flat`, () => {
  const reader = join(import.meta.dirname, '..', '..', 'dist', 'feed', 'index.js');
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE, reader, path], { encoding: 'utf8' });
  const r = JSON.parse(out) as { count: number; lastLine: number; errors: number; peak: number };
  expect(r).toMatchObject({ count: ROWS, lastLine: ROWS + 1, errors: 0 });
  // Holding 200k rows would retain well over 50 MB; streaming retains only the current chunk.
  expect(r.peak).toBeLessThan(16 * 1024 * 1024);
});
