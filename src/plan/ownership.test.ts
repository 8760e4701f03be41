/**
 * Data-source ownership, table-driven over every entity the issue names: a row of one data source never acts on
 * what another data source owns, whatever the row asks (store, ROW_STATUS=disabled/deleted, ACTION=delete, --op delete).
 */
import { describe, expect, it } from '@jest/globals';
import type { EntityRecord, EntityType, FeedItem, RowCommand, RowStatus } from '../feed/types.js';
import type { LedgerLink } from '../ledger/types.js';
import { CohortMemberPlanner } from '../entities/cohort-members/rules.js';
import { CoursePlanner } from '../entities/courses/rules.js';
import { EnrolmentPlanner, enrolmentState } from '../entities/enrolments/rules.js';
import { EntityPlanner, defaultPlanOptions } from './fold.js';
import { GroupMemberPlanner } from '../entities/group-members/rules.js';
import { PersonPlanner } from '../entities/persons/rules.js';
import { InstitutionRolePlanner } from '../entities/institution-roles/rules.js';
import { ObserverPlanner } from '../entities/observers/rules.js';
import type { Action, Op, PlanOptions } from './types.js';

const TS = '2026-01-01T00:00:00.000Z';
const OWNER = 'SIS.OWNER';
const OTHER = 'OTHER.DS';

/** Entities whose link keeps a content hash; the others keep state (ledger migration 7). */
const CONTENT = new Set<EntityType>(['persons', 'categories', 'courses', 'cohorts']);

function link(entity: EntityType, key: string, moodleId: number, saved: string | null): LedgerLink {
  const [hash, state] = CONTENT.has(entity) ? [saved, null] : [null, saved];
  return { entity, key, moodleId, dataSource: OWNER, hash, state, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null };
}

interface Case {
  entity: EntityType;
  record: EntityRecord;
  /** What the caller found for the row: everything placed, and the ledger link of OWNER. */
  ctx: Record<string, unknown>;
  planner(o: PlanOptions): EntityPlanner<EntityType, never>;
}

const as = <T>(p: T) => p as unknown as EntityPlanner<EntityType, never>;
/** The case's options as its own entity's (each case plans its own entity). */
const own = <T extends EntityType>(o: PlanOptions) => o as PlanOptions<T>;

const CASES: Case[] = [
  {
    entity: 'persons',
    record: { key: 'P1', fields: { username: 'p1', firstname: 'A', lastname: 'B', email: 'p1@example.edu' } } as EntityRecord,
    ctx: { link: link('persons', 'P1', 40, 'h0') },
    planner: (o) => as(new PersonPlanner(own(o))),
  },
  {
    entity: 'courses',
    record: { key: 'C1', fields: { shortname: 'c1', fullname: 'Course 1' } } as EntityRecord,
    ctx: { link: link('courses', 'C1', 7, 'h0') },
    planner: (o) => as(new CoursePlanner(own(o))),
  },
  {
    entity: 'enrolments',
    record: { key: 'C1|P1', fields: { course: 'C1', person: 'P1', role: 'student' } } as EntityRecord,
    ctx: { courseId: 7, userId: 40, link: link('enrolments', 'C1|P1', 40, enrolmentState({ role: 'student', start: 0, end: 0, suspend: true })) },
    planner: (o) => as(new EnrolmentPlanner(own(o))),
  },
  {
    entity: 'group-members',
    record: { key: 'C1|G1|P1', fields: { course: 'C1', group: 'G1', person: 'P1' } } as EntityRecord,
    ctx: { groupId: 11, userId: 40, enrolled: true, link: link('group-members', 'C1|G1|P1', 40, 'g0') },
    planner: (o) => as(new GroupMemberPlanner(own(o))),
  },
  {
    entity: 'cohort-members',
    record: { key: 'Y1|P1', fields: { cohort: 'Y1', person: 'P1' } } as EntityRecord,
    ctx: { cohortId: 12, userId: 40, link: link('cohort-members', 'Y1|P1', 40, 'c0') },
    planner: (o) => as(new CohortMemberPlanner(own(o))),
  },
  {
    entity: 'institution-roles',
    record: { key: 'P1|eng', fields: { person: 'P1', role: 'eng' } } as EntityRecord,
    ctx: { userId: 40, cohortId: 13, link: link('institution-roles', 'P1|eng', 40, 'r0') },
    planner: (o) => as(new InstitutionRolePlanner(own(o))),
  },
  {
    entity: 'observers',
    record: { key: 'P2|P1', fields: { observer: 'P2', user: 'P1' } } as EntityRecord,
    ctx: { observerId: 41, userId: 40, link: link('observers', 'P2|P1', 41, 'o0') },
    planner: (o) => as(new ObserverPlanner(own(o))),
  },
];

/** What the row asks: its ROW_STATUS, its ACTION, or the file's op. */
const ASKS: { name: string; op: Op; rowStatus?: RowStatus; command?: RowCommand }[] = [
  { name: 'store (ROW_STATUS=enabled)', op: 'store', rowStatus: 'enabled' },
  { name: 'ROW_STATUS=disabled', op: 'store', rowStatus: 'disabled' },
  { name: 'ROW_STATUS=deleted', op: 'store', rowStatus: 'deleted' },
  { name: 'ACTION=delete', op: 'store', command: 'delete' },
  { name: '--op delete', op: 'delete' },
  { name: 'refresh-ds of the row’s data source', op: 'refresh-ds', rowStatus: 'disabled' },
];

function planOne(c: Case, ask: (typeof ASKS)[number], rowSource: string | undefined, runSource: string | null = null): Action {
  const options = defaultPlanOptions({ op: ask.op, entity: c.entity, dataSource: ask.op === 'refresh-ds' ? (rowSource ?? OWNER) : runSource });
  const p = c.planner(options);
  const record = { ...c.record, dataSource: rowSource, rowStatus: ask.rowStatus, command: ask.command } as EntityRecord;
  p.add({ line: 2, record } as FeedItem<EntityRecord>, c.ctx as never);
  const actions = p.finish([]).actions;
  return actions[0];
}

describe('data-source ownership: every row, whatever it asks, passes the same check', () => {
  for (const c of CASES) {
    for (const ask of ASKS) {
      it(`${c.entity}, ${ask.name}: a row of ${OTHER} on what ${OWNER} owns fails data-source-mismatch`, () => {
        const a = planOne(c, ask, OTHER);
        expect(a).toMatchObject({ kind: 'fail', key: c.record.key, line: 2, error: { code: 'data-source-mismatch' } });
        expect(a.error?.message).toContain(`belongs to data source ${OWNER}, this row to ${OTHER}`);
      });

      it(`${c.entity}, ${ask.name}: a row of the owner's data source, or of none, passes`, () => {
        expect(planOne(c, ask, OWNER).error?.code).not.toBe('data-source-mismatch');
        if (ask.op !== 'refresh-ds') expect(planOne(c, ask, undefined).error?.code).not.toBe('data-source-mismatch');
      });
    }

    it(`${c.entity}: the run's --datasource counts as the row's when the row has none`, () => {
      const a = planOne(c, ASKS[1], undefined, OTHER);
      expect(a.error?.code).toBe('data-source-mismatch');
    });
  }

  /** What a row acts in, owned by another data source, without any link of the row's own key (say, made by hand). */
  const CONTAINERS: { entity: EntityType; ctx: Record<string, unknown>; message: string }[] = [
    {
      entity: 'enrolments',
      ctx: { courseId: 7, userId: 40, match: { id: 40, via: 'idnumber' }, courseDataSource: 'SIS.COURSE' },
      message: `course C1 belongs to data source SIS.COURSE, this row to ${OTHER}: enrol it from the courses' data source, or move the course`,
    },
    {
      entity: 'group-members',
      ctx: { groupId: 11, userId: 40, enrolled: true, match: { id: 40, via: 'idnumber' }, groupDataSource: 'SIS.GROUPS' },
      message: `group G1 of course C1 belongs to data source SIS.GROUPS, this row to ${OTHER}: send its members from the group's data source`,
    },
    {
      entity: 'cohort-members',
      ctx: { cohortId: 12, userId: 40, match: { id: 40, via: 'idnumber' }, cohortDataSource: 'SIS.COHORTS' },
      message: `cohort Y1 belongs to data source SIS.COHORTS, this row to ${OTHER}: send its members from the cohort's data source`,
    },
  ];
  for (const k of CONTAINERS) {
    it(`${k.entity}: every row of another data source than its container’s fails like its store row, even without a link of its own`, () => {
      const c = CASES.find((x) => x.entity === k.entity)!;
      for (const ask of ASKS.slice(0, 5)) {
        const p = c.planner(defaultPlanOptions({ op: ask.op, entity: k.entity }));
        p.add({ line: 2, record: { ...c.record, dataSource: OTHER, rowStatus: ask.rowStatus, command: ask.command } } as FeedItem<EntityRecord>, k.ctx as never);
        const [a] = p.finish([]).actions;
        expect(a).toMatchObject({ kind: 'fail', error: { code: 'data-source-mismatch', message: k.message } });
      }
    });
  }

  it('config dataSourceFamilies: a row may act in a container another data source of its family owns, never in a record of its own key that another owns', () => {
    const families = [['SIS.PERSON', 'SIS.COURSE', 'SIS.MEMBERSHIP', 'SIS.GROUPS', 'SIS.COHORTS']];
    for (const k of CONTAINERS) {
      const c = CASES.find((x) => x.entity === k.entity)!;
      const plan = (row: string, ctx: Record<string, unknown>, fam = families) => {
        const p = c.planner(defaultPlanOptions({ op: 'store', entity: k.entity, dataSourceFamilies: fam }));
        p.add({ line: 2, record: { ...c.record, dataSource: row } } as FeedItem<EntityRecord>, ctx as never);
        return p.finish([]).actions[0];
      };
      expect(plan('SIS.MEMBERSHIP', k.ctx).error?.code).not.toBe('data-source-mismatch');
      // Outside the family, or with no family configured, the container's owner still decides.
      expect(plan(OTHER, k.ctx).error?.code).toBe('data-source-mismatch');
      expect(plan('SIS.MEMBERSHIP', k.ctx, []).error?.code).toBe('data-source-mismatch');
      // The row's own link: SIS.OWNER is not in the family, and even a family member does not take over a record.
      expect(plan('SIS.MEMBERSHIP', { ...k.ctx, link: c.ctx.link }).error?.message).toContain(`belongs to data source ${OWNER}, this row to SIS.MEMBERSHIP`);
      const owned = { ...k.ctx, link: { ...(c.ctx.link as LedgerLink), dataSource: 'SIS.COURSE' } };
      expect(plan('SIS.MEMBERSHIP', owned).error?.message).toContain('belongs to data source SIS.COURSE, this row to SIS.MEMBERSHIP');
    }
  });

  it('a record linked without a data source, or not linked at all, is never refused this way', () => {
    for (const c of CASES) {
      const ctx = { ...c.ctx, link: { ...(c.ctx.link as LedgerLink), dataSource: null } };
      const p = c.planner(defaultPlanOptions({ op: 'store', entity: c.entity }));
      p.add({ line: 2, record: { ...c.record, dataSource: OTHER, rowStatus: 'disabled' } } as FeedItem<EntityRecord>, ctx as never);
      expect(p.finish([]).actions[0].error?.code).not.toBe('data-source-mismatch');
    }
  });
});
