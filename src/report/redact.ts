/**
 * The one redaction every output goes through: the console, the log, the report files, the watch folder's reason
 * files, error sentences. Secrets are registered once, where they are read (the token by loadConfig, a password by
 * the command that asks for it), so a sink never needs to be handed them and none can forget one.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secret wherever they appear in a structured value (log entries, Moodle parameters). */
const SECRET_KEYS = /^(wstoken|token|password|passwd|newpassword)$/i;

/** Shorter values would blank out ordinary words; a Moodle token is 32 characters. */
const MIN_SECRET_LENGTH = 4;

/** Longest first, so a secret that contains another is replaced whole. */
let secrets: string[] = [];

/** Registers values never to show. Empty and too-short values are ignored. */
export function addSecrets(...values: readonly (string | null | undefined)[]): void {
  const next = new Set(secrets);
  for (const v of values) if (v && v.length >= MIN_SECRET_LENGTH) next.add(v);
  secrets = [...next].sort((a, b) => b.length - a.length);
}

/** `text` with every registered secret (and `extra`) replaced by [redacted]. */
export function redactText(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const s of extra.length > 0 ? [...secrets, ...extra.filter((e) => e.length >= MIN_SECRET_LENGTH)] : secrets) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** A copy of `value` with secrets removed from every string, and the values of secret-looking keys replaced. */
export function redactValue(value: unknown, extra: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, extra);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, extra, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? REDACTED : redactValue(v, extra, depth + 1);
  return out;
}
