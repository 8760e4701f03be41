/**
 * The dialects mdlsync reads: the one list. A dialect is the files of another tool (Moodle's upload tools,
 * enrol_flatfile, tool_sync, Blackboard, Canvas), declared in its folder; detection, `--dialect`, `mdlsync dialects`
 * and the "looks closest to" messages read it from here. Adding one: a folder under src/dialects/ and a line below.
 */
import { FeedFileError } from '../feed/types.js';
import type { DialectDefinition, DialectKind } from './definition.js';
import { columnOf } from './values.js';
import { enrolFlatfile } from './enrol-flatfile/index.js';
import { moodleUploaduser } from './moodle-uploaduser/index.js';
import { moodleUploadcourse } from './moodle-uploadcourse/index.js';
import { moodleUploadcohort } from './moodle-uploadcohort/index.js';
import { blackboard } from './blackboard/index.js';
import { toolSync } from './tool-sync/index.js';
import { canvas } from './canvas/index.js';

/** The name `--dialect` takes for mdlsync's own headers (SIS snapshot and Moodle-style). */
export const NATIVE_DIALECT = 'mdlsync';

export const DIALECTS: readonly DialectDefinition[] = [moodleUploaduser, moodleUploadcourse, moodleUploadcohort, enrolFlatfile, toolSync, blackboard, canvas];

/** `--dialect NAME` or `NAME/KIND` → the dialect (and kind); throws a usage-worthy FeedFileError for an unknown one. */
export function dialectNamed(spec: string): { dialect: DialectDefinition; kind?: DialectKind } {
  const [name, kindName] = spec.toLowerCase().split('/');
  const dialect = DIALECTS.find((d) => d.name === name);
  if (!dialect) throw new FeedFileError('unknown-type', `no dialect "${spec}": mdlsync reads ${[NATIVE_DIALECT, ...DIALECTS.map((d) => d.name)].join(', ')} (mdlsync dialects lists them)`);
  if (kindName === undefined) return { dialect };
  const kind = dialect.kinds.find((k) => k.name === kindName);
  if (!kind) throw new FeedFileError('unknown-type', `${dialect.title} has no "${kindName}" file: it has ${dialect.kinds.map((k) => k.name).join(', ')}`);
  return { dialect, kind };
}

/** The dialect kind whose header test the header passes (dialects in list order), or undefined. */
export function kindClaiming(lower: readonly string[]): { dialect: DialectDefinition; kind: DialectKind } | undefined {
  for (const dialect of DIALECTS) {
    for (const kind of dialect.kinds) if (!kind.headerless && kind.claims(lower)) return { dialect, kind };
  }
  return undefined;
}

/** What some column names ask for, in mdlsync's own terms. */
const EQUIVALENTS: Record<string, string> = {
  delete: 'to delete, run with --op delete, or give an ACTION column with "del" on the rows to delete',
  deleted: 'to disable accounts, run with --op delete, or give an ACTION column with "del"',
  remove: 'to remove, run with --op delete, or give an ACTION column with "del"',
  update: 'every store updates what exists and creates what does not (--op store)',
};

/**
 * For a header no table reads: the formats it looks closest to (most of its columns documented), and what its
 * columns ask for in mdlsync's terms; undefined when nothing comes close.
 */
export function describeUnplaced(lower: readonly string[]): string | undefined {
  const scored = DIALECTS.flatMap((d) =>
    d.kinds.filter((k) => !k.headerless).map((k) => ({ title: `${d.title} ${k.title} (--dialect ${d.name}/${k.name})`, known: lower.filter((n) => columnOf(k.columns, n) !== undefined).length })),
  )
    .filter((s) => s.known >= Math.max(1, Math.ceil(lower.length / 2)))
    .sort((a, b) => b.known - a.known)
    .slice(0, 2);
  const parts: string[] = [];
  if (scored.length > 0) parts.push(`The header looks closest to ${scored.map((s) => `${s.title}, ${s.known} of ${lower.length} columns`).join('; or ')}`);
  const asked = lower.filter((n) => Object.hasOwn(EQUIVALENTS, n)).map((n) => `"${n}": ${EQUIVALENTS[n]}`);
  if (asked.length > 0) parts.push(asked.join('; '));
  return parts.length > 0 ? `${parts.join('. ')}.` : undefined;
}

export type { DialectDefinition, DialectKind, DialectSettings } from './definition.js';
