/**
 * The institution-roles applier (plans from rules.ts), on the shared BatchEngine, and the role-assignment batches
 * the observers applier shares. Removals first (a changed role leaves the old one before it joins the new), then the missing
 * `role:` cohorts are created once, then the adds: core_cohort_add_cohort_members (mixed: warnings by ids, '3' already
 * a member = ok) or core_role_assign_roles at system context. A cohort that no longer exists has nothing to remove
 * (delete_cohort_members would refuse the whole call), so removals check the cohorts first.
 */
import type { EntityType } from '../../feed/types.js';
import { addCohortMembers, assignRoles, cohortLeaves, cohortMemberLeaves, createCohorts, deleteCohortMembers, getCohorts, roleAssignmentLeaves, unassignRoles } from '../../moodle/index.js';
import type { CohortInput, CohortMemberInput, CohortMemberWarning, MoodleCohort, RoleAssignmentInput } from '../../moodle/index.js';
import { holdState } from './rules.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { mapAddWarnings, memberVerifier } from '../cohorts/apply.js';
import { LocalRowError, pack } from '../../apply/pack.js';
import { prepareRows, sendPacked, type Sorted } from '../../apply/prepare.js';

type IRow = Row<'institution-roles'>;

/** A call item; `pre` marks the removal of what an updated link held before (its row goes on to the add). */
export interface Item<I, T extends EntityType = EntityType> {
  row: Row<T>;
  input: I;
  pre?: boolean;
}

/** Confirmed items: a pre-removal only clears the way, anything else settles its row and writes its link (with `stateOf`). */
async function landed<I, T extends EntityType>(engine: BatchEngine, items: Item<I, T>[], stateOf: (item: Item<I, T>) => string | null, message?: (item: Item<I, T>) => string | undefined): Promise<void> {
  await engine.writeLinks(
    items.map((item) => {
      if (item.pre) return null;
      return { ...engine.landed(item.row, item.row.action.moodleId!, message?.(item)), state: stateOf(item) };
    }),
  );
}

export const failed = (engine: BatchEngine, row: Row): boolean => engine.outcomeOf(row)?.outcome === 'failed';

export function roleSpec<T extends EntityType>(
  engine: BatchEngine,
  wsfunction: 'core_role_assign_roles' | 'core_role_unassign_roles',
  stateOf: (item: Item<RoleAssignmentInput>) => string | null,
): BatchSpec<Item<RoleAssignmentInput, T>, void> {
  const call = wsfunction === 'core_role_assign_roles' ? assignRoles : unassignRoles;
  return {
    wsfunction,
    send: (items) => call(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) => landed(engine, items, stateOf),
    failOne: (item, code, message) => engine.fail(item.row, code, item.pre ? `could not remove what the link held before: ${message}` : message, item.input.userid),
  };
}

// ── institution roles ──────────────────────────────────────────────────────────────────────────────────────

interface CreateItem {
  /** The first row that needs the cohort (the engine's bookkeeping); `rows` are all of them. */
  row: IRow;
  rows: IRow[];
  input: CohortInput;
}

export const institutionRolesApplier: EntityApplier<'institution-roles'> = {
  prepare(engine, rows) {
    return prepareRows(
      engine,
      rows,
      {
        none: [] as IRow[],
        cohortRemoves: [] as Item<CohortMemberInput, 'institution-roles'>[],
        roleRemoves: [] as Item<RoleAssignmentInput, 'institution-roles'>[],
        adds: [] as IRow[],
      },
      (row) => {
        const t = row.action.target;
        if (!t || row.action.moodleId === undefined) throw new LocalRowError('internal', 'the planned institution role has no target');
        if (t.call === 'none') return { to: 'none', item: row };
        const places: Sorted<IRGroups>[] = [];
        if (t.from) {
          const pre = t.call === 'add';
          if (t.from.kind === 'cohort') places.push({ to: 'cohortRemoves', item: { row, input: { cohortid: t.from.id, userid: t.from.userId }, pre } });
          else places.push({ to: 'roleRemoves', item: { row, input: systemRole(t.from.id, t.from.userId), pre } });
        }
        if (t.call === 'add') places.push({ to: 'adds', item: row });
        return places;
      },
      async ({ none, cohortRemoves, roleRemoves, adds }) => {
        // The link alone records the change (data source, a disable whose link held no state).
        await engine.settleLinkOnly(none);
        await removeFromCohorts(engine, cohortRemoves);
        await sendPacked(engine, roleRemoves, (i) => roleAssignmentLeaves(i.input), roleSpec(engine, 'core_role_unassign_roles', (i) => i.row.action.state ?? null));

        const ready = adds.filter((row) => !failed(engine, row));
        const cohortIds = await createRoleCohorts(engine, ready);
        const memberItems: Item<CohortMemberInput, 'institution-roles'>[] = [];
        const roleItems: Item<RoleAssignmentInput, 'institution-roles'>[] = [];
        for (const row of ready) {
          const to = row.action.target!.to!;
          const userid = row.action.moodleId!;
          if (to.kind === 'role') roleItems.push({ row, input: systemRole(to.id, userid) });
          else {
            const cohortid = to.id ?? cohortIds.get(to.idnumber);
            if (cohortid !== undefined) memberItems.push({ row, input: { cohortid, userid } });
          }
        }
        await sendPacked(engine, memberItems, (i) => cohortMemberLeaves(i.input), addMembersSpec(engine));
        await sendPacked(engine, roleItems, (i) => roleAssignmentLeaves(i.input), roleSpec(engine, 'core_role_assign_roles', (i) => holdState({ kind: 'role', id: i.input.roleid })));
      },
    );
  },
};

/** The groups an institution role's row goes to. */
interface IRGroups {
  none: IRow;
  cohortRemoves: Item<CohortMemberInput, 'institution-roles'>;
  roleRemoves: Item<RoleAssignmentInput, 'institution-roles'>;
  adds: IRow;
}

function systemRole(roleid: number, userid: number): RoleAssignmentInput {
  return { roleid, userid, contextlevel: 'system', instanceid: 0 };
}

/** Removals from cohorts that still exist (one get_cohorts call); from a gone cohort there is nothing to remove. */
async function removeFromCohorts(engine: BatchEngine, items: Item<CohortMemberInput, 'institution-roles'>[]): Promise<void> {
  if (items.length === 0) return;
  const ids = [...new Set(items.map((i) => i.input.cohortid))];
  const existing = new Set((await engine.read('core_cohort_get_cohorts', ids.length, () => getCohorts(engine.deps.client, ids))).map((c) => c.id));
  const gone = items.filter((i) => !existing.has(i.input.cohortid));
  await landed(engine, gone, (i) => i.row.action.state ?? null, (i) => `cohort ${i.input.cohortid} no longer exists: nothing to remove`);
  const spec: BatchSpec<Item<CohortMemberInput, 'institution-roles'>, void> = {
    wsfunction: 'core_cohort_delete_cohort_members',
    send: (batch) => deleteCohortMembers(engine.deps.client, batch.map((i) => i.input)),
    confirm: async (batch) => landed(engine, batch, (i) => i.row.action.state ?? null),
    failOne: (item, code, message) => {
      // A user deleted in Moodle left every cohort with the account: nothing is left to remove.
      if (code === 'invaliduser') return landed(engine, [item], (i) => i.row.action.state ?? null, () => `Moodle user ${item.input.userid} no longer exists: nothing to remove`);
      engine.fail(item.row, code, item.pre ? `could not leave the cohort the link held before: ${message}` : message, item.input.userid);
    },
  };
  await sendPacked(engine, items.filter((i) => existing.has(i.input.cohortid)), (i) => cohortMemberLeaves(i.input), spec);
}

/** Creates each missing `role:` cohort once, at system context; rows whose cohort cannot be made fail. */
async function createRoleCohorts(engine: BatchEngine, rows: IRow[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const byIdnumber = new Map<string, CreateItem>();
  for (const row of rows) {
    const to = row.action.target!.to!;
    if (to.kind !== 'cohort' || to.id !== undefined) continue;
    const item = byIdnumber.get(to.idnumber);
    if (item) item.rows.push(row);
    else byIdnumber.set(to.idnumber, { row, rows: [row], input: { categorytype: { type: 'system', value: '' }, name: to.name, idnumber: to.idnumber, description: 'Institution role (mdlsync)', visible: 1 } });
  }
  if (byIdnumber.size === 0) return ids;
  const found = (items: CreateItem[], cohorts: MoodleCohort[]): CreateItem[] => {
    const rest: CreateItem[] = [];
    for (const item of items) {
      const c = cohorts.find((x) => x.idnumber === item.input.idnumber);
      if (c) ids.set(item.input.idnumber, c.id);
      else rest.push(item);
    }
    return rest;
  };
  const spec: BatchSpec<CreateItem, MoodleCohort[]> = {
    wsfunction: 'core_cohort_create_cohorts',
    send: (items) => createCohorts(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items, reply) => items.forEach((item, i) => ids.set(item.input.idnumber, reply[i].id)),
    failOne: (item, code, message) => {
      for (const row of item.rows) engine.fail(row, code, `could not create cohort ${item.input.idnumber}: ${message}`, row.action.moodleId);
    },
    recheck: async (items) => found(items, await engine.read('core_cohort_get_cohorts', 1, () => getCohorts(engine.deps.client, []))),
  };
  const { batches, tooBig } = pack([...byIdnumber.values()], (i) => cohortLeaves(i.input), engine.options);
  for (const t of tooBig) await spec.failOne(t.item, 'too-many-fields', `the cohort needs ${t.vars} form variables, more than the budget of ${t.budget}`);
  await engine.runBatches(batches, (b) => engine.sendBatch(b, spec));
  return ids;
}

/**
 * add_cohort_members answers warnings without item ids; sent by id, each names its cohort and user. '3' (already a
 * member) is success. A warning that names neither is checked against the cohorts' members.
 */
function addMembersSpec(engine: BatchEngine): BatchSpec<Item<CohortMemberInput, 'institution-roles'>, CohortMemberWarning[]> {
  return {
    wsfunction: 'core_cohort_add_cohort_members',
    send: (items) => addCohortMembers(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items, warnings) => {
      // The key is PERSON|ROLE_ID: the person names the row in messages.
      const { ok, failed } = await mapAddWarnings(items, warnings, memberVerifier(engine), (i) => i.row.action.key.slice(0, i.row.action.key.indexOf('|')));
      for (const f of failed) engine.fail(f.item.row, f.code, f.message, f.item.input.userid);
      const notes = new Map(ok.map((o) => [o.item, o.note]));
      await landed(engine, ok.map((o) => o.item), (i) => holdState({ kind: 'cohort', id: i.input.cohortid }), (i) => notes.get(i));
    },
    failOne: (item, code, message) => engine.fail(item.row, code, message, item.input.userid),
  };
}
