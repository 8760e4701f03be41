/**
 * The account lifecycle steps of DESIGN §6 as the persons applier runs them, for ACTION=block|unblock|password rows
 * of a persons feed and for `mdlsync user block|unblock|password` (a one-row persons plan): the account update, and
 * the enrolment half of a block or unblock, which goes through the enrolments applier (shared BatchEngine: retries,
 * bisection, a ledger write after each confirmed call), so the ledger stays the truth for later runs.
 *
 * - block: unenrol (or, with enrolments.disable: suspend, re-enrol suspended) every active enrolment link of the
 *   person; each link's data gets a `blocked` mark and what to restore, written with the link once Moodle confirms.
 * - unblock: re-enrol the links a block marked, with the role and dates mdlsync last sent; the enrol clears the mark.
 */
import type { PersonRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';
import type { UpdateUserInput } from '../../moodle/types.js';
import {
  DEFAULT_ENROLMENT_SETTINGS,
  parseEnrolmentState,
  personKeyOf,
  resolveRole,
  enrolmentState,
  type EnrolmentAction,
  type EnrolmentSettings,
} from '../enrolments/rules.js';
import { BatchEngine, type ApplyDeps, type Row } from '../../apply/engine.js';
import { enrolmentsApplier, type EnrolmentData } from '../enrolments/apply.js';
import { placeCourses } from '../enrolments/lookup.js';
import { retrier } from '../../resolve/common.js';
import { CoursePlaces } from '../../resolve/courses.js';
import type { Outcome } from '../../apply/types.js';

export type EnrolmentStep = 'block' | 'unblock';

/** What the data column of a blocked enrolment link holds: what was last sent, plus the mark and what to restore. */
export interface BlockedData extends Partial<EnrolmentData> {
  blocked?: string;
  restore?: EnrolmentData;
}

export function parseLinkData(text: string | null | undefined): BlockedData | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as BlockedData) : null;
  } catch {
    return null;
  }
}

/** The enrolment as mdlsync last sent it: the data column, else (links written before it existed) the state. */
export function sentState(link: LedgerLink, settings: EnrolmentSettings): EnrolmentData | null {
  const d = parseLinkData(link.data);
  if (d && typeof d.roleId === 'number') return { roleId: d.roleId, role: d.role, timestart: d.timestart ?? 0, timeend: d.timeend ?? 0, suspend: d.suspend === true };
  const s = parseEnrolmentState(link.state);
  if (!s) return null;
  const role = resolveRole(s.role, settings);
  return 'id' in role ? { roleId: role.id, role: role.shortname, timestart: s.start, timeend: s.end, suspend: s.suspend } : null;
}

/** The core_user_update_users record of a lifecycle row: only what the step changes, never the row's other cells. */
export function accountUpdate(record: PersonRecord, id: number, usernameEmail?: string): UpdateUserInput {
  if (record.lifecycle === 'block') return { id, suspended: 1 };
  if (record.lifecycle === 'unblock') return { id, suspended: 0 };
  const input: UpdateUserInput = { id, password: record.fields.password ?? '' };
  if (usernameEmail !== undefined) {
    input.username = usernameEmail.toLowerCase();
    input.email = usernameEmail;
  }
  return input;
}

const base = (link: LedgerLink) => ({ entity: 'enrolments' as const, key: link.key, line: null, moodleId: link.moodleId, dataSource: link.dataSource });

/** The enrolment actions of a block: every active link of the person, unenrolled or suspended, marked for unblock. */
export function blockActions(links: readonly LedgerLink[], settings: EnrolmentSettings, runId: string): EnrolmentAction[] {
  return links
    .filter((l) => l.status === 'active')
    .map((link): EnrolmentAction => {
      const sent = sentState(link, settings);
      const mark = { blocked: runId, ...(sent ? { restore: sent } : {}) };
      if (settings.disable !== 'suspend') {
        const data = JSON.stringify({ ...(parseLinkData(link.data) ?? {}), ...mark });
        return { kind: 'disable', ...base(link), state: link.state ?? undefined, status: 'disabled', reason: 'block: unenrolled', enrolment: { call: 'unenrol', data } };
      }
      if (!sent) {
        return { kind: 'fail', ...base(link), reason: 'block', error: { code: 'unknown-role', message: 'the ledger does not say which role mdlsync gave: cannot re-enrol it suspended' } };
      }
      const role = sent.role ?? parseEnrolmentState(link.state)?.role ?? 'student';
      const now: EnrolmentData = { roleId: sent.roleId, role, timestart: sent.timestart, timeend: sent.timeend, suspend: true };
      return {
        kind: 'disable',
        ...base(link),
        state: enrolmentState({ role, start: sent.timestart, end: sent.timeend, suspend: true }),
        status: 'disabled',
        reason: 'block: enrolment suspended',
        enrolment: { call: 'enrol', roleId: sent.roleId, role, timestart: sent.timestart, timeend: sent.timeend, suspend: true, data: JSON.stringify({ ...now, ...mark }) },
      };
    });
}

/** The enrolment actions of an unblock: the links a block marked, re-enrolled as they were before it. */
export function unblockActions(links: readonly LedgerLink[], settings: EnrolmentSettings): EnrolmentAction[] {
  const actions: EnrolmentAction[] = [];
  for (const link of links) {
    const d = link.status === 'disabled' ? parseLinkData(link.data) : null;
    if (d?.blocked === undefined) continue;
    const sent = d.restore ?? sentState(link, settings);
    if (!sent) {
      actions.push({ kind: 'fail', ...base(link), reason: 'unblock', error: { code: 'unknown-role', message: 'the ledger does not say which role mdlsync gave: re-enrol it with an enrolments feed' } });
      continue;
    }
    const role = sent.role ?? parseEnrolmentState(link.state)?.role ?? 'student';
    actions.push({
      kind: 'enable',
      ...base(link),
      state: enrolmentState({ role, start: sent.timestart, end: sent.timeend, suspend: sent.suspend }),
      status: 'active',
      reason: `unblock: re-enrolled as ${role}`,
      // No `data`: the enrol writes what it sent, which drops the block mark.
      enrolment: { call: 'enrol', roleId: sent.roleId, role, timestart: sent.timestart, timeend: sent.timeend, suspend: sent.suspend },
    });
  }
  return actions;
}

/** Runs enrolment actions through the enrolments applier with their own engine (progress stays the caller's). */
export async function applyEnrolmentActions(deps: ApplyDeps, planned: readonly EnrolmentAction[]): Promise<Outcome[]> {
  if (planned.length === 0) return [];
  // The links hold user ids only: each enrolment's course is placed first (the shared course look-up), so the
  // applier only sends what the actions say.
  const courses = new CoursePlaces(deps.client, deps.ledger, retrier({ retries: deps.options.retries, backoffMs: deps.options.backoffMs }));
  const actions = await placeCourses(courses, planned);
  const engine = new BatchEngine(actions, { ...deps, onProgress: undefined });
  const send: Row<'enrolments'>[] = [];
  actions.forEach((action, index) => {
    if (action.kind === 'fail') engine.fail({ index, action }, action.error?.code ?? 'failed', action.error?.message ?? action.reason);
    else send.push({ index, action });
  });
  await enrolmentsApplier.prepare(engine, send)();
  // Rows that carry no message say what was done (the lifecycle report lists them).
  return engine.results().map((o, i) => (o.message === undefined ? { ...o, message: actions[i].reason } : o));
}

/**
 * The enrolment half of the block and unblock rows whose account update Moodle confirmed: person key → the outcomes
 * of that person's enrolments (none when the ledger holds nothing to remove or restore).
 */
export async function enrolmentStep(deps: ApplyDeps, persons: readonly { key: string; step: EnrolmentStep }[], settings: EnrolmentSettings = DEFAULT_ENROLMENT_SETTINGS): Promise<Map<string, Outcome[]>> {
  const ledger = deps.ledger;
  if (!ledger.linksWithKeySuffix) throw new Error('this ledger cannot list a person’s enrolments (linksWithKeySuffix)');
  const actions: EnrolmentAction[] = [];
  for (const { key, step } of persons) {
    const links = (await ledger.linksWithKeySuffix('enrolments', `|${key}`)).filter((l) => personKeyOf(l.key) === key);
    actions.push(...(step === 'block' ? blockActions(links, settings, deps.runId) : unblockActions(links, settings)));
  }
  const outcomes = await applyEnrolmentActions(deps, actions);
  if (outcomes.length) deps.extraOutcomes?.(outcomes);
  const byPerson = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const k = personKeyOf(o.key);
    const list = byPerson.get(k);
    if (list) list.push(o);
    else byPerson.set(k, [o]);
  }
  return byPerson;
}
