/**
 * `mdlsync user block|unblock|unenrol|password`: the account lifecycle of DESIGN §6 (the classroom-sync spec), one
 * person at a time. Under the ledger's writer lock, reported in reports/RUNID/ like a run (summary.json, rows.csv:
 * one row for the account step, one per enrolment). Enrolment changes go through the enrolments applier (shared
 * BatchEngine: retries, ledger writes after each confirmed call), so the ledger stays the truth for later runs.
 *
 * - block: core_user_update_users suspended=1, then unenrol (or suspend, with enrolments.disable: suspend) every
 *   active enrolment link of the person; each link is marked `blocked` in its data with what to restore.
 * - unblock: suspended=0, then re-enrol the blocked links with the role and dates mdlsync last sent (link data).
 * - unenrol: one course; the link is disabled (and loses any blocked mark: unblock will not bring it back).
 * - password: core_user_update_users password (optionally username = email = the person's current email). The
 *   password is never logged, reported, nor stored.
 */
import type winston from 'winston';
import { join } from 'node:path';
import { applyPlan } from './apply/index.js';
import { codeOf } from './apply/engine.js';
import type { EnrolmentData } from './apply/enrolments.js';
import type { Outcome } from './apply/types.js';
import { requireMoodle, type Config } from './config/index.js';
import { SqliteLedger, type LedgerLink } from './ledger/index.js';
import { MoodleClient, getCoursesByField, getUsersByField, isTransient, updateUsers, type UpdateUserInput } from './moodle/index.js';
import { parseStateHash, resolveRole, stateHash, type EnrolmentAction } from './plan/enrolments.js';
import { countOutcomes, ensureReportDir, newRunId, writePrivateFile, writeRowsCsv, type RunStatus } from './report/index.js';
import { EXIT, applyOptions, checkMoodle, releaseWriterLock, takeWriterLock } from './run.js';

export type LifecycleCommand = 'block' | 'unblock' | 'unenrol' | 'password';

/** The wsfunctions each command calls; checked against the token's service before anything is written. */
export const LIFECYCLE_FUNCTIONS: Record<LifecycleCommand, readonly string[]> = {
  block: ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_update_users', 'enrol_manual_enrol_users', 'enrol_manual_unenrol_users', 'core_course_get_courses_by_field'],
  unblock: ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_update_users', 'enrol_manual_enrol_users', 'core_course_get_courses_by_field'],
  unenrol: ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'enrol_manual_unenrol_users', 'core_course_get_courses_by_field'],
  password: ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_update_users'],
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
export interface LifecycleSummary {
  kind: `user-${LifecycleCommand}`;
  runId: string;
  person: string;
  course?: string;
  /** The person's Moodle user id, once found. */
  moodleId: number | null;
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  exitCode: number;
  message: string;
  /** Enrolments the command touched (block: removed or suspended; unblock: restored; unenrol: 1). */
  enrolments: number;
  outcomes: ReturnType<typeof countOutcomes>;
  moodleCalls: { total: number; byFunction: Record<string, number> };
  reportDir: string;
  error?: { code: string; message: string };
}

export interface LifecycleResult {
  summary: LifecycleSummary;
  rows: Outcome[];
}

export interface LifecycleDeps {
  config: Config;
  logger: winston.Logger;
}

/** What the data column of a blocked enrolment link holds: what was last sent, plus the mark and what to restore. */
interface BlockedData extends Partial<EnrolmentData> {
  blocked?: string;
  restore?: EnrolmentData;
}

function parseData(text: string | null | undefined): BlockedData | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as BlockedData) : null;
  } catch {
    return null;
  }
}

/** The enrolment as mdlsync last sent it: the data column, else (links written before it existed) the hash. */
function sentState(link: LedgerLink, config: Config): EnrolmentData | null {
  const d = parseData(link.data);
  if (d && typeof d.roleId === 'number') return { roleId: d.roleId, role: d.role, timestart: d.timestart ?? 0, timeend: d.timeend ?? 0, suspend: d.suspend === true };
  const s = parseStateHash(link.hash);
  if (!s) return null;
  const role = resolveRole(s.role, config.enrolments);
  return 'id' in role ? { roleId: role.id, role: role.shortname, timestart: s.start, timeend: s.end, suspend: s.suspend } : null;
}

const enrolmentKeyOf = (course: string, person: string): string => `${course}|${person}`;

export async function runLifecycle(req: LifecycleRequest, deps: LifecycleDeps): Promise<LifecycleResult> {
  const { config, logger } = deps;
  const moodle = requireMoodle(config);
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const reportDir = await ensureReportDir(config.reports, runId);
  const key = req.person;
  const secret = req.password ?? '';
  const redact = (m: string): string => (secret ? m.split(secret).join('***') : m);
  const summary: LifecycleSummary = {
    kind: `user-${req.command}`,
    runId,
    person: key,
    ...(req.course !== undefined ? { course: req.course } : {}),
    moodleId: null,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    status: 'ok',
    exitCode: EXIT.ok,
    message: '',
    enrolments: 0,
    outcomes: { ok: 0, unchanged: 0, failed: 0, relinked: 0 },
    moodleCalls: { total: 0, byFunction: {} },
    reportDir,
  };
  const what = `user ${req.command} ${key}${req.course !== undefined ? ` ${req.course}` : ''}`;
  logger.info(`${what}: run ${runId}`);

  const client = new MoodleClient({ url: moodle.url, token: moodle.token, timeoutMs: config.moodle.timeoutMs, connections: 2 });
  const rows: Outcome[] = [];
  const finish = async (status: RunStatus, exitCode: number, message: string): Promise<LifecycleResult> => {
    summary.status = status;
    summary.exitCode = exitCode;
    summary.message = redact(message);
    summary.outcomes = countOutcomes(rows);
    summary.moodleCalls = { total: client.stats.calls, byFunction: { ...client.stats.byFunction } };
    summary.finishedAt = new Date().toISOString();
    await writePrivateFile(join(reportDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    if (status !== 'refused' && status !== 'aborted') await writeRowsCsv(reportDir, rows);
    if (exitCode === EXIT.ok) logger.info(summary.message);
    else logger.warn(summary.message);
    return { summary, rows };
  };
  const refuse = (code: string, message: string): Promise<LifecycleResult> => {
    summary.error = { code, message };
    return finish('refused', EXIT.refused, `Nothing was changed: ${message}.`);
  };

  let ledger: SqliteLedger | null = null;
  let started = false;
  try {
    const preflight = await checkMoodle(client, moodle.url, LIFECYCLE_FUNCTIONS[req.command]);
    if (preflight) return await refuse(preflight.code, preflight.message);
    ledger = SqliteLedger.open(config.ledger);
    const held = await takeWriterLock(ledger, runId, req.wait ?? 0, config.lockStaleSeconds * 1000);
    if (held) {
      ledger.close();
      ledger = null;
      return await refuse('locked', held);
    }

    const found = await findPerson(client, ledger, key);
    if (typeof found === 'string') return await refuse(found === 'unknown' ? 'unknown-person' : 'lookup-failed', found === 'unknown' ? `person ${key} is unknown: not in the ledger, and no Moodle user has idnumber ${key}` : found);
    const userId = found;
    summary.moodleId = userId;

    let courseId: number | undefined;
    if (req.command === 'unenrol') {
      const course = req.course ?? '';
      const placed = await findCourse(client, ledger, course);
      if (typeof placed === 'string') return await refuse(placed === 'unknown' ? 'unknown-course' : 'lookup-failed', placed === 'unknown' ? `course ${course} is unknown: not in the ledger, and no Moodle course has idnumber ${course}` : placed);
      courseId = placed;
    }

    ledger.startRun({ id: runId, file: what, sha256: '', type: req.command === 'unenrol' ? 'enrolments' : 'persons', op: `user-${req.command}`, dataSource: null, startedAt: summary.startedAt });
    started = true;
    const ctx: StepContext = { client, ledger, config, runId, key, userId, rows, redact };
    let message: string;
    switch (req.command) {
      case 'block':
        message = await block(ctx, summary);
        break;
      case 'unblock':
        message = await unblock(ctx, summary);
        break;
      case 'unenrol':
        message = await unenrol(ctx, summary, req.course ?? '', courseId!);
        break;
      case 'password':
        message = await setPassword(ctx, secret, req.usernameFromEmail ?? config.persons.usernameFromEmail);
        break;
    }
    const failed = rows.filter((r) => r.outcome === 'failed').length;
    const result =
      failed > 0
        ? await finish('failed-rows', EXIT.failedRows, `${message}; ${failed} step(s) failed (see ${reportDir}/rows.csv): fix the cause and run the same command again.`)
        : await finish('ok', EXIT.ok, `${message}.`);
    ledger.finishRun(runId, result.summary.status, { outcomes: summary.outcomes, exitCode: summary.exitCode });
    return result;
  } catch (err) {
    // A Moodle that stops answering midway: what went through is in the ledger; the rest is reported.
    if (!isTransient(err)) throw err;
    summary.error = { code: codeOf(err), message: redact((err as Error).message) };
    return await finish('aborted', EXIT.refused, `Stopped: Moodle at ${moodle.url} is unreachable (${summary.error.message}); run the same command again once it is back.`);
  } finally {
    if (ledger) {
      if (started && summary.finishedAt === '') ledger.finishRun(runId, 'aborted', null);
      else if (started && summary.status === 'aborted') ledger.finishRun(runId, 'aborted', null);
      releaseWriterLock(ledger, runId);
      ledger.close();
    }
    await client.close();
  }
}

interface StepContext {
  client: MoodleClient;
  ledger: SqliteLedger;
  config: Config;
  runId: string;
  key: string;
  userId: number;
  rows: Outcome[];
  redact: (m: string) => string;
}

/** The person's Moodle id: ledger link first, else the one Moodle user with that idnumber; 'unknown' or a problem. */
async function findPerson(client: MoodleClient, ledger: SqliteLedger, key: string): Promise<number | string> {
  const link = ledger.getLinks('persons', [key]).get(key);
  if (link) return link.moodleId;
  const users = (await getUsersByField(client, 'idnumber', [key])).filter((u) => u.idnumber === undefined || u.idnumber === key);
  if (users.length === 1) return users[0].id;
  return users.length === 0 ? 'unknown' : `${users.length} Moodle users have idnumber ${key}: make it unique`;
}

async function findCourse(client: MoodleClient, ledger: SqliteLedger, key: string): Promise<number | string> {
  const link = ledger.getLinks('courses', [key]).get(key);
  if (link) return link.moodleId;
  const { courses } = await getCoursesByField(client, 'idnumber', key);
  const exact = courses.filter((c) => c.idnumber === undefined || c.idnumber === key);
  if (exact.length === 1) return exact[0].id;
  return exact.length === 0 ? 'unknown' : `${exact.length} Moodle courses have idnumber ${key}`;
}

/** core_user_update_users for the one account, with retries on transient failures; adds its row to the report. */
async function updateAccount(ctx: StepContext, fields: Omit<UpdateUserInput, 'id'>, action: Outcome['action'], done: string): Promise<boolean> {
  const { retries, backoffMs } = ctx.config.moodle;
  const row = (extra: Partial<Outcome>): Outcome => ({ line: null, key: ctx.key, action, outcome: 'ok', moodleId: ctx.userId, ...extra });
  for (let attempt = 1; ; attempt++) {
    try {
      const warnings = await updateUsers(ctx.client, [{ id: ctx.userId, ...fields }]);
      const w = warnings[0];
      if (w) {
        ctx.rows.push(row({ outcome: 'failed', errorcode: w.warningcode, message: ctx.redact(w.message) }));
        return false;
      }
      ctx.rows.push(row({ message: done }));
      return true;
    } catch (err) {
      if (isTransient(err) && attempt < retries) {
        await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
        continue;
      }
      ctx.rows.push(row({ outcome: 'failed', errorcode: codeOf(err), message: ctx.redact((err as Error).message) }));
      return false;
    }
  }
}

/** Runs enrolment actions through the enrolments applier; their outcomes join the report. */
async function applyEnrolments(ctx: StepContext, actions: EnrolmentAction[]): Promise<Outcome[]> {
  if (actions.length === 0) return [];
  const outcomes = await applyPlan({ actions }, { client: ctx.client, ledger: ctx.ledger, runId: ctx.runId, options: applyOptions(ctx.config) });
  ctx.rows.push(...outcomes.map((o) => ({ ...o, message: o.message ?? actions.find((a) => a.key === o.key)?.reason })));
  return outcomes;
}

const base = (link: LedgerLink) => ({ entity: 'enrolments' as const, key: link.key, line: null, moodleId: link.moodleId, dataSource: link.dataSource });

async function block(ctx: StepContext, summary: LifecycleSummary): Promise<string> {
  if (!(await updateAccount(ctx, { suspended: 1 }, 'disable', 'account suspended'))) return `${ctx.key}: the account could not be suspended, its enrolments were left alone`;
  const links = ctx.ledger.linksWithKeySuffix('enrolments', `|${ctx.key}`).filter((l) => l.status === 'active');
  const suspendMode = ctx.config.enrolments.disable === 'suspend';
  const before = new Map<string, EnrolmentData | null>();
  const actions: EnrolmentAction[] = links.map((link) => {
    const sent = sentState(link, ctx.config);
    before.set(link.key, sent);
    if (!suspendMode) {
      return { kind: 'disable', ...base(link), hash: link.hash ?? undefined, status: 'disabled', reason: 'user block: unenrolled', enrolment: { call: 'unenrol' } };
    }
    if (!sent) {
      return { kind: 'fail', ...base(link), reason: 'user block', error: { code: 'unknown-role', message: 'the ledger does not say which role mdlsync gave: cannot re-enrol it suspended' } };
    }
    const role = sent.role ?? parseStateHash(link.hash)?.role ?? 'student';
    return {
      kind: 'disable',
      ...base(link),
      hash: stateHash({ role, start: sent.timestart, end: sent.timeend, suspend: true }),
      status: 'disabled',
      reason: 'user block: enrolment suspended',
      enrolment: { call: 'enrol', roleId: sent.roleId, role, timestart: sent.timestart, timeend: sent.timeend, suspend: true },
    };
  });
  const outcomes = await applyEnrolments(ctx, actions);
  // Mark what was removed so unblock restores exactly these, as they were before the block.
  const done = outcomes.filter((o) => o.outcome === 'ok').map((o) => o.key);
  for (const [k, link] of ctx.ledger.getLinks('enrolments', done)) {
    const restore = before.get(k);
    const data: BlockedData = { ...(parseData(link.data) ?? {}), blocked: ctx.runId, ...(restore ? { restore } : {}) };
    ctx.ledger.setLinkData('enrolments', k, JSON.stringify(data));
  }
  summary.enrolments = done.length;
  return `${ctx.key} blocked: account suspended, ${done.length} enrolment(s) ${suspendMode ? 'suspended' : 'removed'}`;
}

async function unblock(ctx: StepContext, summary: LifecycleSummary): Promise<string> {
  if (!(await updateAccount(ctx, { suspended: 0 }, 'enable', 'account reactivated'))) return `${ctx.key}: the account could not be reactivated, its enrolments were left alone`;
  const links = ctx.ledger.linksWithKeySuffix('enrolments', `|${ctx.key}`).filter((l) => l.status === 'disabled' && parseData(l.data)?.blocked !== undefined);
  const actions: EnrolmentAction[] = links.map((link) => {
    const d = parseData(link.data)!;
    const sent = d.restore ?? sentState(link, ctx.config);
    if (!sent) {
      return { kind: 'fail', ...base(link), reason: 'user unblock', error: { code: 'unknown-role', message: 'the ledger does not say which role mdlsync gave: re-enrol it with an enrolments feed' } };
    }
    const role = sent.role ?? parseStateHash(link.hash)?.role ?? 'student';
    const state = { role, start: sent.timestart, end: sent.timeend, suspend: sent.suspend };
    return {
      kind: 'enable',
      ...base(link),
      hash: stateHash(state),
      status: 'active',
      reason: `user unblock: re-enrolled as ${role}`,
      enrolment: { call: 'enrol', roleId: sent.roleId, role, timestart: sent.timestart, timeend: sent.timeend, suspend: sent.suspend },
    };
  });
  const outcomes = await applyEnrolments(ctx, actions);
  const done = outcomes.filter((o) => o.outcome === 'ok').length;
  summary.enrolments = done;
  return `${ctx.key} unblocked: account reactivated, ${done} enrolment(s) restored`;
}

async function unenrol(ctx: StepContext, summary: LifecycleSummary, course: string, courseId: number): Promise<string> {
  const k = enrolmentKeyOf(course, ctx.key);
  const link = ctx.ledger.getLinks('enrolments', [k]).get(k);
  const action: EnrolmentAction = {
    kind: 'disable',
    entity: 'enrolments',
    key: k,
    line: null,
    moodleId: ctx.userId,
    dataSource: link?.dataSource ?? null,
    hash: link?.hash ?? undefined,
    status: 'disabled',
    reason: `user unenrol: unenrolled from ${course}`,
    enrolment: { call: 'unenrol', courseId },
  };
  const [o] = await applyEnrolments(ctx, [action]);
  if (o.outcome !== 'ok') return `${ctx.key} could not be unenrolled from ${course}`;
  summary.enrolments = 1;
  if (!link) {
    // Never made nor adopted by mdlsync: it stays out of the ledger (a refresh must never think it owns it).
    ctx.ledger.dropLink('enrolments', k);
  } else {
    const d = parseData(link.data);
    if (d?.blocked !== undefined) {
      // Expelled for good: a later unblock must not bring it back.
      const { blocked: _b, restore: _r, ...rest } = d;
      ctx.ledger.setLinkData('enrolments', k, JSON.stringify(rest));
    }
  }
  return `${ctx.key} unenrolled from ${course}`;
}

async function setPassword(ctx: StepContext, password: string, usernameFromEmail: boolean): Promise<string> {
  const fields: Omit<UpdateUserInput, 'id'> = { password };
  let extra = '';
  if (usernameFromEmail) {
    const [user] = await getUsersByField(ctx.client, 'id', [String(ctx.userId)]);
    const email = user?.email?.trim() ?? '';
    if (!user || email === '') {
      ctx.rows.push({ line: null, key: ctx.key, action: 'update', outcome: 'failed', moodleId: ctx.userId, errorcode: user ? 'no-email' : 'invaliduser', message: user ? `Moodle user ${ctx.userId} has no email to use as username` : `Moodle user ${ctx.userId} no longer exists` });
      return `${ctx.key}: the password was not changed`;
    }
    fields.username = email.toLowerCase();
    fields.email = email;
    extra = `, username = email = ${email}`;
  }
  const ok = await updateAccount(ctx, fields, 'update', `password set${extra}`);
  return ok ? `${ctx.key}: password set${extra}` : `${ctx.key}: the password was not changed`;
}
