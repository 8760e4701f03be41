/**
 * Migration 7 on a ledger written by the previous schema (version 6), where `hash` held content hashes and state
 * alike: state moves to its own column, and the planners decide exactly what they decided before the upgrade.
 */
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { LEDGER_MIGRATIONS, LEDGER_SCHEMA_VERSION, migrate } from './index.js';
import { LedgerConnection } from './postgres/connection.js';
import { migratePg, pgLedgerMigrations } from './postgres/migrations.js';
import { PG_URL, eachBackend, pgAdmin, type LedgerBackend } from './test-backends.js';
import type { LedgerLink, LedgerStore } from './types.js';
import type { EntityType, FeedItem, RecordOf } from '../feed/types.js';
import { defaultPlanOptions, type EntityPlanner } from '../plan/fold.js';
import type { Action, Op } from '../plan/types.js';
import { CohortPlanner, DELETED_STATE, cohortHash, type CohortAction } from '../entities/cohorts/rules.js';
import { CohortMemberPlanner, cohortMemberState, type CohortMemberAction } from '../entities/cohort-members/rules.js';
import { DEFAULT_ENROLMENT_SETTINGS, EnrolmentPlanner, enrolmentState, type EnrolmentAction } from '../entities/enrolments/rules.js';
import { GroupPlanner, groupState } from '../entities/groups/rules.js';
import { GroupMemberPlanner, groupMemberState, type GroupMemberAction } from '../entities/group-members/rules.js';
import { InstitutionRolePlanner, holdState, type InstitutionRoleAction } from '../entities/institution-roles/rules.js';
import { ObserverPlanner, observerState, type ObserverAction } from '../entities/observers/rules.js';
import type { CohortRecord } from '../entities/cohorts/record.js';

const TS = '2026-01-01T00:00:00.000Z';
const Y1: CohortRecord = { key: 'Y1', fields: { name: 'Year 1' }, dataSource: 'SIS' };
const ENROLLED = enrolmentState({ role: 'editingteacher', start: 100, end: 0, suspend: false });

/** One links row per kind of value the old `hash` held: [entity, key, moodle id, status, hash]. */
const OLD_ROWS: [string, string, number, 'active' | 'disabled', string | null][] = [
  ['persons', 'P1', 40, 'active', 'persons-content-hash'],
  ['persons', 'P2', 41, 'active', null],
  ['categories', 'path:2026', 3, 'active', null],
  ['courses', 'C1', 7, 'active', 'course-content-hash'],
  ['cohorts', 'Y1', 4, 'active', cohortHash(Y1)],
  ['cohorts', 'Y2', 5, 'disabled', 'c1;deleted'],
  ['enrolments', 'C1|P1', 40, 'active', ENROLLED],
  ['groups', 'C1|A', 11, 'active', groupState('Group A', 'first; years')],
  ['group-members', 'C1|A|P1', 40, 'active', groupMemberState(11)],
  ['cohort-members', 'Y1|P1', 40, 'active', cohortMemberState(4)],
  ['institution-roles', 'P1|eng', 40, 'active', holdState({ kind: 'cohort', id: 13 })],
  ['institution-roles', 'P2|dean', 41, 'active', holdState({ kind: 'role', id: 1 })],
  ['observers', 'P2|P1', 41, 'active', observerState(40, 9)],
  // Shapes no writer of that entity made stay where they are.
  ['cohorts', 'Y3', 6, 'active', 'm1;group=3'],
  ['group-members', 'C1|A|P9', 49, 'active', 'something else'],
];

const STATEFUL = new Set(['enrolments', 'groups', 'group-members', 'cohort-members', 'institution-roles', 'observers']);

/** A ledger as mdlsync with schema version 6 left it, with OLD_ROWS in it. */
async function oldLedger(b: LedgerBackend): Promise<void> {
  const insert = `INSERT INTO links (entity, key, moodle_id, data_source, hash, status, first_seen, last_seen, last_run, disabled_at, data)
     VALUES ($1, $2, $3, 'SIS', $4, $5, $6, $6, 'r0', $7, NULL)`;
  const params = OLD_ROWS.map(([entity, key, id, status, hash]) => [entity, key, id, hash, status, TS, status === 'disabled' ? TS : null]);
  if (b.name === 'sqlite') {
    const db = new Database(b.where());
    expect(migrate(db, LEDGER_MIGRATIONS.slice(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    const stmt = db.prepare(`INSERT INTO links (entity, key, moodle_id, data_source, hash, status, first_seen, last_seen, last_run, disabled_at, data)
     VALUES (?, ?, ?, 'SIS', ?, ?, ?, ?, 'r0', ?, NULL)`);
    for (const [entity, key, id, hash, status, ts, disabledAt] of params) stmt.run(entity, key, id, hash, status, ts, ts, disabledAt);
    db.close();
    return;
  }
  const conn = new LedgerConnection(PG_URL!, b.where());
  try {
    expect(await migratePg(conn, pgLedgerMigrations(b.where()).slice(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
  } finally {
    await conn.close();
  }
  await pgAdmin(async (c) => {
    await c.query(`SET search_path = "${b.where()}"`);
    for (const p of params) await c.query(insert, p);
  });
}

/** The ledger's links as they are now, by entity and key (read once: the planners below read them synchronously). */
async function snapshot(l: LedgerStore): Promise<(l: LedgerStore, entity: string, key: string) => LedgerLink> {
  const all = new Map((await l.listLinks({ limit: 1000, offset: 0 })).map((x) => [`${x.entity}\u0000${x.key}`, x]));
  return (_l, entity, key) => all.get(`${entity}\u0000${key}`)!;
}

function planOne<T extends EntityType, C>(planner: EntityPlanner<T, never>, record: RecordOf<T>, ctx: C, owned: LedgerLink[] = []): Action<T>[] {
  planner.add({ line: 2, record } as FeedItem<RecordOf<T>>, ctx as never);
  return planner.finish(owned).actions;
}

const options = (entity: string, op: Op = 'store') => defaultPlanOptions({ op, entity: entity as never, dataSource: 'SIS', force: true });

eachBackend((b) => {
  const migrated = async (): Promise<LedgerStore> => {
    await oldLedger(b);
    return b.open();
  };

  describe('migration 7: hash splits into a content hash and state', () => {
    it('moves every state value to the state column by entity and shape; content hashes stay', async () => {
      const l = await migrated();
      const linkOf = await snapshot(l);
      expect(await l.schemaVersion()).toBe(LEDGER_SCHEMA_VERSION);
      for (const [entity, key, , , hash] of OLD_ROWS) {
        const link = linkOf(l, entity, key);
        const moved = hash !== null && STATEFUL.has(entity) && hash !== 'something else';
        const deleted = entity === 'cohorts' && hash === 'c1;deleted';
        // What the old `hash` held is in exactly one of the two columns now.
        expect([entity, key, link.hash, link.state]).toEqual([entity, key, moved || deleted ? null : hash, moved || deleted ? hash : null]);
      }
      expect(linkOf(l, 'cohorts', 'Y2').state).toBe(DELETED_STATE);
      // Everything else reads as before.
      expect(linkOf(l, 'enrolments', 'C1|P1')).toMatchObject({ moodleId: 40, dataSource: 'SIS', status: 'active', firstSeen: TS, lastRun: 'r0', disabledAt: null, data: null });
    });

    it('a re-open does not migrate again; new writes keep state apart from the hash', async () => {
      const l = await migrated();
      await l.writeLinks([{ entity: 'group-members', key: 'C1|A|P2', moodleId: 42, dataSource: 'SIS', hash: null, state: groupMemberState(12), status: 'active', runId: 'r1' }]);
      await l.writeLinks([{ entity: 'group-members', key: 'C1|A|P1', moodleId: 40, dataSource: 'SIS', hash: null, status: 'disabled', runId: 'r1' }]);
      await l.close();
      const ledger = await b.open();
      const linkOf = await snapshot(ledger);
      expect(linkOf(ledger, 'group-members', 'C1|A|P2')).toMatchObject({ hash: null, state: groupMemberState(12) });
      // Written as given, like the hash: a write without state leaves none.
      expect(linkOf(ledger, 'group-members', 'C1|A|P1')).toMatchObject({ hash: null, state: null, status: 'disabled' });
      expect(linkOf(ledger, 'persons', 'P1')).toMatchObject({ hash: 'persons-content-hash', state: null });
      expect(await b.rows('ledger', 'SELECT count(*) AS n FROM schema_migrations')).toEqual([{ n: LEDGER_SCHEMA_VERSION }]);
    });

    it('the planners decide on the migrated links what they decided on the old ones', async () => {
      const l = await migrated();
      const linkOf = await snapshot(l);
      // The rows that wrote those links, sent again: unchanged.
      const enrolment = planOne(
        new EnrolmentPlanner(options('enrolments')) as never,
        { key: 'C1|P1', fields: { course: 'C1', person: 'P1', role: 'editingteacher', start: 100 }, dataSource: 'SIS' },
        { courseId: 7, userId: 40, link: linkOf(l, 'enrolments', 'C1|P1') },
      );
      expect(enrolment.map((a) => a.kind)).toEqual(['unchanged']);
      const group = planOne(new GroupPlanner(options('groups')) as never, { key: 'C1|A', fields: { course: 'C1', group: 'A', name: 'Group A', description: 'first; years' }, dataSource: 'SIS' }, { courseId: 7, link: linkOf(l, 'groups', 'C1|A') });
      expect(group.map((a) => a.kind)).toEqual(['unchanged']);
      const member = planOne(new GroupMemberPlanner(options('group-members')) as never, { key: 'C1|A|P1', fields: { course: 'C1', group: 'A', person: 'P1' }, dataSource: 'SIS' }, { groupId: 11, userId: 40, enrolled: true, link: linkOf(l, 'group-members', 'C1|A|P1') });
      expect(member.map((a) => a.kind)).toEqual(['unchanged']);
      const cohortMember = planOne(new CohortMemberPlanner(options('cohort-members')) as never, { key: 'Y1|P1', fields: { cohort: 'Y1', person: 'P1' }, dataSource: 'SIS' }, { cohortId: 4, userId: 40, link: linkOf(l, 'cohort-members', 'Y1|P1') });
      expect(cohortMember.map((a) => a.kind)).toEqual(['unchanged']);
      const role = planOne(new InstitutionRolePlanner(options('institution-roles')) as never, { key: 'P1|eng', fields: { person: 'P1', role: 'eng' }, dataSource: 'SIS' }, { userId: 40, cohortId: 13, link: linkOf(l, 'institution-roles', 'P1|eng') });
      expect(role.map((a) => a.kind)).toEqual(['unchanged']);
      const observer = planOne(new ObserverPlanner(options('observers')) as never, { key: 'P2|P1', fields: { observer: 'P2', user: 'P1' }, dataSource: 'SIS' }, { observerId: 41, userId: 40, link: linkOf(l, 'observers', 'P2|P1') });
      expect(observer.map((a) => a.kind)).toEqual(['unchanged']);
      const cohort = planOne(new CohortPlanner(options('cohorts')) as never, Y1, { link: linkOf(l, 'cohorts', 'Y1') });
      expect(cohort.map((a) => a.kind)).toEqual(['unchanged']);

      // A cohort mdlsync deleted comes back as a create, not an update of the gone id.
      const [back] = planOne(new CohortPlanner(options('cohorts')) as never, { key: 'Y2', fields: { name: 'Year 2' }, dataSource: 'SIS' } as CohortRecord, { link: linkOf(l, 'cohorts', 'Y2') }) as CohortAction[];
      expect(back).toMatchObject({ kind: 'enable', cohort: { call: 'create' } });

      // Removals take away exactly what the old hash said mdlsync gave.
      const [leave] = planOne(new GroupMemberPlanner(options('group-members', 'refresh')) as never, { key: 'C1|A|P3', fields: { course: 'C1', group: 'A', person: 'P3' }, dataSource: 'SIS' }, { groupId: 11, userId: 43, enrolled: true }, [linkOf(l, 'group-members', 'C1|A|P1')]).filter((a) => a.kind === 'disable') as GroupMemberAction[];
      expect(leave).toMatchObject({ key: 'C1|A|P1', moodleId: 40, state: groupMemberState(11), member: { call: 'remove', groupId: 11 } });
      const [out] = planOne(new CohortMemberPlanner(options('cohort-members', 'refresh')) as never, { key: 'Y1|P3', fields: { cohort: 'Y1', person: 'P3' }, dataSource: 'SIS' }, { cohortId: 4, userId: 43 }, [linkOf(l, 'cohort-members', 'Y1|P1')]).filter((a) => a.kind === 'disable') as CohortMemberAction[];
      expect(out).toMatchObject({ key: 'Y1|P1', member: { call: 'remove', cohortId: 4 } });
      const [unassign] = planOne(
        new InstitutionRolePlanner(options('institution-roles')) as never,
        { key: 'P2|dean', fields: { person: 'P2', role: 'dean' }, dataSource: 'SIS', rowStatus: 'disabled' },
        { userId: 41, link: linkOf(l, 'institution-roles', 'P2|dean') },
      ) as InstitutionRoleAction[];
      expect(unassign).toMatchObject({ kind: 'disable', target: { call: 'remove', from: { kind: 'role', id: 1, userId: 41 } } });
      const [unobserve] = planOne(new ObserverPlanner(options('observers', 'delete')) as never, { key: 'P2|P1', fields: { observer: 'P2', user: 'P1' }, dataSource: 'SIS' }, { observerId: 41, userId: 40, link: linkOf(l, 'observers', 'P2|P1') }) as ObserverAction[];
      expect(unobserve).toMatchObject({ kind: 'disable', target: { call: 'remove', assignment: { roleId: 9, observerId: 41, userId: 40 } } });
      // Suspending re-enrols with the role and dates the old hash held.
      const [suspend] = planOne(
        new EnrolmentPlanner(options('enrolments', 'refresh'), { ...DEFAULT_ENROLMENT_SETTINGS, disable: 'suspend' }) as never,
        { key: 'C2|P1', fields: { course: 'C2', person: 'P1' }, dataSource: 'SIS' },
        { courseId: 8, userId: 40 },
        [linkOf(l, 'enrolments', 'C1|P1')],
      ).filter((a) => a.kind === 'disable') as EnrolmentAction[];
      expect(suspend).toMatchObject({ key: 'C1|P1', state: enrolmentState({ role: 'editingteacher', start: 100, end: 0, suspend: true }), enrolment: { call: 'enrol', role: 'editingteacher', roleId: 3, timestart: 100, suspend: true } });
    });
  });
});
