/**
 * The value conventions dialects share: dates as the source tools read them (Unix time, ISO, d.m.Y, m/d/Y or d/m/Y,
 * Blackboard's yyyymmdd), yes/no flags, and a part's own row failure. Pure.
 */
import { localTimeZone, parseCourseDate } from '../feed/dates.js';
import type { DialectColumn } from './definition.js';

export { PartFailure } from './definition.js';

const DMY = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const SLASH = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;

/**
 * A date as Moodle's upload tools and the SIS formats write it → Unix seconds, or NaN. Unix time (digits) as is;
 * ISO (`2026-09-01`, `2026-09-01 08:30`, with or without an offset), `d.m.Y`, `m/d/Y` (or `d/m/Y` with order dmy)
 * and `yyyymmdd` read in the zone given (default the machine's), as Moodle reads them in the site's.
 */
export function unixTime(value: string, opts: { order?: 'mdy' | 'dmy'; timezone?: string } = {}): number {
  const v = value.trim();
  const tz = opts.timezone ?? localTimeZone();
  if (/^\d{9,11}$/.test(v)) return Number(v);
  let iso: string | undefined;
  const compact = COMPACT.exec(v);
  if (compact) iso = `${compact[1]}-${compact[2]}-${compact[3]}`;
  const dmy = DMY.exec(v);
  if (dmy) iso = isoOf(dmy[3], dmy[2], dmy[1], dmy[4], dmy[5], dmy[6]);
  const slash = SLASH.exec(v);
  if (slash) iso = opts.order === 'dmy' ? isoOf(slash[3], slash[2], slash[1], slash[4], slash[5], slash[6]) : isoOf(slash[3], slash[1], slash[2], slash[4], slash[5], slash[6]);
  const t = parseCourseDate(iso ?? v, tz);
  return t === undefined ? NaN : t;
}

function isoOf(y: string, m: string, d: string, h?: string, mi?: string, s?: string): string {
  const date = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  return h === undefined ? date : `${date}T${h.padStart(2, '0')}:${mi}:${s ?? '00'}`;
}

const TRUE = new Set(['1', 'y', 'yes', 'true', 'on']);
const FALSE = new Set(['0', 'n', 'no', 'false', 'off']);

/** A yes/no cell → true, false, or undefined when it is neither. */
export function flag(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
}

/** A documented column, by treatment (see DialectColumn). */
export const acts = (name: string, means: string): DialectColumn => ({ name, treatment: 'acts', means });
export const warns = (name: string, means: string): DialectColumn => ({ name, treatment: 'warns', means });
export const refuses = (name: string, means: string): DialectColumn => ({ name, treatment: 'refuses', means });

/** Columns a dialect names as warnings, with the file's own spelling, grouped into one sentence each. */
export function columnWarnings(lower: readonly string[], columns: readonly string[], table: readonly DialectColumn[], matches: (pattern: string, name: string) => boolean = sameName): string[] {
  const out: string[] = [];
  for (const col of table) {
    if (col.treatment !== 'warns') continue;
    const present = lower.flatMap((n, i) => (matches(col.name, n) ? [columns[i]] : []));
    if (present.length > 0) out.push(`${present.join(', ')}: ${col.means}`);
  }
  return out;
}

/** Whether a header name is a documented column name; `<N>` matches a number, `<name>` any suffix. */
export function sameName(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.includes('<')) return p === name;
  const re = new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<n>/g, '\\d+').replace(/<name>/g, '.+')}$`);
  return re.test(name);
}

/** The first documented column a header name is, or undefined. */
export function columnOf(table: readonly DialectColumn[], name: string): DialectColumn | undefined {
  return table.find((c) => sameName(c.name, name));
}
