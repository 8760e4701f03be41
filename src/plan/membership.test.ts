/**
 * The membership removal rules exist once: the five membership entities decide a ROW_STATUS=disabled row, an
 * --op delete row and a refresh's missing link the same way, each removing what its link's state says mdlsync gave.
 */
import { describe, expect, it } from '@jest/globals';
import type { EntityRecord, EntityType, FeedItem } from '../feed/types.js';
import type { LedgerLink } from '../ledger/types.js';
import { defaultPlanOptions, type EntityPlanner } from './fold.js';
import type { Action, Op, PlanOptions } from './types.js';
import { CohortMemberPlanner, cohortMemberState } from '../entities/cohort-members/rules.js';
import { DEFAULT_ENROLMENT_SETTINGS, EnrolmentPlanner, enrolmentState } from '../entities/enrolments/rules.js';
import { GroupMemberPlanner, groupMemberState } from '../entities/group-members/rules.js';
import { InstitutionRolePlanner, holdState } from '../entities/institution-roles/rules.js';
import { ObserverPlanner, observerState } from '../entities/observers/rules.js';

const TS = '2026-01-01T00:00:00.000Z';

interface Case {
  entity: EntityType;
  record: EntityRecord;
  /** Everything the resolve step found for the row, without its link. */
  ctx: Record<string, unknown>;
  state: string;
  /** The entity's own fields of the removal the state asks for. */
  removal: Record<string, unknown>;
  planner(o: PlanOptions<never>): EntityPlanner<EntityType, never>;
}

const as = <T>(p: T) => p as unknown as EntityPlanner<EntityType, never>;

const CASES: Case[] = [
  {
    entity: 'enrolments',
    record: { key: 'C1|P1', fields: { course: 'C1', person: 'P1' }, dataSource: 'SIS' } as EntityRecord,
    ctx: { courseId: 7, userId: 40 },
    state: enrolmentState({ role: 'student', start: 0, end: 0, suspend: false }),
    removal: { enrolment: { call: 'unenrol' } },
    planner: (o) => as(new EnrolmentPlanner(o)),
  },
  {
    entity: 'enrolments',
    record: { key: 'C1|P1', fields: { course: 'C1', person: 'P1' }, dataSource: 'SIS' } as EntityRecord,
    ctx: { courseId: 7, userId: 40 },
    state: enrolmentState({ role: 'teacher', start: 5, end: 0, suspend: false }),
    removal: { enrolment: { call: 'enrol', role: 'teacher', roleId: 4, timestart: 5, suspend: true } },
    planner: (o) => as(new EnrolmentPlanner(o, { ...DEFAULT_ENROLMENT_SETTINGS, disable: 'suspend' })),
  },
  {
    entity: 'group-members',
    record: { key: 'C1|A|P1', fields: { course: 'C1', group: 'A', person: 'P1' }, dataSource: 'SIS' } as EntityRecord,
    ctx: { groupId: 12, userId: 40, enrolled: true },
    state: groupMemberState(11),
    removal: { member: { call: 'remove', groupId: 11 } },
    planner: (o) => as(new GroupMemberPlanner(o)),
  },
  {
    entity: 'cohort-members',
    record: { key: 'Y1|P1', fields: { cohort: 'Y1', person: 'P1' }, dataSource: 'SIS' } as EntityRecord,
    ctx: { cohortId: 5, userId: 40 },
    state: cohortMemberState(4),
    removal: { member: { call: 'remove', cohortId: 4 } },
    planner: (o) => as(new CohortMemberPlanner(o)),
  },
  {
    entity: 'institution-roles',
    record: { key: 'P1|eng', fields: { person: 'P1', role: 'eng' }, dataSource: 'SIS' } as EntityRecord,
    ctx: { userId: 40, cohortId: 13 },
    state: holdState({ kind: 'cohort', id: 13 }),
    removal: { target: { call: 'remove', from: { kind: 'cohort', id: 13, userId: 40 } } },
    planner: (o) => as(new InstitutionRolePlanner(o)),
  },
  {
    entity: 'observers',
    record: { key: 'P2|P1', fields: { observer: 'P2', user: 'P1' }, dataSource: 'SIS' } as EntityRecord,
    ctx: { observerId: 41, userId: 40 },
    state: observerState(40, 9),
    removal: { target: { call: 'remove', assignment: { roleId: 9, observerId: 41, userId: 40 } } },
    planner: (o) => as(new ObserverPlanner(o)),
  },
];

const link = (c: Case, over: Partial<LedgerLink> = {}): LedgerLink => ({
  entity: c.entity, key: c.record.key, moodleId: c.entity === 'observers' ? 41 : 40, dataSource: 'SIS', hash: null, state: c.state, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over,
});

function plan(c: Case, op: Op, ctx: Record<string, unknown>, record: EntityRecord | null, owned: LedgerLink[] = []): Action[] {
  const p = c.planner(defaultPlanOptions({ op, entity: c.entity, dataSource: 'SIS', force: true }) as PlanOptions<never>);
  if (record) p.add({ line: 2, record } as FeedItem<EntityRecord>, ctx as never);
  return p.finish(owned).actions;
}

const ASKS = [
  { why: 'ROW_STATUS=disabled', op: 'store' as Op, row: { rowStatus: 'disabled' } },
  { why: 'delete', op: 'delete' as Op, row: {} },
];

describe('one set of membership removal rules', () => {
  for (const c of CASES) {
    const name = `${c.entity}${c.entity === 'enrolments' ? ` (${(c.removal.enrolment as { call: string }).call === 'unenrol' ? 'unenrol' : 'suspend'})` : ''}`;

    for (const ask of ASKS) {
      it(`${name}, ${ask.why}: removes what the link's state says mdlsync gave, and keeps that state`, () => {
        const [a] = plan(c, ask.op, { ...c.ctx, link: link(c) }, { ...c.record, ...ask.row } as EntityRecord);
        expect(a).toMatchObject({ kind: 'disable', status: 'disabled', moodleId: link(c).moodleId, ...c.removal });
        expect(a.reason.startsWith(`${ask.why}: `)).toBe(true);
        if (c.removal.enrolment && (c.removal.enrolment as { call: string }).call === 'enrol') expect(a.state).toBe(enrolmentState({ role: 'teacher', start: 5, end: 0, suspend: true }));
        else expect(a.state).toBe(c.state);
      });

      it(`${name}, ${ask.why}: a link already disabled is left alone`, () => {
        const [a] = plan(c, ask.op, { ...c.ctx, link: link(c, { status: 'disabled' }) }, { ...c.record, ...ask.row } as EntityRecord);
        expect(a).toMatchObject({ kind: 'unchanged', moodleId: link(c).moodleId });
        expect(a.reason).toMatch(new RegExp(`^already (removed|disabled) \\(${ask.why}\\)$`));
      });
    }

    it(`${name}, refresh: the missing link is removed by what its state says`, () => {
      const actions = plan(c, 'refresh', {}, null, [link(c)]);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ kind: 'disable', line: null, key: c.record.key, ...c.removal });
      expect(actions[0].reason.startsWith('missing from')).toBe(true);
    });
  }
});
