/**
 * What tool_sync's files share: the identifier settings (what `uid`, `cid`, `userid` name) turned into mdlsync's
 * native reference columns, its local-time dates, and the one-row-per-thing rule for rows several lines repeat.
 */
import { ENTITY_TYPES, entity } from '../../entities/index.js';
import type { EntityType } from '../../entities/types.js';
import { FeedFileError } from '../../feed/types.js';
import type { DialectSettings } from '../definition.js';
import { PartFailure, unixTime } from '../values.js';

/** Whether a native feed of that type reads a (Moodle-style) column: references by other identifiers arrive over time. */
export function nativeHas(type: EntityType, column: string): boolean {
  if (!ENTITY_TYPES.includes(type)) return false;
  const h = entity(type).headers;
  return Object.hasOwn(h.shared, column) || Object.hasOwn(h.moodleOnly, column);
}

type Kind = DialectSettings['toolSync']['userIdentifier'] | DialectSettings['toolSync']['courseIdentifier'];

/** The native column naming a course in a feed of `type`, for tool_sync's course identifier; throws to refuse. */
export function courseColumn(type: EntityType, by: Kind, idnumberColumn: string, file: string): string {
  if (by === 'idnumber') return idnumberColumn;
  if (by === 'shortname' && nativeHas(type, 'course_shortname')) return 'course_shortname';
  throw refusal(file, 'courseIdentifier', by, type);
}

/** The native column naming a user in a feed of `type`, for tool_sync's user identifier; throws to refuse. */
export function userColumn(type: EntityType, by: Kind, idnumberColumn: string, file: string): string {
  if (by === 'idnumber') return idnumberColumn;
  if (by === 'username' && nativeHas(type, 'username')) return 'username';
  throw refusal(file, 'userIdentifier', by, type);
}

function refusal(file: string, setting: string, by: string, type: EntityType): FeedFileError {
  const why =
    by === 'id'
      ? 'Moodle ids: mdlsync names users and courses by their keys (idnumber), not by Moodle ids, which differ from site to site'
      : by === 'email'
        ? 'e-mail addresses: mdlsync does not look users up by e-mail (two accounts may share one)'
        : `${by}s: mdlsync's ${type} feeds cannot look them up by ${by} yet`;
  return new FeedFileError(
    'unknown-header',
    `the tool_sync ${file} file names them by ${why}. Set dialects.toolSync.${setting} to idnumber (and write idnumbers in the file), as tool_sync's own setting allows`,
  );
}

/**
 * A tool_sync date (`YYYY-MM-DD hh:mm:ss` in the site's time, or the Unix time its help text promises) → Unix seconds
 * as a string, '' for an empty cell, or a failure naming the value: tool_sync silently turns an unreadable date into
 * "now" or "no end", mdlsync fails the row instead.
 */
export function localTime(value: string, column: string, key: string, settings: DialectSettings): string | PartFailure {
  const v = value.trim();
  if (v === '' || v === '0') return '';
  const t = unixTime(v, { order: settings.dateOrder, ...(settings.timezone ? { timezone: settings.timezone } : {}) });
  if (Number.isNaN(t)) return new PartFailure('invalid-value', `column ${column} has "${v}", expected a date such as 2026-09-01 08:00:00 (or a Unix time)`, key);
  return String(t);
}

/**
 * The first line a thing appears on. Each native part reads the whole file through the same translation, so "only
 * once" must mean "on the same line in every pass", never "the first time this closure sees it".
 */
export function firstLines(): (key: string, line: number) => boolean {
  const first = new Map<string, number>();
  return (key, line) => {
    const seen = first.get(key);
    if (seen === undefined || line < seen) first.set(key, line);
    return first.get(key) === line;
  };
}

/** tool_sync category paths: backslashes are slashes, leading and trailing slashes are dropped. */
export function categoryPath(value: string): string {
  return value.trim().replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
}
