/**
 * Course dates: an ISO date (`2026-09-01`) or date-time (`2026-09-01T08:30`, `2026-09-01 08:30:00`), read in a
 * time zone (IANA name) unless the value carries its own offset (`Z`, `+02:00`). Pure: Intl only, no clock.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The machine's time zone. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Offsets per time zone and 15-minute slot: zone offsets and daylight-saving changes fall on quarter hours of UTC,
 * so one slot has one offset. A feed's dates repeat a lot, and formatToParts is the costly part of reading them.
 */
const offsetCache = new Map<string, number>();
const QUARTER_HOUR = 900_000;

/** Offset of `tz` from UTC at the instant `ms`, in ms. */
function offsetAt(ms: number, tz: string): number {
  const slot = `${tz}|${Math.floor(ms / QUARTER_HOUR)}`;
  const known = offsetCache.get(slot);
  if (known !== undefined) return known;
  const offset = computeOffset(ms, tz);
  if (offsetCache.size > 10_000) offsetCache.clear();
  offsetCache.set(slot, offset);
  return offset;
}

function computeOffset(ms: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Unix seconds of a date cell, or undefined when the value is not a valid ISO date / date-time. */
export function parseCourseDate(value: string, tz: string): number | undefined {
  const m = DATE.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return undefined; // 2026-02-30
  let ms: number;
  const zone = m[7];
  if (zone !== undefined) {
    const off = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2))) * 60_000;
    ms = wall - off;
  } else {
    // Two passes settle the offset across a daylight-saving change.
    ms = wall - offsetAt(wall, tz);
    ms = wall - offsetAt(ms, tz);
  }
  return Math.floor(ms / 1000);
}
