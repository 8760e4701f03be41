/** Generated SIS person feeds for the benchmark: realistic widths, policy-compliant passwords, two data sources. */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

export async function generatePersons(path: string, n: number, opts: { prefix?: string } = {}): Promise<void> {
  const prefix = opts.prefix ?? 'b';
  const out = createWriteStream(path);
  out.write('EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|EMAIL|AVAILABLE_IND|DATA_SOURCE_KEY\n');
  let buf = '';
  for (let i = 1; i <= n; i++) {
    const id = String(i).padStart(7, '0');
    buf += `${prefix.toUpperCase()}${id}|${prefix}${id}|Secret-${id}x|First${id}|Last${id}|${prefix}${id}@example.edu|Y|SIS.${i % 2 ? 'A' : 'B'}\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.end(buf);
  await finished(out);
}
