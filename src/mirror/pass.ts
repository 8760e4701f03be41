/**
 * One mirror pass: Moodle read and the mirror brought in step, incrementally.
 *
 * Every pass reads the site-wide lists, each in one call: categories, courses (with their cacherev), cohorts (+ their
 * members, 100 cohorts a call) and users. A course's content (sections, modules, quizzes) is read only when its
 * cacherev moved since the last pass — Moodle raises it on every change to the course's modules or sections
 * (rebuild_course_cache) — so an unchanged course costs no content call. Enrolments, roles, editors and groups have no
 * such signal in any web-service function: they are read for new courses and for `membershipCoursesPerPass` courses
 * each pass, those read longest ago first (every course with --full). Rows Moodle no longer lists are deleted.
 */
import type { SqlDatabase } from '../db/index.js';
import { MoodleError, getSiteInfo, type MoodleCaller } from '../moodle/index.js';
import {
  changedModules,
  mapLimit,
  readCategories,
  readCohorts,
  readContent,
  readCourses,
  readMembers,
  readQuestions,
  readQuizzes,
  readUsers,
  readUsersById,
  type CourseContent,
  type CourseMembers,
} from './read.js';
import { TABLES } from './schema.js';
import type { CourseState, MirrorStore } from './store.js';
import { inScope, syncTable, type Fields, type RowChange } from './sync-table.js';

export interface MirrorPassOptions {
  /** Read every course's content and memberships whatever changed. */
  full: boolean;
  /** Moodle calls in flight at once. */
  concurrency: number;
  /** Courses whose enrolments and groups are re-read each pass (besides new courses), longest unread first. */
  membershipCoursesPerPass: number;
  /** Role short names that make a user a course editor. */
  editorRoles: readonly string[];
  /** Question categories to mirror (no function lists them): the category id and a context the token user sees. */
  questionCategories: readonly { categoryid: number; contextid: number }[];
  /** Seconds taken off this machine's clock for the next updates_since (clock skew with Moodle, slow passes). */
  clockMarginSeconds: number;
  /** How users are read: in one core_user_get_users call, or by id in calls of `userChunk` (see readUsersById). */
  users: 'one-call' | 'by-id';
  userChunk: number;
}

export const DEFAULT_PASS_OPTIONS: MirrorPassOptions = {
  full: false,
  concurrency: 4,
  membershipCoursesPerPass: 20,
  editorRoles: ['editingteacher', 'manager'],
  questionCategories: [],
  clockMarginSeconds: 300,
  users: 'one-call',
  userChunk: 990,
};

export type ChangeCounts = Record<string, { created: number; updated: number; deleted: number }>;

export interface PassResult {
  site: string;
  /** How content changes were found: the courses' cacherev (one call), or updates_since per course. */
  detection: 'cacherev' | 'updates-since';
  courses: number;
  contentRead: number;
  membersRead: number;
  counts: ChangeCounts;
  /** Courses Moodle refused to read this pass (deleted meanwhile, no access): left as they were, tried next pass. */
  skipped: { course: number; errorcode: string }[];
}

export interface PassDeps {
  caller: MoodleCaller;
  store: MirrorStore;
  options: MirrorPassOptions;
  /** Told the changes of each committed step, in order. */
  onChanges: (changes: RowChange[]) => Promise<void>;
  /** Courses read so far of those to read (content and memberships). */
  progress?: (done: number, total: number) => void;
  log?: (line: string) => void;
  /** Seconds since the epoch (tests); default the clock. */
  now?: () => number;
}

/** Courses written per transaction: a failure midway keeps what was committed, and memory stays small. */
const BATCH = 25;

export function countChanges(counts: ChangeCounts, changes: readonly RowChange[]): void {
  for (const ch of changes) {
    const c = (counts[ch.object] ??= { created: 0, updated: 0, deleted: 0 });
    c[ch.action]++;
  }
}

export async function runPass(deps: PassDeps): Promise<PassResult> {
  const { caller, store, options } = deps;
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const counts: ChangeCounts = {};
  const db = store.db;
  const commit = async (work: (tx: SqlDatabase) => Promise<RowChange[]>): Promise<void> => {
    const changes = await db.transaction(work);
    countChanges(counts, changes);
    if (changes.length > 0) await deps.onChanges(changes);
  };

  const skipped: PassResult['skipped'] = [];
  /** A course Moodle refuses to read (an error of its own, not a transient one) is skipped, not the whole pass. */
  const refusable = async <T>(course: number, read: () => Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof MoodleError)) throw err;
      skipped.push({ course, errorcode: err.errorcode });
      deps.log?.(`course ${course} skipped this pass: ${err.wsfunction} answered ${err.errorcode}`);
      return null;
    }
  };

  const info = await getSiteInfo(caller);
  await store.claimSite(info.siteurl);
  const siteid = typeof info.siteid === 'number' ? info.siteid : 1;

  const categories = await readCategories(caller);
  await commit((tx) => syncTable(tx, TABLES.categories, null, categories));

  const listed = await readCourses(caller, siteid);
  const states = await store.courseStates();
  const ids = listed.map((l) => l.row.id as number);
  const current = new Set(ids);
  const revision = new Map(listed.map((l) => [l.row.id as number, l.cacherev]));
  const known = new Set((await db.query<{ id: number }>('SELECT id FROM courses')).map((r) => Number(r.id)));
  const gone = [...new Set([...known, ...states.keys()])].filter((id) => !current.has(id));

  await commit(async (tx) => {
    const changes = await syncTable(tx, TABLES.courses, null, listed.map((l) => l.row));
    // A course deleted in Moodle takes its content and memberships with it.
    for (let i = 0; i < gone.length; i += BATCH) changes.push(...(await dropCourseRows(tx, gone.slice(i, i + BATCH))));
    await store.forgetCourses(tx, gone);
    return changes;
  });

  const detection = listed.length === 0 || listed.every((l) => l.cacherev !== null) ? 'cacherev' : 'updates-since';
  const contentIds = await coursesToRead(caller, ids, states, revision, detection, options);
  const memberIds = membersToRead(ids, states, options);
  const total = contentIds.length + memberIds.length;
  let done = 0;
  deps.progress?.(0, total);

  for (let i = 0; i < contentIds.length; i += BATCH) {
    const batch = contentIds.slice(i, i + BATCH);
    const readAt = now() - options.clockMarginSeconds;
    const times = await moduleTimes(db, batch);
    const read = await mapLimit(batch, options.concurrency, (id) => refusable(id, () => readContent(caller, id, states.get(id)?.content_read_at ?? 0, times)));
    const ok = batch.filter((_, k) => read[k] !== null);
    const contents = read.filter((c): c is CourseContent => c !== null);
    const withQuiz = ok.filter((_, k) => contents[k].modules.some((m) => m.modname === 'quiz'));
    const quizzes = withQuiz.length > 0 ? await readQuizzes(caller, withQuiz) : [];
    await commit(async (tx) => {
      const scope = inScope('course_id', ok);
      const changes = [
        ...(await syncTable(tx, TABLES.sections, scope, contents.flatMap((c: CourseContent) => c.sections))),
        ...(await syncTable(tx, TABLES.modules, scope, contents.flatMap((c) => c.modules))),
        ...(await syncTable(tx, TABLES.quizzes, scope, quizzes)),
      ];
      await store.setContentRead(tx, ok, (id) => revision.get(id) ?? null, readAt);
      return changes;
    });
    done += batch.length;
    deps.progress?.(done, total);
  }

  for (let i = 0; i < memberIds.length; i += BATCH) {
    const batch = memberIds.slice(i, i + BATCH);
    const got = await mapLimit(batch, options.concurrency, (id) => refusable(id, () => readMembers(caller, id, options.editorRoles)));
    const ok = batch.filter((_, k) => got[k] !== null);
    const read = got.filter((m): m is CourseMembers => m !== null);
    const all = (pick: (m: CourseMembers) => Fields[]) => read.flatMap(pick);
    await commit(async (tx) => {
      const scope = inScope('course_id', ok);
      const changes = [
        ...(await syncTable(tx, TABLES.enrolments, scope, all((m) => m.enrolments))),
        ...(await syncTable(tx, TABLES.courseRoles, scope, all((m) => m.roles))),
        ...(await syncTable(tx, TABLES.courseEditors, scope, all((m) => m.editors))),
        ...(await syncTable(tx, TABLES.groups, scope, all((m) => m.groups))),
        ...(await syncTable(tx, TABLES.groupMembers, scope, all((m) => m.groupMembers))),
      ];
      await store.setMembersRead(tx, ok, now());
      return changes;
    });
    done += batch.length;
    deps.progress?.(done, total);
  }

  const cohorts = await readCohorts(caller);
  await commit(async (tx) => [
    ...(await syncTable(tx, TABLES.cohorts, null, cohorts.cohorts)),
    ...(await syncTable(tx, TABLES.cohortMembers, null, cohorts.members)),
  ]);

  const users = options.users === 'by-id'
    ? await readUsersById(caller, (await db.query<{ id: number }>('SELECT id FROM users')).map((r) => Number(r.id)), options.userChunk, 3, options.concurrency)
    : await readUsers(caller);
  await commit((tx) => syncTable(tx, TABLES.users, null, users));

  if (options.questionCategories.length > 0) {
    const questions: Fields[] = [];
    for (const q of options.questionCategories) questions.push(...(await readQuestions(caller, q.categoryid, q.contextid)));
    await commit((tx) => syncTable(tx, TABLES.questions, null, questions));
  }

  const skippedIds = new Set(skipped.map((x) => x.course));
  const readOf = (list: number[]) => list.filter((id) => !skippedIds.has(id)).length;
  return { site: info.siteurl, detection, courses: ids.length, contentRead: readOf(contentIds), membersRead: readOf(memberIds), counts, skipped };
}

/** Courses whose content must be read: all with --full; else new ones and those whose content moved. */
async function coursesToRead(
  caller: MoodleCaller,
  ids: number[],
  states: ReadonlyMap<number, CourseState>,
  revision: ReadonlyMap<number, number | null>,
  detection: PassResult['detection'],
  options: MirrorPassOptions,
): Promise<number[]> {
  if (options.full) return ids;
  const unread = (id: number) => states.get(id)?.content_read_at === null || states.get(id)?.content_read_at === undefined;
  if (detection === 'cacherev') return ids.filter((id) => unread(id) || Number(states.get(id)?.cacherev) !== revision.get(id));
  // Without cacherev (the token may not update the courses), one updates_since call per course tells.
  const flags = await mapLimit(ids, options.concurrency, async (id) =>
    unread(id) ? true : (await changedModules(caller, id, Number(states.get(id)?.content_read_at))) > 0,
  );
  return ids.filter((_, i) => flags[i]);
}

/** New courses, then the courses whose memberships were read longest ago (all with --full). */
function membersToRead(ids: number[], states: ReadonlyMap<number, CourseState>, options: MirrorPassOptions): number[] {
  if (options.full) return ids;
  const readAt = (id: number) => states.get(id)?.members_read_at ?? null;
  const fresh = ids.filter((id) => readAt(id) === null);
  const rest = ids.filter((id) => readAt(id) !== null).sort((a, b) => Number(readAt(a)) - Number(readAt(b)) || a - b);
  return [...fresh, ...rest.slice(0, options.membershipCoursesPerPass)];
}

async function moduleTimes(db: SqlDatabase, courseIds: number[]): Promise<Map<number, number | null>> {
  const scope = inScope('course_id', courseIds)!;
  const rows = await db.query<{ id: number; timemodified: number | null }>(`SELECT id, timemodified FROM modules WHERE ${scope.where}`, scope.params);
  return new Map(rows.map((r) => [Number(r.id), r.timemodified === null ? null : Number(r.timemodified)]));
}

/** Everything the mirror holds of courses Moodle no longer has (each row logged as deleted). */
async function dropCourseRows(tx: SqlDatabase, courseIds: number[]): Promise<RowChange[]> {
  const scope = inScope('course_id', courseIds);
  const changes: RowChange[] = [];
  for (const spec of [TABLES.modules, TABLES.sections, TABLES.quizzes, TABLES.groupMembers, TABLES.groups, TABLES.courseEditors, TABLES.courseRoles, TABLES.enrolments]) {
    changes.push(...(await syncTable(tx, spec, scope, [])));
  }
  return changes;
}
