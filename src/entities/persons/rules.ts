/**
 * The persons rules of the generic planner (fold.ts): hashing, create/adopt/update/enable, passwords, suspend or
 * delete. PersonPlanner is the fold with these rules, kept as the persons API. Pure: no I/O, no clock.
 */
import type { FeedItem } from '../../feed/types.js';
import type { PersonRecord } from './record.js';
import type { PlanLink } from '../../ledger/types.js';
import type { ActionOf, Plan, PlanOptions } from '../../plan/types.js';
import { EntityPlanner, unchangedByLink, updateReason, type ContextBase, type EntityRules, type RowPlanning } from '../../plan/fold.js';
import { personContentHash } from './hash.js';
import { tooLongFields } from './user-limits.js';

export { defaultPlanOptions, emptyCounts, summarizePlan } from '../../plan/fold.js';

/** A Moodle user found for a key the ledger lacks. */
export interface MoodleMatch {
  id: number;
  suspended: boolean;
  via: 'moodle-id' | 'idnumber' | 'username';
}

/** What the caller knows about a row's key: its ledger link, or else what a Moodle lookup found. */
export type RowContext = ContextBase<MoodleMatch>;

/** What a persons action adds to the base: the account's wanted state and whether its password goes. */
export interface PersonTarget {
  /** Wanted `suspended` state of the account after the action (true = cannot log in). */
  suspended?: boolean;
  /** Send the row's password (create, or passwords: always). */
  sendPassword?: boolean;
}

declare module '../types.js' {
  interface EntityActions {
    persons: PersonTarget;
  }
}

/** A persons action. */
export type PersonAction = ActionOf<'persons'>;

type P = RowPlanning<'persons', RowContext>;

const CREATE_NEEDS = ['username', 'firstname', 'lastname'] as const;

function missingForCreate(r: PersonRecord): string[] {
  return CREATE_NEEDS.filter((f) => !r.fields[f]);
}

function failMissing(p: P, r: PersonRecord, line: number, ctx: RowContext, missing: string[]): PersonAction {
  const plural = missing.length > 1;
  return p.fail(r, line, ctx, 'missing-value', `${missing.join(', ')} ${plural ? 'are' : 'is'} empty: a new account needs username, firstname and lastname`);
}

/**
 * ACTION=block|unblock|password: one lifecycle step on an account Moodle has (ledger link, else found by MOODLE_ID or
 * idnumber), as `mdlsync user …` does. The row's other cells are not sent and the person's link is not rewritten: a
 * block is not a content change, so the next store of the same row still finds it unchanged.
 */
function lifecycleAction(r: PersonRecord, line: number, ctx: RowContext, p: P): PersonAction {
  const step = r.lifecycle!;
  const moodleId = ctx.link?.moodleId ?? ctx.match?.id;
  if (moodleId === undefined) {
    const field = r.fields.idnumber ? 'idnumber' : 'username';
    return p.fail(r, line, ctx, 'unknown-person', `ACTION=${step}: person ${r.key} is unknown: not in the ledger, and no Moodle user has ${field} ${r.key}`);
  }
  const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx), moodleId, record: r };
  if (step === 'block') {
    return { kind: 'disable', ...base, suspended: true, reason: 'ACTION=block: suspend the account, then remove the enrolments mdlsync manages (or suspend them: enrolments.disable)' };
  }
  if (step === 'unblock') return { kind: 'enable', ...base, suspended: false, reason: 'ACTION=unblock: reactivate the account, then restore the enrolments a block removed' };
  if (r.fields.password === undefined) return p.fail(r, line, ctx, 'missing-value', 'ACTION=password needs the new password in the PASSWD (password) column');
  const extra = r.usernameFromEmail === true ? '; username = email' : r.usernameFromEmail === false ? '' : '; username = email if persons.usernameFromEmail';
  return { kind: 'update', ...base, sendPassword: true, reason: `ACTION=password: set the password${extra}` };
}

export const PERSON_RULES: EntityRules<'persons', RowContext> = {
  moodleNoun: 'user',
  recordNoun: 'account',

  /** The hot path. */
  store(r, line, ctx, p) {
    if (r.lifecycle !== undefined) return lifecycleAction(r, line, ctx, p);
    // Moodle never truncates: the plan says now what the run would meet (the applier checks again what it sends).
    const tooLong = tooLongFields(r.fields);
    if (tooLong) return p.fail(r, line, ctx, 'field-too-long', tooLong);
    const o = p.options;
    const entity = o.entity;
    const key = r.key;
    const dataSource = p.ds(r, ctx);
    const hash = personContentHash(r, o.passwords, o.passwordKey);
    const link = ctx.link;
    // Upload users' upload types: add new only leaves what exists as it is; update only creates nothing.
    if (r.uploadType === 'addnew' && (link || ctx.match)) {
      const found = link ? 'linked by mdlsync' : p.found(ctx.match!);
      return { kind: 'unchanged', entity, key, line, dataSource, moodleId: link?.moodleId ?? ctx.match!.id, reason: `the account exists (${found}): upload type "add new only" leaves it and the rest of its line unchanged`, skipsLine: true };
    }
    if (r.uploadType === 'update' && !link && !ctx.match) {
      const by = r.fields.idnumber ? `idnumber ${r.fields.idnumber}${r.fields.username ? ` or username ${r.fields.username}` : ''}` : `username ${r.fields.username ?? key}`;
      return p.fail(r, line, ctx, 'unknown-person', `no Moodle account has ${by}: upload type "update existing users only" creates none`);
    }
    // A new DATA_SOURCE_KEY re-owns the link even when the content is the same.
    const same = unchangedByLink(r, line, link, hash, dataSource, p);
    if (same) return same;
    // Availability only when the row says it (SIS rows always do: AVAILABLE_IND defaults to Y); otherwise the
    // account's suspended state is left as it is, as Moodle's own upload tool does for a missing column.
    const suspended = r.available === undefined ? undefined : !r.available;
    const hasPassword = r.fields.password !== undefined;
    const sendPassword = hasPassword && o.passwords === 'always';
    if (link) {
      if (link.status === 'disabled') {
        const reason = suspended ? 're-enable: back in the file (stays unavailable: AVAILABLE_IND=N)' : 're-enable: back in the file';
        return { kind: 'enable', entity, key, line, dataSource, moodleId: link.moodleId, record: r, suspended: suspended ?? false, sendPassword, hash, status: 'active', reason };
      }
      const reason = updateReason(link, hash, dataSource);
      return { kind: 'update', entity, key, line, dataSource, moodleId: link.moodleId, record: r, suspended, sendPassword, hash, status: 'active', reason };
    }
    if (ctx.match) {
      const moodleId = ctx.match.id;
      const reason = `${p.found(ctx.match)}: adopt`;
      return { kind: 'adopt', entity, key, line, dataSource, moodleId, record: r, suspended, sendPassword, hash, status: 'active', reason };
    }
    const missing = missingForCreate(r);
    if (missing.length) return failMissing(p, r, line, ctx, missing);
    const reason = suspended ? 'new person (unavailable: AVAILABLE_IND=N)' : 'new person';
    return { kind: 'create', entity, key, line, dataSource, record: r, suspended: suspended ?? false, sendPassword: hasPassword, hash, status: 'active', reason };
  },

  /** Suspend; a new person sent as disabled is created disabled. */
  disable(r, line, ctx, p) {
    if (r.lifecycle !== undefined) return lifecycleAction(r, line, ctx, p);
    const o = p.options;
    const base = { entity: o.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    const why = r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted (a store only disables)' : 'ROW_STATUS=disabled';
    const link = ctx.link;
    if (link) {
      if (link.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already disabled (${why})` };
      return { kind: 'disable', ...base, moodleId: link.moodleId, record: r, suspended: true, hash: personContentHash(r, o.passwords, o.passwordKey), status: 'disabled', reason: why };
    }
    if (ctx.match) {
      return {
        kind: 'disable',
        ...base,
        moodleId: ctx.match.id,
        record: r,
        suspended: true,
        hash: personContentHash(r, o.passwords, o.passwordKey),
        status: 'disabled',
        reason: `${why}; ${p.found(ctx.match)}`,
      };
    }
    // Blackboard creates a new person sent as disabled in the disabled state; so does mdlsync.
    const missing = missingForCreate(r);
    if (missing.length) return failMissing(p, r, line, ctx, missing);
    return {
      kind: 'create',
      ...base,
      record: r,
      suspended: true,
      sendPassword: r.fields.password !== undefined,
      hash: personContentHash(r, o.passwords, o.passwordKey),
      status: 'disabled',
      reason: `new person, created disabled (${why})`,
    };
  },

  /** Suspend, or hard delete when configured and explicit. */
  delete(r, line, ctx, p, target, via) {
    const o = p.options;
    const base = { entity: o.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    const why = o.op === 'delete' ? 'delete' : 'ACTION=delete';
    if (p.hardDelete) {
      // No ledger status: once Moodle confirms the delete, the link is dropped.
      return { kind: 'delete', ...base, moodleId: target, record: r, reason: `${why} (disable: delete configured)${via}` };
    }
    if (ctx.link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: target, reason: `already disabled (${why})` };
    return { kind: 'disable', ...base, moodleId: target, record: r, suspended: true, hash: ctx.link?.hash ?? undefined, status: 'disabled', reason: `${why}${via}` };
  },

  ownedDisable(link, reason, p) {
    return {
      kind: 'disable',
      entity: p.options.entity,
      key: link.key,
      line: null,
      moodleId: link.moodleId,
      suspended: true,
      hash: link.hash ?? undefined,
      status: 'disabled',
      dataSource: link.dataSource,
      reason,
    };
  },
};

/** The persons planner: the generic fold with the persons rules. */
export class PersonPlanner extends EntityPlanner<'persons', RowContext> {
  constructor(options: PlanOptions<'persons'>, sink?: (action: PersonAction) => void) {
    super(PERSON_RULES, options, sink, 'PersonPlanner');
  }
}

/** Plans a whole file in one call (the class, for callers that stream). */
export function planPersons(items: Iterable<{ item: FeedItem; ctx: RowContext }>, ownedActive: Iterable<PlanLink>, options: PlanOptions<'persons'>): Plan<'persons'> {
  const planner = new PersonPlanner(options);
  for (const { item, ctx } of items) planner.add(item, ctx);
  return planner.finish(ownedActive);
}
