/**
 * The groups applier. core_group_create_groups for creates, core_group_update_groups for a changed name or
 * description (both all or nothing: the shared BatchEngine splits a refused batch until the bad row is alone);
 * adopts, enables and disables without a change only write the ledger link.
 */
import { createGroups, getCourseGroups, groupLeaves, updateGroupLeaves, updateGroups } from '../../moodle/index.js';
import type { CreateGroupInput, MoodleGroup, UpdateGroupInput } from '../../moodle/types.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { LocalRowError } from '../../apply/pack.js';
import { prepareRows, sendPacked } from '../../apply/prepare.js';

type GroupRow = Row<'groups'>;

interface CreateItem {
  row: GroupRow;
  input: CreateGroupInput;
}

interface UpdateItem {
  row: GroupRow;
  input: UpdateGroupInput;
}

export const groupsApplier: EntityApplier<'groups'> = {
  prepare(engine, rows) {
    return prepareRows(
      engine,
      rows,
      { creates: [] as CreateItem[], updates: [] as UpdateItem[], linkOnly: [] as GroupRow[] },
      (row) => {
        const t = row.action.group;
        if (!t) throw new LocalRowError('internal', 'the planned group has no target');
        if (t.call === 'create') return { to: 'creates', item: { row, input: { courseid: t.courseId!, name: t.name!, description: t.description ?? '', idnumber: t.idnumber } } };
        if (t.call === 'update') {
          const input: UpdateGroupInput = { id: t.groupId!, name: t.name! };
          if (t.description !== undefined) input.description = t.description;
          return { to: 'updates', item: { row, input } };
        }
        return { to: 'linkOnly', item: row };
      },
      async ({ creates, updates, linkOnly }) => {
        // Nothing to send: the link records the adoption, the re-enable or the disable; the note says why.
        await engine.writeLinks(
          linkOnly.flatMap((row) => {
            try {
              const id = engine.targetId(row.action);
              engine.settle(row, 'ok', { moodleId: id, message: row.action.group?.note });
              return [engine.link(row, id)];
            } catch (err) {
              if (!(err instanceof LocalRowError)) throw err;
              engine.fail(row, err.code, err.message);
              return [];
            }
          }),
        );
        await sendPacked(engine, creates, (i) => groupLeaves(i.input), createSpec(engine));
        await sendPacked(engine, updates, (i) => updateGroupLeaves(i.input), updateSpec(engine));
      },
    );
  },
};

/**
 * Updates: the link (with the new name and description as its state) is written only once Moodle took the batch. A
 * resend is harmless (the same name again is no clash), so there is nothing to read back.
 */
function updateSpec(engine: BatchEngine): BatchSpec<UpdateItem, void> {
  return {
    wsfunction: 'core_group_update_groups',
    send: (items) => updateGroups(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) => await engine.writeLinks(items.map((item) => engine.landed(item.row, item.input.id, item.row.action.group?.note))),
    failOne: (item, code, message) =>
      // Without debugging (no " — debuginfo") Moodle says only "Invalid parameter value detected": name the likely reasons.
      engine.fail(item.row, code, code === 'invalidparameter' && !message.includes(' — ')
        ? `${message} (renaming to "${item.input.name}": another group of the course may have that name, or the group was deleted in Moodle)`
        : message, item.input.id),
  };
}

function createSpec(engine: BatchEngine): BatchSpec<CreateItem, MoodleGroup[]> {
  const landed = async (pairs: { item: CreateItem; id: number }[]): Promise<void> =>
    await engine.writeLinks(
      pairs.map(({ item, id }) => engine.landed(item.row, id)),
    );
  return {
    wsfunction: 'core_group_create_groups',
    send: (items) => createGroups(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items, reply) => landed(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => engine.fail(item.row, code, message),
    recheck: async (items) => {
      const found: { item: CreateItem; id: number }[] = [];
      const rest: CreateItem[] = [];
      const byCourse = new Map<number, MoodleGroup[]>();
      for (const item of items) {
        let groups = byCourse.get(item.input.courseid);
        if (!groups) {
          groups = await engine.read('core_group_get_course_groups', 1, () => getCourseGroups(engine.deps.client, item.input.courseid));
          byCourse.set(item.input.courseid, groups);
        }
        // A group created without an idnumber (known by its name) is recognised by its name.
        const g = item.input.idnumber ? groups.find((x) => x.idnumber === item.input.idnumber) : groups.find((x) => x.name === item.input.name);
        if (g) found.push({ item, id: g.id });
        else rest.push(item);
      }
      await landed(found);
      return rest;
    },
  };
}
