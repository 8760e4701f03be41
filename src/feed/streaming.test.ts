/** The reader streams: a large file costs time in proportion, not memory. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeed } from './index.js';

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

test(`reads ${ROWS} rows with small heap growth`, async () => {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const started = performance.now();
  const feed = await openFeed(path);
  let count = 0;
  let lastLine = 0;
  for await (const item of feed.items()) {
    if (item.error) throw new Error(`line ${item.line}: ${item.error.message}`);
    count++;
    lastLine = item.line;
    if ((count & 0x3fff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = (performance.now() - started) / 1000;
  expect(count).toBe(ROWS);
  expect(lastLine).toBe(ROWS + 1);
  // Holding the rows would take well over 100 MB; streaming keeps growth to chunks and garbage.
  expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  console.log(`feed reader: ${ROWS} rows in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds)} rows/s, heap growth peak ${((peak - before) / 1048576).toFixed(1)} MB`);
});
