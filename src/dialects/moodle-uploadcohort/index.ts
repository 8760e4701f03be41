/**
 * Moodle's Upload cohorts page (cohort/upload.php): a CSV with a header, one cohort a line; `name` is the only
 * column it needs. Its columns become a native cohorts feed. A cohort without an idnumber is keyed by its name (the
 * native cohorts entity needs a key), which also becomes its idnumber in Moodle so the next run finds it again.
 * Source: https://docs.moodle.org/en/Upload_cohorts and cohort/upload_form.php (process_upload_file,
 * clean_cohort_data, resolve_context).
 */
import type { DialectColumn, DialectDefinition, NativeRow, Translation } from '../definition.js';
import { FeedFileError } from '../../feed/types.js';
import { columnOf, columnWarnings } from '../values.js';

export const UPLOADCOHORT_COLUMNS: readonly DialectColumn[] = [
  { name: 'name', treatment: 'acts', means: 'the cohort name (required)' },
  { name: 'idnumber', treatment: 'acts', means: "the cohort's idnumber: mdlsync's key for it; empty: the name is the key, and becomes the idnumber" },
  { name: 'description', treatment: 'acts', means: 'the description' },
  { name: 'visible', treatment: 'acts', means: 'empty, 1, yes, true, on: visible; 0, no, n, false, off: hidden (as the upload page reads it)' },
  { name: 'contextid', treatment: 'acts', means: '1 (the system context) only: a category context id differs per site' },
  { name: 'context', treatment: 'acts', means: '"System" or 1: the system context; anything else is read as category' },
  { name: 'category', treatment: 'acts', means: 'the category: a number is its id, else its idnumber' },
  { name: 'category_id', treatment: 'acts', means: 'the category, by Moodle id' },
  { name: 'category_idnumber', treatment: 'acts', means: 'the category, by idnumber' },
  { name: 'category_path', treatment: 'refuses', means: 'a row that names a category by path fails: give category_idnumber or category_id instead' },
  { name: 'descriptionformat', treatment: 'warns', means: 'not set: the description is sent in Moodle\'s default format (HTML)' },
  { name: 'theme', treatment: 'warns', means: 'not set: mdlsync does not send cohort themes' },
];

/** Columns the upload page reads that no native cohorts or categories file has. */
const OWN = ['descriptionformat', 'theme', 'category_path', 'contextid', 'context', 'category', 'category_id', 'category_idnumber', 'visible'];

/**
 * An Upload cohorts header: `name`, only the page's columns, and a cohort column (where it lives, visibility, format,
 * theme), or no idnumber at all (`name` alone, `name,description`). `idnumber,name,description` is left to the
 * categories feed it also is.
 */
export function claimsUploadCohort(lower: readonly string[]): boolean {
  if (!lower.includes('name') || !lower.every((n) => columnOf(UPLOADCOHORT_COLUMNS, n) !== undefined)) return false;
  return !lower.includes('idnumber') || lower.some((n) => OWN.includes(n));
}

type Place = { system: true } | { id: string } | { idnumber: string } | { error: string };

/** Where a row puts its cohort, in resolve_context()'s order: contextid, context, category_path, then the category columns. */
function placeOf(get: (name: string) => string): Place | undefined {
  const contextid = get('contextid');
  if (contextid !== '') return contextid === '1' ? { system: true } : { error: `contextid ${contextid}: only 1 (the system context) is read; give the category in category_idnumber or category_id` };
  let category = get('category');
  const context = get('context');
  if (context !== '') {
    if (context.toLowerCase() === 'system' || context === '1') return { system: true };
    category = context;
  }
  const path = get('category_path');
  if (path !== '' || category.includes(' / ')) {
    return { error: `category path ${path || category}: mdlsync does not find cohort categories by path; give category_idnumber or category_id` };
  }
  if (get('category_id') !== '') return { id: get('category_id') };
  if (get('category_idnumber') !== '') return { idnumber: get('category_idnumber') };
  if (category !== '') return /^\d+$/.test(category) ? { id: category } : { idnumber: category };
  return undefined;
}

/** clean_cohort_data(): empty is visible; no/n hidden; else PARAM_BOOL (on/yes/true, off/no/false, non-empty). */
function visibleOf(v: string): '0' | '1' {
  const s = v.trim().toLowerCase();
  if (s === '') return '1';
  if (['no', 'n', 'off', 'false', '0'].includes(s)) return '0';
  return '1';
}

export const moodleUploadcohort: DialectDefinition = {
  name: 'moodle-uploadcohort',
  title: 'Moodle Upload cohorts',
  source: 'https://docs.moodle.org/en/Upload_cohorts',
  kinds: [
    {
      name: 'cohorts',
      title: 'file',
      entities: ['cohorts'],
      claims: claimsUploadCohort,
      columns: UPLOADCOHORT_COLUMNS,
      compile(lower, columns) {
        if (!lower.includes('name')) throw new FeedFileError('missing-column', 'missing column "name": Upload cohorts needs it');
        const at = (name: string): number => lower.indexOf(name);
        // The native feed has one slot for where a cohort lives: category ids when the file has a category_id column, else idnumbers.
        const byId = lower.includes('category_id');
        const header = ['idnumber', 'name', 'description', 'visible', byId ? 'category_id' : 'context'];
        const warnings = columnWarnings(lower, columns, UPLOADCOHORT_COLUMNS);
        return {
          parts: [{ type: 'cohorts', header }],
          warnings,
          translate(cells): Translation {
            const get = (name: string): string => (at(name) < 0 ? '' : cells[at(name)].trim());
            const name = get('name');
            const key = get('idnumber') || name || undefined;
            if (name === '') return { error: { code: 'missing-value', message: 'name is empty: a cohort needs a name', key } };
            const row: NativeRow = { idnumber: key!, name, description: get('description'), visible: visibleOf(get('visible')) };
            const place = placeOf(get);
            if (place && 'error' in place) return { error: { code: 'invalid-value', message: place.error, key } };
            if (place && 'id' in place) {
              if (!byId) return { error: { code: 'invalid-value', message: `category id ${place.id}: in this file give the category's idnumber (or add a category_id column for ids)`, key } };
              row.category_id = place.id;
            } else if (place && 'idnumber' in place) {
              if (byId) return { error: { code: 'invalid-value', message: `category ${place.idnumber}: in a file with a category_id column give every category by id`, key } };
              row.context = place.idnumber;
            } else if (place && !byId) row.context = 'system';
            return { rows: { cohorts: [row] } };
          },
        };
      },
    },
  ],
};
