/**
 * `mdlsync mirror`: one mirror pass as a conductor job (src/conductor.ts): the site and the service's functions
 * checked, a run record in the ledger and reports/RUNID/ (summary.json, changes.jsonl), the mirror database opened,
 * migrated and locked for the pass, the pass (pass.ts), its changes logged and notified.
 */
import { join } from 'node:path';
import type winston from 'winston';
import type { Config } from '../config/index.js';
import { EXIT, conduct, startingSummary, type Job } from '../conductor.js';
import { redactUrl } from '../db/index.js';
import { MdlsyncError } from '../errors.js';
import { capabilitiesFor } from '../moodle/capabilities.js';
import type { MoodleCaller } from '../moodle/index.js';
import type { SummaryBase } from '../report/index.js';
import { lookupChunk, retrier } from '../resolve/common.js';
import { ChangeLog, notifier, toRecord, type ChangeRecord, type Notify } from './changes.js';
import { runPass, type ChangeCounts, type PassResult } from './pass.js';
import { MirrorStore } from './store.js';

/** The functions a pass calls (question summaries only when question categories are configured). */
export const MIRROR_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'core_course_get_categories',
  'core_course_get_courses_by_field',
  'core_course_get_contents',
  'core_course_get_updates_since',
  'mod_quiz_get_quizzes_by_courses',
  'core_enrol_get_enrolled_users',
  'core_group_get_course_groups',
  'core_cohort_get_cohorts',
  'core_cohort_get_cohort_members',
  'core_user_get_users',
];
/** With mirror.users "by-id" the users are read with this one instead of core_user_get_users. */
export const USERS_BY_ID_FUNCTION = 'core_user_get_users_by_field';
export const QUESTION_FUNCTIONS: readonly string[] = ['core_question_get_random_question_summaries'];

export const mirrorFunctions = (config: Config): string[] => [
  ...MIRROR_FUNCTIONS.map((f) => (f === 'core_user_get_users' && config.mirror.users === 'by-id' ? USERS_BY_ID_FUNCTION : f)),
  ...(config.mirror.questionCategories.length > 0 ? QUESTION_FUNCTIONS : []),
];
/** Every function a pass may call, whatever mirror.users and mirror.questionCategories say (`mdlsync setup --mirror`). */
export const MIRROR_ALL_FUNCTIONS: readonly string[] = [...MIRROR_FUNCTIONS, USERS_BY_ID_FUNCTION, ...QUESTION_FUNCTIONS];
/** What they need. */
export const MIRROR_CAPABILITIES: readonly string[] = capabilitiesFor(MIRROR_ALL_FUNCTIONS);

/** reports/RUNID/summary.json of a mirror pass. */
export interface MirrorSummary extends SummaryBase {
  kind: 'mirror';
  /** The mirror database (a PostgreSQL URL without its password). */
  database: string;
  full: boolean;
  /** Whether this pass loaded an empty mirror (its changes are logged, not notified). */
  firstPass: boolean;
  detection: PassResult['detection'] | null;
  courses: number;
  /** Courses whose content (sections, modules, quizzes) was read; the others cost no content call. */
  contentRead: number;
  /** Courses whose enrolments, roles, editors and groups were read. */
  membersRead: number;
  changes: ChangeCounts;
  changeLog: string;
  notified: number;
  notifyFailed: number;
  /** Courses Moodle refused to read this pass (tried again next pass). */
  skipped: PassResult['skipped'];
}

export interface MirrorRequest {
  /** A SQLite file or postgres:// URL; default config.mirror.database. */
  database?: string;
  full?: boolean;
  /** Seconds to wait for another pass holding the mirror (default 0). */
  wait?: number;
}

export interface MirrorDeps {
  config: Config;
  logger: winston.Logger;
  /** Courses read of those to read. */
  progress?: { update(done: number, total: number): void; stop(): void };
}

export async function mirrorPass(req: MirrorRequest, deps: MirrorDeps): Promise<MirrorSummary> {
  let store: MirrorStore | null = null;
  try {
    return await conduct(mirrorJob(req, deps, (s) => (store = s)), deps);
  } finally {
    deps.progress?.stop();
    await (store as MirrorStore | null)?.close();
  }
}

const pluralise = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

function totals(counts: ChangeCounts): { created: number; updated: number; deleted: number } {
  const t = { created: 0, updated: 0, deleted: 0 };
  for (const c of Object.values(counts)) {
    t.created += c.created;
    t.updated += c.updated;
    t.deleted += c.deleted;
  }
  return t;
}

function mirrorJob(req: MirrorRequest, deps: MirrorDeps, opened: (s: MirrorStore) => void): Job<MirrorSummary, MirrorStore> {
  const { config, logger } = deps;
  const target = req.database ?? (config.mirror.database as string);
  const full = req.full ?? false;
  const fail = (err: unknown): { status: 'aborted'; exitCode: number; message: string } | undefined => {
    if (!(err instanceof MdlsyncError)) return undefined;
    // A mirror written by a newer mdlsync is a usage matter (upgrade); everything else stopped the pass (exit 3).
    return { status: 'aborted', exitCode: err.code === 'mirror-too-new' ? EXIT.usage : EXIT.refused, message: `The mirror was not updated: ${err.message}.` };
  };
  return {
    connections: config.moodle.concurrency + 1,
    summary: (start) => ({
      ...startingSummary(start),
      kind: 'mirror',
      database: redactUrl(target),
      full,
      firstPass: false,
      detection: null,
      courses: 0,
      contentRead: 0,
      membersRead: 0,
      changes: {},
      changeLog: join(start.reportDir, 'changes.jsonl'),
      notified: 0,
      notifyFailed: 0,
      skipped: [],
    }),
    opening: (s) => `mirror ${s.runId}: Moodle into ${s.database}${full ? ' (full pass)' : ''}`,
    prepare: async (summary) => {
      try {
        const store = await MirrorStore.open(target);
        opened(store);
        return { open: { functions: mirrorFunctions(config), lock: false }, state: store };
      } catch (err) {
        const end = fail(err);
        if (!end) throw err;
        if (err instanceof MdlsyncError) summary.error = { code: err.code, message: err.message };
        return end;
      }
    },
    refused: (r) => ({ status: 'aborted', message: `The mirror was not updated: ${r.message}.` }),
    failed: (err, summary) => {
      const end = fail(err);
      if (end && err instanceof MdlsyncError) summary.error = { code: err.code, message: err.message };
      return end;
    },

    work: async ({ client, summary, runId, startRun }, store) => {
      const release = await store.lock(runId, req.wait ?? 0, config.lockStaleSeconds);
      try {
        summary.firstPass = !(await store.hasFinishedPass());
        await startRun({ file: summary.database, sha256: '', type: 'mirror', op: full ? 'mirror-full' : 'mirror', dataSource: null });
        await store.startPass(runId, summary.startedAt, full);
        const log = new ChangeLog([summary.changeLog, ...(config.mirror.changeLog ? [config.mirror.changeLog] : [])]);
        const notify: Notify | null = config.mirror.onChange && !summary.firstPass ? notifier(config.mirror.onChange) : null;
        const wanted = config.mirror.notifyObjects ? new Set(config.mirror.notifyObjects) : null;
        const at = () => new Date().toISOString();
        // Every call of a pass is a read: one that fails transiently (timeout, 5xx, a dropped connection) is tried again.
        const retry = retrier({ retries: config.moodle.retries, backoffMs: config.moodle.backoffMs });
        const caller: MoodleCaller = { call: (fn, params) => retry(() => client.call(fn, params)) };
        const result = await runPass({
          caller,
          store,
          options: {
            full,
            concurrency: config.moodle.concurrency,
            membershipCoursesPerPass: config.mirror.membershipCoursesPerPass,
            editorRoles: config.mirror.editorRoles,
            questionCategories: config.mirror.questionCategories,
            clockMarginSeconds: config.mirror.clockMarginSeconds,
            users: config.mirror.users,
            userChunk: lookupChunk(config.moodle.maxInputVars),
          },
          onChanges: async (changes) => {
            const records: ChangeRecord[] = changes.map((ch) => toRecord(runId, at(), ch));
            await log.append(records);
            if (!notify) return;
            for (const r of records) {
              if (wanted && !wanted.has(r.object)) continue;
              const res = await notify(r);
              if (res.ok) summary.notified++;
              else {
                summary.notifyFailed++;
                logger.warn(`mirror: onChange for ${r.object} ${r.action} ${JSON.stringify(r.key)} failed: ${res.error}`);
              }
            }
          },
          progress: (done, total) => deps.progress?.update(done, total),
          log: (line) => logger.warn(`mirror: ${line}`),
        });
        Object.assign(summary, { detection: result.detection, courses: result.courses, contentRead: result.contentRead, membersRead: result.membersRead, changes: result.counts, skipped: result.skipped });
        const t = totals(result.counts);
        await store.finishPass(runId, 'ok', client.stats.calls, result.counts);
        const skippedCourses = new Set(result.skipped.map((x) => x.course)).size;
        const notes =
          (summary.notifyFailed > 0 ? ` ${pluralise(summary.notifyFailed, 'notification')} failed (see the log).` : '') +
          (skippedCourses > 0 ? ` ${pluralise(skippedCourses, 'course')} Moodle refused to read, left for the next pass (see the log).` : '');
        return {
          status: 'ok',
          exitCode: summary.notifyFailed > 0 || skippedCourses > 0 ? EXIT.failedRows : EXIT.ok,
          message: `Mirror up to date: ${t.created} created, ${t.updated} updated, ${t.deleted} deleted; content read for ${result.contentRead} of ${pluralise(result.courses, 'course')}.${notes}`,
        };
      } catch (err) {
        await store.finishPass(runId, 'aborted', client.stats.calls, null).catch(() => undefined);
        throw err;
      } finally {
        await release().catch(() => undefined);
      }
    },
    record: (s) => ({ changes: s.changes, contentRead: s.contentRead, membersRead: s.membersRead, calls: s.moodleCalls.total }),
  };
}

