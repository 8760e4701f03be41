/**
 * `mdlsync export grades|completions`: reads the chosen courses' grades or completions from Moodle and writes them
 * for the SIS, one job of the conductor (session, run record, reports/RUNID/, closing sentence) like every command
 * that talks to Moodle.
 *
 * Calls, per course: grades, one gradereport_user_get_grade_items without a user (every active student at once),
 * plus one per student Moodle's reports leave out but the ledger enrolled (suspended): the fewest the functions
 * allow. Completions, one core_enrol_get_enrolled_users (the active students), then one
 * core_completion_get_course_completion_status per student (the function takes one user and one course), none
 * more once the first says the course has no criteria (nocriteriaset: "not tracked"), and one
 * core_completion_get_activities_completion_status per student with --activities.
 *
 * A course that fails (gone from Moodle, no permission) is a failed row in rows.csv; the others are written. The
 * ledger's export_state learns what was written only once the output is complete, so `--changes` compares with what
 * the SIS really received.
 */
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import type winston from 'winston';
import type { Outcome } from '../apply/types.js';
import { backoffDelay, sleep } from '../apply/limiter.js';
import type { Config } from '../config/index.js';
import { conduct, startingSummary, EXIT, type Job } from '../conductor.js';
import { exportRowKey, type ExportedRow, type LedgerStore } from '../ledger/index.js';
import {
  getActivitiesCompletionStatus, getCourseCompletionStatus, getCoursesByField, getEnrolledUsers, getGradeItems,
  isTransient, MoodleError, type MoodleCaller, type MoodleClient,
} from '../moodle/index.js';
import { writePrivateFile, type ProgressSink, type SummaryBase } from '../report/index.js';
import {
  activityRows, cellsOf, completedAt, completionRow, delimiterOf, emptyGradeRow, gradeRows, headerOf, rowHash,
  rowIdentity, type CompletionRow, type EnrolmentStatus, type ExportDialect, type ExportKind, type ExportRow, type RowBase,
} from './rows.js';
import { EXPORT_FUNCTIONS } from './functions.js';
import { Refusal } from '../refusal.js';
import { ledgerEnrolments, personKeys, resolveCourses, scopeName, type LedgerEnrolment, type ScopeCourse } from './scope.js';

export interface ExportRequest {
  kind: ExportKind;
  courses?: string[];
  category?: string;
  /** grades: a row per grade item too; completions: a row per activity too. */
  details?: boolean;
  /** Only rows that changed since the last export of the same scope. */
  changes?: boolean;
  dialect?: ExportDialect;
  /** Output file; undefined: stdout (`write`). */
  output?: string;
  /** Leave out persons the ledger does not link (default: kept, with an empty key). */
  linkedOnly?: boolean;
}

export interface ExportDeps {
  config: Config;
  logger: winston.Logger;
  progress?: ProgressSink;
  /** Where the CSV goes without --output (the CLI: process.stdout). */
  write?: (text: string) => void;
}

/** reports/RUNID/summary.json of an export. */
export interface ExportSummary extends SummaryBase {
  kind: 'export';
  what: ExportKind;
  scope: string;
  dialect: ExportDialect;
  output: string;
  changesOnly: boolean;
  courses: { total: number; exported: number; failed: number; notTracked: number };
  rows: { read: number; written: number; unchanged: number };
  /** sha256 of what was written. */
  sha256: string | null;
}

/** What a course gave: its rows, or why it failed. */
interface CourseResult {
  course: ScopeCourse;
  rows: ExportRow[];
  failure?: Outcome;
  notTracked?: boolean;
}

interface Context {
  client: MoodleCaller;
  req: ExportRequest;
  config: Config;
  persons: Map<number, string>;
  enrolments: Map<string, LedgerEnrolment[]>;
  /** Counts a failed per-person call (the rest of the course goes on). */
  personFailures: Outcome[];
}

/** A read with retries on transient failures (outage, 5xx, timeouts), as the apply engine retries its writes. */
async function read<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= config.moodle.retries) throw err;
      await sleep(backoffDelay(attempt, config.moodle.backoffMs));
    }
  }
}

/** Runs fn over items, at most n at once, results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}

/** A failure's row: Moodle's errorcode (or transient) and a sentence naming the course and what to do. */
function failureOf(kind: ExportKind, course: ScopeCourse, err: unknown, who?: string): Outcome {
  const base = { line: null, type: kind, key: who ? `${course.key}|${who}` : course.key, action: 'fail' as const, outcome: 'failed' as const, moodleId: course.moodleId };
  if (err instanceof MoodleError) {
    const what = who ? `the ${kind} of ${who} in course ${course.key}` : `the ${kind} of course ${course.key}`;
    const message = err.errorcode === 'invalidrecord'
      ? `course ${course.key} (Moodle id ${course.moodleId}) is no longer in Moodle: it was deleted there; nothing exported for it`
      : /permission|nopermissions|accessexception|cannotview|notingroup/.test(err.errorcode)
        ? `Moodle refused ${what} (${err.errorcode}: ${err.message}): give the service user the capability in that course`
        : `Moodle refused ${what} (${err.errorcode}: ${err.message})`;
    return { ...base, errorcode: err.errorcode, message };
  }
  if (isTransient(err)) return { ...base, errorcode: 'transient', message: `Moodle did not answer for course ${course.key}: ${(err as Error).message}` };
  throw err;
}

function baseOf(ctx: Context, course: ScopeCourse, userId: number, enrolment: EnrolmentStatus): Omit<RowBase, 'itemType' | 'itemKey' | 'itemName'> | null {
  const personKey = ctx.persons.get(userId) ?? '';
  if (personKey === '' && ctx.req.linkedOnly) return null;
  return { personKey, courseKey: course.key, userId, courseId: course.moodleId, enrolment };
}

/**
 * Students the ledger enrolled in the course whom Moodle's active list lacks: suspended (as mdlsync sent it), or
 * inactive (suspended by hand, out of its dates). Enrolments mdlsync removed and other roles are not students here.
 */
function leftOut(ctx: Context, course: ScopeCourse, active: Set<number>): { e: LedgerEnrolment; status: EnrolmentStatus }[] {
  return (ctx.enrolments.get(course.key) ?? [])
    .filter((e) => e.role === 'student' && !e.unenrolled && !active.has(e.userId))
    .map((e) => ({ e, status: e.suspended ? 'suspended' : 'inactive' }));
}

async function gradesOf(ctx: Context, course: ScopeCourse): Promise<CourseResult> {
  let users;
  try {
    users = await read(ctx.config, () => getGradeItems(ctx.client, course.moodleId));
  } catch (err) {
    return { course, rows: [], failure: failureOf('grades', course, err) };
  }
  const rows: ExportRow[] = [];
  for (const u of users) {
    const base = baseOf(ctx, course, u.userid, 'active');
    if (base) rows.push(...gradeRows(base, u.gradeitems, ctx.req.details ?? false));
  }
  // Moodle's whole-course report leaves suspended students out; asked one by one, it gives their grades.
  for (const { e, status } of leftOut(ctx, course, new Set(users.map((u) => u.userid)))) {
    const base = baseOf(ctx, course, e.userId, status);
    if (!base) continue;
    try {
      const [one] = await read(ctx.config, () => getGradeItems(ctx.client, course.moodleId, e.userId));
      rows.push(...(one ? gradeRows(base, one.gradeitems, ctx.req.details ?? false) : [emptyGradeRow(base)]));
    } catch (err) {
      ctx.personFailures.push(failureOf('grades', course, err, e.personKey));
    }
  }
  return { course, rows };
}

async function completionsOf(ctx: Context, course: ScopeCourse, enabled: boolean): Promise<CourseResult> {
  let students;
  try {
    const enrolled = await read(ctx.config, () => getEnrolledUsers(ctx.client, course.moodleId, [
      { name: 'onlyactive', value: 1 }, { name: 'userfields', value: 'id,roles' },
    ] as never));
    students = enrolled.filter((u) => (u.roles ?? []).some((r) => r.shortname === 'student')).map((u) => u.id);
  } catch (err) {
    return { course, rows: [], failure: failureOf('completions', course, err) };
  }
  let notTracked = !enabled;
  const rowsOf = async (userId: number): Promise<ExportRow[]> => {
    const base = baseOf(ctx, course, userId, 'active');
    if (!base) return [];
    if (notTracked) return [completionRow(base, 'not tracked', null)];
    try {
      const status = await read(ctx.config, () => getCourseCompletionStatus(ctx.client, course.moodleId, userId));
      const out: CompletionRow[] = [completionRow(base, status.completed ? 'complete' : 'incomplete', completedAt(status))];
      if (ctx.req.details) {
        out.push(...activityRows(base, await read(ctx.config, () => getActivitiesCompletionStatus(ctx.client, course.moodleId, userId))));
      }
      return out;
    } catch (err) {
      if (err instanceof MoodleError && (err.errorcode === 'nocriteriaset' || err.errorcode === 'cannotviewreport' && !enabled)) {
        notTracked = true;
        return [completionRow(base, 'not tracked', null)];
      }
      ctx.personFailures.push(failureOf('completions', course, err, ctx.persons.get(userId) ?? `#${userId}`));
      return [];
    }
  };
  // The first student tells whether the course has criteria at all; then the rest, concurrently.
  const rows: ExportRow[] = [];
  if (students.length) rows.push(...(await rowsOf(students[0])));
  for (const r of await mapLimited(students.slice(1), ctx.config.moodle.concurrency, rowsOf)) rows.push(...r);
  // Students Moodle does not count as enrolled (suspended): Moodle gives no completion for them (usernotenroled).
  for (const { e, status } of leftOut(ctx, course, new Set(students))) {
    const base = baseOf(ctx, course, e.userId, status);
    if (base) rows.push(completionRow(base, '', null));
  }
  return { course, rows, notTracked };
}

/** The CSV text of rows (header included) in the dialect, through csv-stringify. */
export function toCsv(kind: ExportKind, dialect: ExportDialect, rows: readonly ExportRow[]): string {
  return stringify([headerOf(kind, dialect), ...rows.map((r) => cellsOf(kind, r))], { delimiter: delimiterOf(dialect) });
}

export async function runExport(req: ExportRequest, deps: ExportDeps): Promise<ExportSummary> {
  return conduct(exportJob(req, deps), deps);
}

function exportJob(req: ExportRequest, deps: ExportDeps): Job<ExportSummary, void> {
  const { config, logger } = deps;
  const dialect = req.dialect ?? 'mdlsync';
  const options = [req.details ? (req.kind === 'grades' ? 'items' : 'activities') : '', req.linkedOnly ? 'linked-only' : ''].filter(Boolean);
  const scope = scopeName(req.kind, req, options);
  return {
    connections: config.moodle.concurrency + 1,
    summary: (start) => ({
      ...startingSummary(start),
      kind: 'export', what: req.kind, scope, dialect, output: req.output ?? '-', changesOnly: req.changes ?? false,
      courses: { total: 0, exported: 0, failed: 0, notTracked: 0 }, rows: { read: 0, written: 0, unchanged: 0 }, sha256: null,
    }),
    opening: (s) => `export ${req.kind} ${s.runId}: ${scope}${s.changesOnly ? ', changes only' : ''} → ${s.output}`,
    prepare: () => Promise.resolve({ open: { functions: EXPORT_FUNCTIONS[req.kind], lock: false }, state: undefined }),
    refused: (r) => ({ status: 'refused', message: `export ${req.kind} refused: ${r.message}` }),
    work: async (ctx) => {
      await ctx.startRun({ file: req.output === undefined ? '-' : resolve(req.output), sha256: '', type: req.kind, op: 'export', dataSource: null });
      const s = ctx.summary;
      const { courses, unknown } = await resolveCourses(ctx.ledger, ctx.client, req);
      const failures: Outcome[] = unknown.map((key) => ({
        line: null, type: req.kind, key, action: 'fail', outcome: 'failed', errorcode: 'unknown-course',
        message: `the ledger links no course ${key}: name a course key a course feed created (mdlsync ledger show)`,
      }));
      s.courses.total = courses.length + unknown.length;
      const c: Context = {
        client: ctx.client, req, config, persons: await personKeys(ctx.ledger), enrolments: await ledgerEnrolments(ctx.ledger), personFailures: [],
      };
      const enabled = req.kind === 'completions' ? await completionEnabled(ctx.client, courses) : new Map<number, boolean>();
      let done = 0;
      const results = await mapLimited(courses, req.kind === 'grades' ? config.moodle.concurrency : 1, async (course) => {
        const r = req.kind === 'grades'
          ? await gradesOf(c, course)
          : enabled.has(course.moodleId)
            ? await completionsOf(c, course, enabled.get(course.moodleId) ?? true)
            : { course, rows: [], failure: failureOf('completions', course, goneError(course)) };
        done++;
        deps.progress?.update({ done, total: courses.length, failed: failures.length + (r.failure ? 1 : 0) });
        return r;
      });
      deps.progress?.stop();
      const ok = results.filter((r) => !r.failure);
      failures.push(...results.flatMap((r) => (r.failure ? [r.failure] : [])), ...c.personFailures);
      s.courses.exported = ok.length;
      s.courses.failed = s.courses.total - ok.length;
      s.courses.notTracked = ok.filter((r) => r.notTracked).length;
      const all = ok.flatMap((r) => r.rows);
      const states: ExportedRow[] = all.map((r) => ({ ...rowIdentity(r), hash: rowHash(req.kind, r) }));
      const before = req.changes ? await ctx.ledger.exports.load(scope) : null;
      const written = before ? all.filter((_, i) => before.get(exportRowKey(states[i])) !== states[i].hash) : all;
      const text = toCsv(req.kind, dialect, written);
      await writeOutput(req.output, text, deps.write);
      s.sha256 = createHash('sha256').update(text).digest('hex');
      s.rows = { read: all.length, written: written.length, unchanged: all.length - written.length };
      // Only now, with the whole file written: what the SIS has received.
      await rememberExport(ctx.ledger, scope, ok.map((r) => r.course.key), states, ctx.runId);
      logger.info(`export ${req.kind}: ${written.length} row(s) written of ${all.length} read from ${ok.length} course(s)`);
      return {
        applied: failures,
        closing: (sum, failed) => `export ${req.kind} ${sum.runId}: ${sum.rows.written} row(s) written to ${sum.output === '-' ? 'stdout' : sum.output}` +
          `${sum.changesOnly ? ` (${sum.rows.unchanged} unchanged left out)` : ''} from ${sum.courses.exported} of ${sum.courses.total} course(s)` +
          (failed ? `; ${sum.outcomes.failed} failed: see ${sum.reportDir}/rows.csv` : ''),
      };
    },
    // A scope that cannot be read (an unknown category) ends the export as a refusal; anything else is thrown on.
    failed: (err, s) => {
      if (!(err instanceof Refusal)) return undefined;
      s.error = { code: 'refused', message: err.message };
      return { status: 'refused', exitCode: EXIT.refused, message: err.message };
    },
    record: (s) => ({ what: s.what, scope: s.scope, output: s.output, rows: s.rows, courses: s.courses, sha256: s.sha256, outcomes: s.outcomes }),
  };
}

/** A course the ids lookup did not return: as Moodle answers for a deleted course. */
function goneError(course: ScopeCourse): MoodleError {
  return new MoodleError('core_course_get_courses_by_field', {
    exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', message: `course ${course.moodleId} not returned`,
  });
}

/** Whether each course (that Moodle still has) tracks completion, in one call per 500 courses. */
async function completionEnabled(client: MoodleClient, courses: readonly ScopeCourse[]): Promise<Map<number, boolean>> {
  const map = new Map<number, boolean>();
  for (let i = 0; i < courses.length; i += 500) {
    const { courses: found } = await getCoursesByField(client, 'ids', courses.slice(i, i + 500).map((c) => c.moodleId));
    for (const f of found) map.set(f.id, f.enablecompletion === undefined ? true : Number(f.enablecompletion) === 1);
  }
  return map;
}

/** The file written whole (a temporary name, then renamed, mode 0600), or the text to stdout. */
async function writeOutput(output: string | undefined, text: string, write?: (text: string) => void): Promise<void> {
  if (output === undefined) {
    (write ?? ((t: string) => process.stdout.write(t)))(text);
    return;
  }
  const tmp = `${output}.part`;
  try {
    await writePrivateFile(tmp, text);
    await rename(tmp, output);
  } catch (err) {
    await rm(tmp, { force: true });
    // Nothing was written, so the ledger learns nothing either: the same export can simply run again.
    throw new Refusal(`The output ${output} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): pass another -o`);
  }
}

async function rememberExport(ledger: LedgerStore, scope: string, courseKeys: string[], states: ExportedRow[], runId: string): Promise<void> {
  await ledger.exports.replace(scope, courseKeys, states, runId, new Date().toISOString());
}
