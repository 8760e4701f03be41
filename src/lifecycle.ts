/**
 * `mdlsync user block|unblock|unenrol|password`: the account lifecycle of DESIGN §6 (the classroom-sync spec), one
 * person at a time. Under the ledger's writer lock, reported in reports/RUNID/ like a run (summary.json, rows.csv:
 * one row for the account step, one per enrolment). Enrolment changes go through the enrolments applier (shared
 * BatchEngine: retries, ledger writes after each confirmed call), so the ledger stays the truth for later runs.
 *
 * block, unblock and password are exactly a persons feed row with ACTION=block|unblock|password: the command plans
 * that one row with the persons planner and applies it with the persons applier (src/entities/persons/account-lifecycle.ts).
 * - block: core_user_update_users suspended=1, then unenrol (or suspend, with enrolments.disable: suspend) every
 *   active enrolment link of the person; each link is marked `blocked` in its data with what to restore.
 * - unblock: suspended=0, then re-enrol the blocked links with the role and dates mdlsync last sent (link data).
 * - unenrol: one course; the link is disabled (and loses any blocked mark: unblock will not bring it back).
 * - password: core_user_update_users password (optionally username = email = the person's current email). The
 *   password is never logged, reported, nor stored.
 */
import type winston from 'winston';
import { applyPlan } from './apply/index.js';
import { parseLinkData } from './entities/persons/account-lifecycle.js';
import { codeOf } from './apply/engine.js';
import type { Failure } from './errors.js';
import type { Outcome } from './apply/types.js';
import { requireMoodle, type Config } from './config/index.js';
import type { PersonLifecycle, PersonRecord } from './entities/persons/record.js';
import type { LedgerLink, LedgerStore } from './ledger/index.js';
import { getUsersByField, isTransient, type MoodleClient } from './moodle/index.js';
import { retrier } from './resolve/common.js';
import { CoursePlaces } from './resolve/courses.js';
import type { EnrolmentAction } from './entities/enrolments/rules.js';
import { PersonPlanner, defaultPlanOptions } from './entities/persons/rules.js';
import type { Action } from './plan/types.js';
import type { SummaryBase } from './report/index.js';
import { EXIT, applyOptions, conduct, startingSummary, type Ending, type Job } from './conductor.js';
import { functionsFrom } from './entities/index.js';

export type LifecycleCommand = 'block' | 'unblock' | 'unenrol' | 'password';

/** The wsfunctions each command calls; checked against the token's service before anything is written. */
export const LIFECYCLE_FUNCTIONS: Record<LifecycleCommand, readonly string[]> = {
  // core_enrol_get_enrolled_users reads back an enrol call Moodle answered with an error after its commit.
  block: functionsFrom(['persons', 'enrolments'], ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_update_users', 'enrol_manual_enrol_users', 'enrol_manual_unenrol_users', 'core_course_get_courses_by_field', 'core_enrol_get_enrolled_users']),
  unblock: functionsFrom(['persons', 'enrolments'], ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_update_users', 'enrol_manual_enrol_users', 'core_course_get_courses_by_field', 'core_enrol_get_enrolled_users']),
  unenrol: functionsFrom(['persons', 'enrolments'], ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'enrol_manual_unenrol_users', 'core_course_get_courses_by_field']),
  password: functionsFrom(['persons'], ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_update_users']),
};

export interface LifecycleRequest {
  command: LifecycleCommand;
  /** EXTERNAL_PERSON_KEY. */
  person: string;
  /** unenrol: the course key. */
  course?: string;
  /** password: the new password (never logged nor reported). */
  password?: string;
  /** password: also set username = email = the person's current email. */
  usernameFromEmail?: boolean;
  /** Seconds to wait for another run holding the ledger's writer lock (default 0: refuse at once). */
  wait?: number;
}

/** reports/RUNID/summary.json of a lifecycle command. */
export interface LifecycleSummary extends SummaryBase {
  kind: `user-${LifecycleCommand}`;
  person: string;
  course?: string;
  /** The person's Moodle user id, once found. */
  moodleId: number | null;
  /** Enrolments the command touched (block: removed or suspended; unblock: restored; unenrol: 1). */
  enrolments: number;
}

export interface LifecycleResult {
  summary: LifecycleSummary;
  rows: Outcome[];
}

export interface LifecycleDeps {
  config: Config;
  logger: winston.Logger;
}

const enrolmentKeyOf = (course: string, person: string): string => `${course}|${person}`;

export async function runLifecycle(req: LifecycleRequest, deps: LifecycleDeps): Promise<LifecycleResult> {
  const rows: Outcome[] = [];
  const summary = await conduct(lifecycleJob(req, deps.config, rows), deps);
  return { summary, rows };
}

/** One person's command as the conductor's job; `rows` collects the account step and each enrolment it touched. */
function lifecycleJob(req: LifecycleRequest, config: Config, rows: Outcome[]): Job<LifecycleSummary, void> {
  const key = req.person;
  const secret = req.password ?? '';
  const redact = (m: string): string => (secret ? m.split(secret).join('***') : m);
  const what = `user ${req.command} ${key}${req.course !== undefined ? ` ${req.course}` : ''}`;
  const refuse = (summary: LifecycleSummary, code: NonNullable<SummaryBase['error']>['code'], message: string): Ending => {
    summary.error = { code, message };
    return { status: 'refused', exitCode: EXIT.refused, message: `Nothing was changed: ${message}.`, rows };
  };
  return {
    connections: 2,
    secrets: [secret],
    summary: (start) => ({
      ...startingSummary(start),
      kind: `user-${req.command}`,
      person: key,
      ...(req.course !== undefined ? { course: req.course } : {}),
      moodleId: null,
      enrolments: 0,
    }),
    opening: (s) => `${what}: run ${s.runId}`,
    prepare: () => Promise.resolve({ open: { functions: LIFECYCLE_FUNCTIONS[req.command], lock: true, wait: req.wait }, state: undefined }),
    refused: (r) => ({ status: 'refused', message: `Nothing was changed: ${r.message}.` }),

    work: async ({ client, ledger, summary, reportDir, runId, startRun }) => {
      const found = await findPerson(client, ledger, key);
      if ('code' in found) return refuse(summary, found.code, found.message);
      const userId = found.id;
      summary.moodleId = userId;

      let courseId: number | undefined;
      if (req.command === 'unenrol') {
        const course = req.course ?? '';
        const placed = await findCourse(client, ledger, config, course);
        if (typeof placed !== 'number') return refuse(summary, placed.code, placed.message);
        courseId = placed;
      }

      await startRun({ file: what, sha256: '', type: req.command === 'unenrol' ? 'enrolments' : 'persons', op: `user-${req.command}`, dataSource: null });
      const ctx: StepContext = { client, ledger, config, runId, key, userId, rows, redact };
      const message =
        req.command === 'unenrol'
          ? await unenrol(ctx, summary, req.course ?? '', courseId!)
          : await accountStep(ctx, summary, found.link, req.command, secret, req.usernameFromEmail);
      return {
        applied: rows,
        closing: (s, failed) => (failed ? `${message}; ${s.outcomes.failed} step(s) failed (see ${reportDir}/rows.csv): fix the cause and run the same command again.` : `${message}.`),
      };
    },
    // A Moodle that stops answering midway: what went through is in the ledger; the rest is reported.
    failed: (err, summary) => {
      if (!isTransient(err)) return undefined;
      summary.error = { code: codeOf(err), message: redact((err as Error).message) };
      return { status: 'aborted', exitCode: EXIT.refused, message: `Stopped: Moodle at ${requireMoodle(config).url} is unreachable (${summary.error.message}); run the same command again once it is back.`, rows };
    },
    record: (s) => ({ outcomes: s.outcomes, exitCode: s.exitCode }),
  };
}

interface StepContext {
  client: MoodleClient;
  ledger: LedgerStore;
  config: Config;
  runId: string;
  key: string;
  userId: number;
  rows: Outcome[];
  redact: (m: string) => string;
}

/** The person's Moodle id: ledger link first, else the one Moodle user with that idnumber; else why not (unknown-person, lookup-failed). */
async function findPerson(client: MoodleClient, ledger: LedgerStore, key: string): Promise<{ id: number; link?: LedgerLink } | Failure> {
  const link = (await ledger.getLinks('persons', [key])).get(key);
  if (link) return { id: link.moodleId, link };
  const users = (await getUsersByField(client, 'idnumber', [key])).filter((u) => u.idnumber === undefined || u.idnumber === key);
  if (users.length === 1) return { id: users[0].id };
  if (users.length === 0) return { code: 'unknown-person', message: `person ${key} is unknown: not in the ledger, and no Moodle user has idnumber ${key}` };
  return { code: 'lookup-failed', message: `${users.length} Moodle users have idnumber ${key}: make it unique` };
}

async function findCourse(client: MoodleClient, ledger: LedgerStore, config: Config, key: string): Promise<number | Failure> {
  // The shared course look-up: ledger first, else exactly one Moodle course by idnumber.
  const courses = new CoursePlaces(client, ledger, retrier({ retries: config.moodle.retries, backoffMs: config.moodle.backoffMs }));
  await courses.place([key]);
  const c = courses.get(key);
  if (!c) return { code: 'unknown-course', message: `course ${key} is unknown: not in the ledger, and no Moodle course has idnumber ${key}` };
  return 'id' in c ? c.id : { code: 'lookup-failed', message: c.problem };
}

/** Runs enrolment actions through the enrolments applier; their outcomes join the report. */
async function applyEnrolments(ctx: StepContext, actions: EnrolmentAction[]): Promise<Outcome[]> {
  if (actions.length === 0) return [];
  const outcomes = await applyPlan({ actions }, { client: ctx.client, ledger: ctx.ledger, runId: ctx.runId, options: applyOptions(ctx.config) });
  ctx.rows.push(...outcomes.map((o) => ({ ...o, message: o.message ?? actions.find((a) => a.key === o.key)?.reason })));
  return outcomes;
}

/**
 * block, unblock, password: the one-row persons plan an ACTION=block|unblock|password row of a feed makes, applied by
 * the persons applier (account update, then for block/unblock the enrolments, each reported on its own row here).
 */
async function accountStep(ctx: StepContext, summary: LifecycleSummary, link: LedgerLink | undefined, step: PersonLifecycle, password: string, usernameFromEmail: boolean | undefined): Promise<string> {
  const record: PersonRecord = { key: ctx.key, fields: step === 'password' ? { password } : {}, command: 'store', lifecycle: step, ...(usernameFromEmail !== undefined ? { usernameFromEmail } : {}) };
  const planner = new PersonPlanner(defaultPlanOptions({ op: 'store', passwords: ctx.config.persons.passwords }));
  const action: Action = { ...planner.add({ line: 0, record }, link ? { link } : { match: { id: ctx.userId, suspended: false, via: 'idnumber' } }), line: null };
  const enrolments: Outcome[] = [];
  const [account] = await applyPlan({ actions: [action] }, { client: ctx.client, ledger: ctx.ledger, runId: ctx.runId, options: applyOptions(ctx.config), extraOutcomes: (o) => enrolments.push(...o) });
  ctx.rows.push(account, ...enrolments);
  const done = enrolments.filter((o) => o.outcome === 'ok').length;
  summary.enrolments = done;
  const updated = account.outcome === 'ok' || enrolments.length > 0;
  if (step === 'password') return updated ? `${ctx.key}: ${account.message ?? 'password set'}` : `${ctx.key}: the password was not changed`;
  if (step === 'block') {
    if (!updated) return `${ctx.key}: the account could not be suspended, its enrolments were left alone`;
    return `${ctx.key} blocked: account suspended, ${done} enrolment(s) ${ctx.config.enrolments.disable === 'suspend' ? 'suspended' : 'removed'}`;
  }
  if (!updated) return `${ctx.key}: the account could not be reactivated, its enrolments were left alone`;
  return `${ctx.key} unblocked: account reactivated, ${done} enrolment(s) restored`;
}

async function unenrol(ctx: StepContext, summary: LifecycleSummary, course: string, courseId: number): Promise<string> {
  const k = enrolmentKeyOf(course, ctx.key);
  const link = (await ctx.ledger.getLinks('enrolments', [k])).get(k);
  const action: EnrolmentAction = {
    kind: 'disable',
    entity: 'enrolments',
    key: k,
    line: null,
    moodleId: ctx.userId,
    dataSource: link?.dataSource ?? null,
    state: link?.state ?? undefined,
    status: 'disabled',
    reason: `user unenrol: unenrolled from ${course}`,
    enrolment: { call: 'unenrol', courseId },
  };
  const [o] = await applyEnrolments(ctx, [action]);
  if (o.outcome !== 'ok') return `${ctx.key} could not be unenrolled from ${course}`;
  summary.enrolments = 1;
  if (!link) {
    // Never made nor adopted by mdlsync: it stays out of the ledger (a refresh must never think it owns it).
    await ctx.ledger.dropLink('enrolments', k);
  } else {
    const d = parseLinkData(link.data);
    if (d?.blocked !== undefined) {
      // Expelled for good: a later unblock must not bring it back.
      const { blocked: _b, restore: _r, ...rest } = d;
      await ctx.ledger.setLinkData('enrolments', k, JSON.stringify(rest));
    }
  }
  return `${ctx.key} unenrolled from ${course}`;
}
