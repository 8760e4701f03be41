/**
 * Whom a picture is for, from its file name: the name without its extension is a person key (the ledger's
 * persons link, else the Moodle user whose idnumber it is), a username, or an idnumber (`--match`). Pure.
 */
import type { PictureMatch } from '../ledger/index.js';

export const PICTURE_MATCHES: readonly PictureMatch[] = ['key', 'username', 'idnumber'];

export function isPictureMatch(v: string): v is PictureMatch {
  return (PICTURE_MATCHES as readonly string[]).includes(v);
}

/**
 * The person a file names: its name without the last extension, trimmed; a username lower-cased, as Moodle
 * stores usernames. Null for a name that is empty once the extension is gone (".jpg").
 */
export function nameOf(file: string, match: PictureMatch): string | null {
  const dot = file.lastIndexOf('.');
  const stem = (dot > 0 ? file.slice(0, dot) : file).trim();
  if (stem === '') return null;
  return match === 'username' ? stem.toLowerCase() : stem;
}

/** Names that more than one file gives (P1.jpg and P1.png): those files fail, since either could be meant. */
export function duplicateNames(names: readonly (string | null)[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const n of names) {
    if (n === null) continue;
    if (seen.has(n)) twice.add(n);
    seen.add(n);
  }
  return twice;
}
