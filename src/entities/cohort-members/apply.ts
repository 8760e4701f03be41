/** The cohort-members applier, on the shared BatchEngine: core_cohort_add_cohort_members (warnings mapped back to rows) / core_cohort_delete_cohort_members. */
import type { LinkWrite } from '../../ledger/types.js';
import { addCohortMembers, cohortMemberLeaves, deleteCohortMembers } from '../../moodle/index.js';
import type { CohortMemberInput, CohortMemberWarning, MoodleCohort } from '../../moodle/index.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { LocalRowError } from '../../apply/pack.js';
import { builtAt, prepareRows, sendPacked } from '../../apply/prepare.js';
import { existingCohorts, mapAddWarnings, memberVerifier } from '../cohorts/apply.js';

type MemberRow = Row<'cohort-members'>;

// ── cohort members ──────────────────────────────────────────────────────────────────────────────────────────

interface MemberItem {
  row: MemberRow;
  input: CohortMemberInput;
}

export const cohortMembersApplier: EntityApplier<'cohort-members'> = {
  prepare(engine, rows) {
    // The adds are kept as their places in the plan and their calls built as they are sent (builtAt): a compact plan
    // of many memberships never holds every row's action and call input at once.
    const addItem = (row: MemberRow): MemberItem => ({ row, input: { cohortid: row.action.member!.cohortId!, userid: row.action.moodleId! } });
    return prepareRows(
      engine,
      rows,
      { adds: [] as number[], removes: [] as MemberItem[] },
      (row) => {
        const userid = engine.targetId(row.action);
        const t = row.action.member;
        if (!t) throw new LocalRowError('internal', 'the planned cohort membership has no target');
        if (t.unplaced) {
          engine.fail(row, t.unplaced.code, t.unplaced.message, row.action.moodleId);
          return undefined;
        }
        if (t.cohortId === undefined) throw new LocalRowError('internal', 'the planned cohort membership has no cohort: the resolve step did not place it');
        return t.call === 'remove' ? { to: 'removes', item: { row, input: { cohortid: t.cohortId, userid } } } : { to: 'adds', item: row.index };
      },
      async ({ adds, removes }) => {
        await sendPacked(engine, builtAt(engine, adds, addItem), (i) => cohortMemberLeaves(i.input), addSpec(engine));

        // An unknown cohort id makes delete_cohort_members fail with invalidrecord, which stops the run: check first.
        const have = removes.length > 0 ? await existingCohorts(engine, removes.map((r) => r.input.cohortid)) : new Map<number, MoodleCohort>();
        const live = removes.filter((r) => have.has(r.input.cohortid));
        const gone = removes.filter((r) => !have.has(r.input.cohortid));
        for (const r of gone) engine.settle(r.row, 'ok', { moodleId: r.input.userid, message: `cohort ${r.input.cohortid} is no longer in Moodle: the membership is gone with it` });
        await engine.writeLinks(gone.map((r) => engine.link(r.row, r.input.userid)));
        await sendPacked(engine, live, (i) => cohortMemberLeaves(i.input) / 2, removeSpec(engine));
      },
    );
  },
};

function addSpec(engine: BatchEngine): BatchSpec<MemberItem, CohortMemberWarning[]> {
  const verify = memberVerifier(engine);
  return {
    wsfunction: 'core_cohort_add_cohort_members',
    send: (items) => addCohortMembers(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items, warnings) => {
      const { ok, failed } = await mapAddWarnings(items, warnings, verify);
      for (const f of failed) engine.fail(f.item.row, f.code, f.message, f.item.input.userid);
      await engine.writeLinks(
        ok.map(({ item, note }) => engine.landed(item.row, item.input.userid, note)),
      );
    },
    failOne: (item, code, message) => engine.fail(item.row, code, message, item.input.userid),
  };
}

function removeSpec(engine: BatchEngine): BatchSpec<MemberItem, void> {
  const done = (item: MemberItem, message?: string): LinkWrite => {
    engine.settle(item.row, 'ok', { moodleId: item.input.userid, message });
    return engine.link(item.row, item.input.userid);
  };
  return {
    wsfunction: 'core_cohort_delete_cohort_members',
    send: (items) => deleteCohortMembers(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) => await engine.writeLinks(items.map((item) => done(item))),
    failOne: async (item, code, message) => {
      // Moodle removed the memberships of a deleted user with the account: nothing is left to remove.
      if (code === 'invaliduser') await engine.writeLinks([done(item, `Moodle user ${item.input.userid} no longer exists: the membership is gone with it`)]);
      else engine.fail(item.row, code, message, item.input.userid);
    },
  };
}
