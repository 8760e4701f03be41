/** Observer feed headers and row mapper: EXTERNAL_OBSERVER_KEY|EXTERNAL_USER_KEY, the pair row shared with institution roles. */
import type { HeaderAnalysis, HeaderTable } from '../../feed/columns.js';
import { missingKeyColumns, type RowMapper } from '../../feed/rows.js';
import type { ObserverRecord } from './record.js';
import { text, common, pairMapper } from '../institution-roles/feed.js';

export const OBSERVER_HEADERS: HeaderTable = {
  type: 'observers',
  detect: { rank: 20, test: (lower) => lower.some((n) => OBSERVER_HEADERS.signature.includes(n)) },
  keyTargets: () => ['observer', 'user'],
  sisOnly: { external_observer_key: text('observer'), external_user_key: text('user') },
  shared: common,
  moodleOnly: {},
  signature: ['external_observer_key', 'external_user_key'],
  needs: 'an observers feed needs EXTERNAL_OBSERVER_KEY and EXTERNAL_USER_KEY',
  missingKey: (_d, specs) => missingKeyColumns(specs, [['observer', 'EXTERNAL_OBSERVER_KEY'], ['user', 'EXTERNAL_USER_KEY']], 'an observers feed needs the observer key and the observed person key'),
};

export function observerRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<ObserverRecord> {
  return pairMapper<ObserverRecord>(header, columns, ['observer', 'user'], (observer, user) => {
    const key = `${observer}|${user}`;
    return { key, record: { key, fields: { observer, user } } };
  });
}
