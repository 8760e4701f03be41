/**
 * Additions-only windows (config guard.additionsOnly): spans of time (term rollover, when the SIS is known to be
 * incomplete) in which a refresh stores and holds every disable. Pure: the caller passes the instant to check.
 */
import { localTimeZone, parseCourseDate } from '../feed/dates.js';
import type { AdditionsOnlyWindow } from './types.js';

const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The window's span in epoch ms: [start, end), a plain `to` date counting as its whole day; undefined when unreadable. */
export function windowSpan(w: AdditionsOnlyWindow, timezone = 'UTC'): { start: number; end: number } | undefined {
  const from = parseCourseDate(w.from, timezone);
  const to = parseCourseDate(PLAIN_DATE.test(w.to.trim()) ? nextDay(w.to.trim()) : w.to, timezone);
  if (from === undefined || to === undefined) return undefined;
  // A plain `to` ends where the next day starts; a date-time `to` is itself inside (inclusive).
  const end = PLAIN_DATE.test(w.to.trim()) ? to * 1000 : to * 1000 + 1000;
  return { start: from * 1000, end };
}

/** The plain date after `date` (YYYY-MM-DD). */
function nextDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The first window `now` (epoch ms) falls in, or undefined. Plain dates are in `timezone`, absent: the machine's. */
export function activeWindow(windows: readonly AdditionsOnlyWindow[] | undefined, now: number | undefined, timezone?: string): AdditionsOnlyWindow | undefined {
  if (!windows || windows.length === 0 || now === undefined) return undefined;
  const zone = timezone ?? localTimeZone();
  return windows.find((w) => {
    const span = windowSpan(w, zone);
    return span !== undefined && now >= span.start && now < span.end;
  });
}

/** Why a window is not usable (for config validation), or undefined when it is. */
export function windowProblem(w: AdditionsOnlyWindow): string | undefined {
  const span = windowSpan(w);
  if (!span) return `"${w.from}" … "${w.to}": give dates as YYYY-MM-DD or ISO date-times (2026-08-15T06:00+02:00)`;
  if (span.end <= span.start) return `"${w.from}" … "${w.to}": the window ends before it starts`;
  return undefined;
}
