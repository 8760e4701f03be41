/** reports/RUNID/rows.csv of a diff: a line per finding (per field for a changed record). Never a password. */
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { redactText, writePrivateFile } from '../report/index.js';
import type { DiffRow } from './types.js';

export const DIFF_CSV_COLUMNS = ['line', 'type', 'key', 'finding', 'field', 'file_value', 'moodle_value', 'moodle_id', 'repair', 'message'];

export async function writeDiffCsv(dir: string, rows: readonly DiffRow[]): Promise<string> {
  const path = join(dir, 'rows.csv');
  const cells = rows.map((r) => [r.line ?? '', r.type, r.key, r.finding, r.field ?? '', r.fileValue ?? '', r.moodleValue ?? '', r.moodleId ?? '', r.repair ?? '', r.message]);
  // escape_formulas: rows.csv is opened in spreadsheets (a key such as =HYPERLINK(…) shows as text), as a run's is.
  const text = stringify([DIFF_CSV_COLUMNS, ...cells.map((row) => row.map((c) => (typeof c === 'string' ? redactText(c) : c)))], { escape_formulas: true });
  await writePrivateFile(path, text);
  return path;
}
