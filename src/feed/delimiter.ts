/** Pure delimiter detection from the header line. */
import { FeedFileError } from './types.js';

export const CANDIDATE_DELIMITERS = ['|', ',', ';', '\t'] as const;

/** Counts of each candidate outside double-quoted stretches of the header. */
function countOutsideQuotes(text: string, chars: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(chars.map((c) => [c, 0]));
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) as number) + 1);
  }
  return counts;
}

/** The most frequent of | , ; tab outside quotes; ties go to the earlier one in that list. Comma when none occurs. */
export function detectDelimiter(headerText: string): string {
  const counts = countOutsideQuotes(headerText, CANDIDATE_DELIMITERS);
  let best: string = ',';
  let bestCount = 0;
  for (const c of CANDIDATE_DELIMITERS) {
    const n = counts.get(c) as number;
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}

export function showDelimiter(d: string): string {
  return d === '\t' ? 'tab' : `"${d}"`;
}

/**
 * A header that reads as one single cell holding punctuation was split with the wrong delimiter
 * (a forced --delimiter, or a separator mdlsync does not detect such as ":"). Header names are letters, digits and `_`.
 */
export function checkSingleColumn(columns: readonly string[], delimiter: string, forced: boolean): void {
  if (columns.length !== 1) return;
  const cell = columns[0];
  const counts = new Map<string, number>();
  for (const ch of cell) if (!/[\p{L}\p{N}_\s"-]/u.test(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  if (counts.size === 0) return;
  const seems = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const detectable = (CANDIDATE_DELIMITERS as readonly string[]).includes(seems);
  const fix = forced && detectable ? 'leave --delimiter out to have it detected' : `run with --delimiter ${showDelimiter(seems)}`;
  throw new FeedFileError(
    'wrong-delimiter',
    `the header "${cell}" reads as one single column with the delimiter ${showDelimiter(delimiter)}: the file seems to use ${showDelimiter(seems)}, ${fix}`,
  );
}
