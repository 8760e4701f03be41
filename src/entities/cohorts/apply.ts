/**
 * The cohorts applier (on the shared BatchEngine), and the membership checks cohort members and institution roles share.
 * create_cohorts / update_cohorts (all or nothing: a refused batch is split), delete_cohorts, and "empty"
 * (get_cohort_members, then delete_cohort_members). Linked ids are checked first with one get_cohorts read, since
 * Moodle answers an unknown id with invalidrecord, which would stop the whole run: a cohort deleted by hand is
 * re-created (relinked) on update and counts as gone on delete. When mdlsync deletes or empties a cohort, the
 * cohort-members links of that cohort are disabled too (those memberships are gone).
 */
import type { RowCode } from '../../errors.js';
import type { LedgerLink, LinkWrite } from '../../ledger/types.js';
import { cohortLeaves, createCohorts, deleteCohortMembers, deleteCohorts, getCohortMembers, getCohorts, parseCohortMemberWarning, updateCohorts } from '../../moodle/index.js';
import type { CohortInput, CohortMemberInput, CohortMemberWarning, MoodleCohort, UpdateCohortInput } from '../../moodle/index.js';
import { DELETED_STATE, membersOfCohorts } from './rules.js';
import { cohortMemberKeyParts } from '../cohort-members/rules.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { LocalRowError, pack } from '../../apply/pack.js';
import { prepareRows, sendPacked } from '../../apply/prepare.js';

type CohortRow = Row<'cohorts'>;

interface CreateItem {
  row: CohortRow;
  input: CohortInput;
  /** The linked cohort was gone from Moodle: this create re-links the key. */
  relinked?: boolean;
}
interface UpdateItem {
  row: CohortRow;
  input: UpdateCohortInput;
}
interface IdItem {
  row: CohortRow;
  id: number;
}

/** Which of these cohort ids Moodle has (get_cohorts skips unknown ids), in reads within max_input_vars. */
export async function existingCohorts(engine: BatchEngine, ids: number[]): Promise<Map<number, MoodleCohort>> {
  const out = new Map<number, MoodleCohort>();
  const unique = [...new Set(ids)];
  const per = Math.max(1, engine.options.maxInputVars - 10);
  for (let i = 0; i < unique.length; i += per) {
    const part = unique.slice(i, i + per);
    for (const c of await engine.read('core_cohort_get_cohorts', part.length, () => getCohorts(engine.deps.client, part))) out.set(c.id, c);
  }
  return out;
}

/** Disables the cohort-members links of cohorts mdlsync deleted or emptied: those memberships are gone. */
async function dropMemberLinks(engine: BatchEngine, cohortKeys: Set<string>): Promise<void> {
  if (cohortKeys.size === 0) return;
  // Read fully before writing: the ledger cannot write while a streamed read is open.
  const active: LedgerLink[] = [];
  for await (const link of engine.deps.ledger.activeLinks('cohort-members', null)) active.push(link);
  const links = membersOfCohorts(active, cohortKeys);
  await engine.writeLinks(links.map((l): LinkWrite => ({ entity: l.entity, key: l.key, moodleId: l.moodleId, dataSource: l.dataSource, hash: l.hash, state: l.state, status: 'disabled', runId: engine.deps.runId })));
}

export const cohortsApplier: EntityApplier<'cohorts'> = {
  prepare(engine, rows) {
    return prepareRows(
      engine,
      rows,
      { creates: [] as CreateItem[], updates: [] as UpdateItem[], deletes: [] as IdItem[], empties: [] as IdItem[], linkOnly: [] as CohortRow[] },
      (row) => {
        const t = row.action.cohort;
        if (!t) throw new LocalRowError('internal', 'the planned cohort has no target');
        if (t.call === 'create') return { to: 'creates', item: { row, input: t.input! } };
        if (t.call === 'update') return { to: 'updates', item: { row, input: { id: engine.targetId(row.action), ...t.input! } } };
        if (t.call === 'delete') return { to: 'deletes', item: { row, id: engine.targetId(row.action) } };
        if (t.call === 'empty') return { to: 'empties', item: { row, id: engine.targetId(row.action) } };
        return { to: 'linkOnly', item: row };
      },
      async ({ creates, updates, deletes, empties, linkOnly }) => {
        await engine.settleLinkOnly(linkOnly);
        const gone = new Set<string>();
        // An adoption's id comes from this run's listing: only ids the ledger gave are checked.
        const linked = [...updates.filter((u) => u.row.action.kind !== 'adopt').map((u) => u.input.id), ...deletes.map((d) => d.id), ...empties.map((e) => e.id)];
        const have = linked.length > 0 ? await existingCohorts(engine, linked) : new Map<number, MoodleCohort>();
        // A cohort deleted in Moodle by hand: an update re-creates it, a delete or empty has nothing left to do.
        const liveUpdates = updates.filter((u) => {
          if (u.row.action.kind === 'adopt' || have.has(u.input.id)) return true;
          const { id: _id, ...input } = u.input;
          creates.push({ row: u.row, input, relinked: true });
          return false;
        });
        const settleGone = async (items: IdItem[]): Promise<IdItem[]> => {
          const missing = items.filter((d) => !have.has(d.id));
          for (const d of missing) {
            engine.settle(d.row, 'ok', { moodleId: d.id, message: `cohort ${d.id} is no longer in Moodle: nothing left to ${d.row.action.kind === 'delete' ? 'delete' : 'empty'}` });
            gone.add(d.row.action.key);
          }
          await engine.writeLinks(missing.map((d) => ({ ...engine.link(d.row, d.id), state: DELETED_STATE })));
          return items.filter((d) => have.has(d.id));
        };
        const liveDeletes = await settleGone(deletes);
        const liveEmpties = await settleGone(empties);

        await sendPacked(engine, creates, (i) => cohortLeaves(i.input), createSpec(engine));
        await sendPacked(engine, liveUpdates, (i) => cohortLeaves(i.input), updateSpec(engine));
        await engine.runBatches(
          liveEmpties.map((e) => [e]),
          (b) => engine.sendBatch(b, emptySpec(engine, gone)),
        );
        const d = pack(liveDeletes, () => 1, engine.options);
        await engine.runBatches(d.batches, (b) => engine.sendBatch(b, deleteSpec(engine, gone)));
        await dropMemberLinks(engine, gone);
      },
    );
  },
};

function createSpec(engine: BatchEngine): BatchSpec<CreateItem, MoodleCohort[]> {
  const landed = async (pairs: { item: CreateItem; id: number }[]): Promise<void> =>
    await engine.writeLinks(
      pairs.map(({ item, id }) => {
        engine.settle(item.row, item.relinked ? 'relinked' : 'ok', { moodleId: id, message: item.relinked ? `cohort ${item.row.action.moodleId} was gone from Moodle: created again as cohort ${id}` : undefined });
        return engine.link(item.row, id);
      }),
    );
  return {
    wsfunction: 'core_cohort_create_cohorts',
    send: (items) => createCohorts(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items, reply) => landed(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => engine.fail(item.row, code, message),
    recheck: async (items) => {
      // A timed-out create may have committed: idnumbers are unique on create, so the listing tells.
      const all = await engine.read('core_cohort_get_cohorts', 0, () => getCohorts(engine.deps.client, []));
      const found: { item: CreateItem; id: number }[] = [];
      const rest: CreateItem[] = [];
      for (const item of items) {
        const c = all.find((x) => x.idnumber === item.input.idnumber);
        if (c) found.push({ item, id: c.id });
        else rest.push(item);
      }
      await landed(found);
      return rest;
    },
  };
}

function updateSpec(engine: BatchEngine): BatchSpec<UpdateItem, void> {
  return {
    wsfunction: 'core_cohort_update_cohorts',
    send: (items) => updateCohorts(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) =>
      await engine.writeLinks(items.map((item) => engine.landed(item.row, item.input.id))),
    failOne: (item, code, message) => engine.fail(item.row, code, message, item.input.id),
  };
}

function deleteSpec(engine: BatchEngine, gone: Set<string>): BatchSpec<IdItem, void> {
  return {
    wsfunction: 'core_cohort_delete_cohorts',
    send: (items) => deleteCohorts(engine.deps.client, items.map((i) => i.id)),
    confirm: async (items) =>
      await engine.writeLinks(
        items.map((item) => {
          gone.add(item.row.action.key);
          return { ...engine.landed(item.row, item.id), state: DELETED_STATE };
        }),
      ),
    failOne: (item, code, message) => engine.fail(item.row, code, message, item.id),
  };
}

/** Members removed per delete_cohort_members call: the batch size, within max_input_vars (2 leaves a member). */
function memberChunk(engine: BatchEngine): number {
  return Math.max(1, Math.min(engine.options.batchSize, Math.floor((engine.options.maxInputVars - 3) / 2)));
}

/** One cohort per item: read its members, remove them all. A cohort emptied twice is no error (removing a non-member is a no-op). */
function emptySpec(engine: BatchEngine, gone: Set<string>): BatchSpec<IdItem, void> {
  return {
    wsfunction: 'core_cohort_delete_cohort_members',
    send: async (items) => {
      for (const item of items) {
        const entries = await getCohortMembers(engine.deps.client, [item.id]);
        const userids = entries.find((e) => e.cohortid === item.id)?.userids ?? [];
        const per = memberChunk(engine);
        for (let i = 0; i < userids.length; i += per) await deleteCohortMembers(engine.deps.client, userids.slice(i, i + per).map((userid) => ({ cohortid: item.id, userid })));
      }
    },
    confirm: async (items) =>
      await engine.writeLinks(
        items.map((item) => {
          gone.add(item.row.action.key);
          return engine.landed(item.row, item.id);
        }),
      ),
    failOne: (item, code, message) => engine.fail(item.row, code, `could not empty the cohort: ${message}`, item.id),
  };
}

const pair = (cohortid: number, userid: number): string => `${cohortid}:${userid}`;

/** A membership sent to add_cohort_members, with the row it came from (cohort members or institution roles). */
export interface AddMemberItem {
  row: Row;
  input: CohortMemberInput;
}

/**
 * Maps add_cohort_members' warnings back to the batch's rows. Every member is sent by ids, so each message names
 * the ids: '3' already a member → ok; '2' user or cohort does not exist → every row of that user / cohort fails.
 * A warning naming no ids (code 1, "Invalid context") cannot be placed: `verify` then asks Moodle who is a member.
 * `who` names the row's person in messages.
 */
export async function mapAddWarnings<T extends AddMemberItem>(
  items: T[],
  warnings: CohortMemberWarning[],
  verify: (cohortIds: number[]) => Promise<Map<number, Set<number>>>,
  who: (item: T) => string = (item) => cohortMemberKeyParts(item.row.action.key).person,
): Promise<{ ok: { item: T; note?: string }[]; failed: { item: T; code: RowCode; message: string }[] }> {
  const already = new Set<string>();
  const missingUsers = new Map<number, string>();
  const missingCohorts = new Map<number, string>();
  const unplaced: string[] = [];
  for (const w of warnings) {
    const p = parseCohortMemberWarning(w);
    if (p.kind === 'already-member' && p.cohortId !== undefined && p.userId !== undefined) already.add(pair(p.cohortId, p.userId));
    else if (p.kind === 'missing-user' && p.userId !== undefined) missingUsers.set(p.userId, w.message);
    else if (p.kind === 'missing-cohort' && p.cohortId !== undefined) missingCohorts.set(p.cohortId, w.message);
    else unplaced.push(`warning ${w.warningcode}: ${w.message}`);
  }
  const ok: { item: T; note?: string }[] = [];
  const failed: { item: T; code: RowCode; message: string }[] = [];
  const rest: T[] = [];
  for (const item of items) {
    const { cohortid, userid } = item.input;
    if (missingCohorts.has(cohortid)) failed.push({ item, code: 'missing-cohort', message: `Moodle cohort ${cohortid} does not exist (deleted in Moodle?): ${missingCohorts.get(cohortid)}` });
    else if (missingUsers.has(userid)) failed.push({ item, code: 'missing-user', message: `person ${who(item)}: Moodle user ${userid} does not exist (deleted in Moodle?): ${missingUsers.get(userid)}` });
    else if (already.has(pair(cohortid, userid))) ok.push({ item, note: 'already a member' });
    else rest.push(item);
  }
  if (unplaced.length === 0) ok.push(...rest.map((item) => ({ item })));
  else {
    const members = await verify([...new Set(rest.map((i) => i.input.cohortid))]);
    for (const item of rest) {
      if (members.get(item.input.cohortid)?.has(item.input.userid)) ok.push({ item });
      else failed.push({ item, code: 'not-added', message: `Moodle did not add the member: ${unplaced.join('; ')}` });
    }
  }
  return { ok, failed };
}

/** Who is a member of these cohorts, asking only about the cohorts Moodle still has (get_cohort_members fails on an unknown id). */
export function memberVerifier(engine: BatchEngine): (cohortIds: number[]) => Promise<Map<number, Set<number>>> {
  return async (cohortIds) => {
    const out = new Map<number, Set<number>>();
    const have = await existingCohorts(engine, cohortIds);
    const ids = cohortIds.filter((id) => have.has(id));
    if (ids.length === 0) return out;
    for (const e of await engine.read('core_cohort_get_cohort_members', ids.length, () => getCohortMembers(engine.deps.client, ids))) out.set(e.cohortid, new Set(e.userids));
    return out;
  };
}
