/** Categories feed headers. */
import { columnSpec, type HeaderTable } from '../../feed/columns.js';
import { COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, MOODLE_ID_COLUMNS, ROW_STATUS_COLUMN } from '../../feed/rows.js';
import { FeedFileError } from '../../feed/types.js';

/** Category feeds: SIS `EXTERNAL_CATEGORY_KEY, NAME, PARENT_KEY, DESCRIPTION`, Moodle `idnumber, name, parent, description`. */
export const CATEGORY_HEADERS: HeaderTable = {
  type: 'categories',
  // After every narrower type: a signature column, or a header of category columns only with `name` or `parent` (Moodle: idnumber,name,parent).
  detect: {
    rank: 60,
    test: (lower, columns) =>
      lower.some((n) => CATEGORY_HEADERS.signature.includes(n)) ||
      (lower.some((n) => n === 'name' || n === 'parent') && lower.every((n, i) => columnSpec(CATEGORY_HEADERS, n, columns[i]) !== undefined)),
  },
  keyTargets: () => [],
  sisOnly: {
    external_category_key: { kind: 'key', field: 'key' },
    parent_key: { kind: 'text', field: 'parent', target: 'parent' },
    row_status: ROW_STATUS_COLUMN,
  },
  shared: {
    name: { kind: 'text', field: 'name', target: 'name' },
    description: { kind: 'text', field: 'description', target: 'description' },
    ...MOODLE_ID_COLUMNS,
    ...COMMAND_COLUMNS,
    ...DATA_SOURCE_COLUMNS,
  },
  moodleOnly: {
    idnumber: { kind: 'key', field: 'key' },
    parent: { kind: 'text', field: 'parent', target: 'parent' },
  },
  signature: ['external_category_key', 'parent_key'],
  needs: 'a categories feed needs EXTERNAL_CATEGORY_KEY, or idnumber and name',
  missingKey(dialect, specs) {
    if (specs.some((s) => s.kind === 'key')) return undefined;
    return dialect === 'sis'
      ? new FeedFileError('missing-column', 'missing column "EXTERNAL_CATEGORY_KEY": a SIS categories feed needs it as the record key')
      : new FeedFileError(
          'missing-column',
          'missing column "idnumber": a Moodle-style categories feed needs it as the record key (or EXTERNAL_CATEGORY_KEY for the SIS format)',
        );
  },
};

