/**
 * The categories applier: core_course_*_categories calls for the categories plan. Creates go first, level by
 * level, so that a parent created by this run exists (and has its id) before its children are sent; then updates
 * (adopt, update, enable), whose new parent may be one of those creates. A disable only marks the ledger link:
 * the category is kept in Moodle. Batching, retries and bisection come from the shared BatchEngine.
 */
import type { LinkWrite } from '../../ledger/types.js';
import { categoryLeaves, createCategories, getCategories, updateCategories } from '../../moodle/index.js';
import type { CreateCategoryInput, MoodleCategory, UpdateCategoryInput } from '../../moodle/types.js';
import { CATEGORY_KEPT } from './rules.js';
import { codeOf, type BatchEngine, type BatchSpec, type EntityApplier, type Row } from '../../apply/engine.js';
import { LocalRowError, pack } from '../../apply/pack.js';
import { prepareRows } from '../../apply/prepare.js';
import { isPathKey } from './lookup.js';
import type { OutcomeKind } from '../../apply/types.js';

type CategoryRow = Row<'categories'>;

interface CreateItem {
  row: CategoryRow;
  input: CreateCategoryInput;
  /** 'relinked' when this re-creates a category deleted in Moodle by hand. */
  kind: OutcomeKind;
  message?: string;
}

interface UpdateItem {
  row: CategoryRow;
  input: UpdateCategoryInput;
  kind: OutcomeKind;
  message?: string;
  /** Already re-checked after Moodle said the category is unknown (a second miss is a plain failure). */
  relinked?: boolean;
}

export const categoriesApplier: EntityApplier<'categories'> = {
  prepare(engine, rows) {
    const run = new CategoriesRun(engine);
    const links: LinkWrite[] = [];
    const send = prepareRows(
      engine,
      rows,
      { creates: [] as CategoryRow[], updates: [] as CategoryRow[] },
      (row) => {
        const a = row.action;
        if (a.kind === 'create') return { to: 'creates', item: row };
        if (a.kind === 'disable' || a.kind === 'delete') {
          // Nothing to send: no function hides a category, and core_course_delete_categories would take its courses along.
          const id = engine.targetId(a);
          links.push(engine.link(row, id));
          engine.settle(row, 'ok', { moodleId: id, message: CATEGORY_KEPT });
          return undefined;
        }
        engine.targetId(a);
        return { to: 'updates', item: row };
      },
      async ({ creates, updates }) => {
        await run.createInLevels(creates.map((row) => ({ row, kind: 'ok' as const })));
        await run.runUpdates(updates.map((row) => ({ row, input: run.updateInput(row, row.action.moodleId!), kind: 'ok' as const })));
        await run.relinkStale();
      },
    );
    // Kept categories need no call: their links are written first when the applier sends.
    return async () => {
      await engine.writeLinks(links);
      await send();
    };
  },
};

class CategoriesRun {
  /** key → Moodle id of the categories this run created: their children's parent. */
  private readonly created = new Map<string, number>();
  /** Keys whose create failed: their children cannot be placed. */
  private readonly failedKeys = new Set<string>();
  private readonly stale: UpdateItem[] = [];

  constructor(private readonly e: BatchEngine) {}

  /** The parent's Moodle id: known at plan time, created by this run, 0 for the top level; undefined while pending. */
  private parentId(row: CategoryRow): number | undefined {
    const p = row.action.parent;
    if (!p) return 0;
    return p.id ?? this.created.get(p.key);
  }

  private parentFailed(row: CategoryRow): boolean {
    const p = row.action.parent;
    return p !== undefined && p.id === undefined && this.failedKeys.has(p.key);
  }

  private failParent(row: CategoryRow): void {
    this.failedKeys.add(row.action.key);
    this.e.fail(row, 'parent-failed', `parent category ${row.action.parent!.key} was not created, so this category cannot be placed`);
  }

  updateInput(row: CategoryRow, id: number): UpdateCategoryInput {
    const r = row.action.record;
    const input: UpdateCategoryInput = { id, idnumber: row.action.key };
    if (r?.fields.name !== undefined) input.name = r.fields.name;
    if (r?.fields.description !== undefined) input.description = r.fields.description;
    // An absent parent leaves the category where it is; a given one moves it there.
    if (row.action.parent) input.parent = this.parentId(row);
    return input;
  }

  /** Each round sends the creates whose parent is known; the next round their children. */
  async createInLevels(todo: { row: CategoryRow; kind: OutcomeKind; message?: string }[]): Promise<void> {
    let waiting = todo;
    while (waiting.length > 0) {
      const ready: CreateItem[] = [];
      const next: typeof waiting = [];
      for (const t of waiting) {
        const parent = this.parentId(t.row);
        if (parent !== undefined) {
          try {
            ready.push({ ...t, input: this.createInput(t.row, parent) });
          } catch (err) {
            if (!(err instanceof LocalRowError)) throw err;
            this.failedKeys.add(t.row.action.key);
            this.e.fail(t.row, err.code, err.message);
          }
        } else if (this.parentFailed(t.row)) this.failParent(t.row);
        else next.push(t);
      }
      if (ready.length === 0) {
        // The planner placed every parent; a create still waiting has a parent no round produced.
        for (const t of next) this.failParent(t.row);
        return;
      }
      const { batches, tooBig } = pack(ready, (i) => categoryLeaves(i.input), this.e.options);
      this.e.failTooBig(tooBig);
      for (const { item } of tooBig) this.failedKeys.add(item.row.action.key);
      await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.createSpec));
      waiting = next;
    }
  }

  private createInput(row: CategoryRow, parent: number): CreateCategoryInput {
    const f = row.action.record?.fields;
    if (!f?.name) throw new LocalRowError('missing-value', 'name is required to create a category');
    const input: CreateCategoryInput = { name: f.name, idnumber: row.action.key };
    if (parent !== 0) input.parent = parent;
    if (f.description !== undefined) input.description = f.description;
    return input;
  }

  private async confirmCreated(pairs: { item: CreateItem; id: number }[]): Promise<void> {
    const links: LinkWrite[] = [];
    for (const { item, id } of pairs) {
      this.created.set(item.row.action.key, id);
      links.push(this.e.link(item.row, id));
      this.e.settle(item.row, item.kind, { moodleId: id, ...(item.message ? { message: item.message } : {}) });
    }
    await this.e.writeLinks(links);
  }

  private byIdnumber(idnumber: string): Promise<MoodleCategory[]> {
    return this.e.read('core_course_get_categories', 1, () => getCategories(this.e.deps.client, [{ key: 'idnumber', value: idnumber }], false));
  }

  private readonly createSpec: BatchSpec<CreateItem, { id: number; name: string }[]> = {
    wsfunction: 'core_course_create_categories',
    send: (items) => createCategories(this.e.deps.client, items.map((i) => i.input)),
    confirm: async (items, reply) => this.confirmCreated(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => {
      this.failedKeys.add(item.row.action.key);
      this.e.fail(item.row, code, message);
    },
    // A call that timed out may have committed: what Moodle now has under our idnumbers was created.
    recheck: async (items) => {
      const landed: { item: CreateItem; id: number }[] = [];
      const rest: CreateItem[] = [];
      for (const item of items) {
        const [found] = await this.byIdnumber(item.row.action.key);
        if (found) landed.push({ item, id: found.id });
        else rest.push(item);
      }
      await this.confirmCreated(landed);
      return rest;
    },
  };

  private readonly updateSpec: BatchSpec<UpdateItem, void> = {
    wsfunction: 'core_course_update_categories',
    send: (items) => updateCategories(this.e.deps.client, items.map((i) => i.input)),
    confirm: async (items) => {
      for (const item of items) if (item.row.action.kind === 'adopt') await this.dropPathLinks(item.row, item.input.id);
      await this.e.writeLinks(
        items.map((item) => {
          this.e.settle(item.row, item.kind, { moodleId: item.input.id, ...(item.message ? { message: item.message } : {}) });
          return this.e.link(item.row, item.input.id);
        }),
      );
    },
    failOne: (item, code, message) => {
      // update_categories says "unknowncategory" (core_course_category::get, contract 2026-12/146) both for a gone
      // category and for a gone parent; create's "unknowcategory" spelling is taken too. relinkStale tells them apart.
      if ((code === 'unknowncategory' || code === 'unknowcategory') && !item.relinked) this.stale.push(item);
      else this.e.fail(item.row, code, message, item.input.id);
    },
  };

  /**
   * An adopted category that a course's category path made: its `path:…` link gives way to the row's key, so the
   * ledger holds one link for the one category. The courses feed still finds it by name under its parent.
   */
  private async dropPathLinks(row: CategoryRow, id: number): Promise<void> {
    const { entity, key } = row.action;
    const ledger = this.e.deps.ledger;
    for (let l = await ledger.findByMoodleId(entity, id); l && l.key !== key && isPathKey(l.key); l = await ledger.findByMoodleId(entity, id)) await ledger.dropLink(entity, l.key);
  }

  async runUpdates(items: UpdateItem[]): Promise<void> {
    const ready: UpdateItem[] = [];
    for (const item of items) {
      if (item.row.action.parent && item.input.parent === undefined) {
        this.e.fail(item.row, 'parent-failed', `parent category ${item.row.action.parent.key} was not created, so this category cannot be moved under it`, item.input.id);
      } else ready.push(item);
    }
    const { batches, tooBig } = pack(ready, (i) => categoryLeaves(i.input), this.e.options);
    this.e.failTooBig(tooBig);
    await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.updateSpec));
  }

  /**
   * Categories deleted in Moodle by hand: the link is dropped, then the category is re-adopted by idnumber or
   * re-created. A MOODLE_ID the SIS gave is never replaced by a guess.
   */
  async relinkStale(): Promise<void> {
    const stale = this.stale.splice(0);
    const recreate: { row: CategoryRow; kind: OutcomeKind; message: string }[] = [];
    const readopt: UpdateItem[] = [];
    for (const item of stale) {
      const { row, input } = item;
      const a = row.action;
      let gone: boolean;
      let again: MoodleCategory[];
      try {
        gone = (await this.e.read('core_course_get_categories', 1, () => getCategories(this.e.deps.client, [{ key: 'id', value: input.id }], false))).length === 0;
        again = gone ? await this.byIdnumber(a.key) : [];
      } catch (err) {
        this.e.fail(row, codeOf(err), `Moodle refused the update (unknowcategory) and checking why failed: ${(err as Error).message}`, input.id);
        continue;
      }
      if (!gone) {
        this.e.fail(row, 'unknowcategory', `the parent category (Moodle id ${input.parent}) no longer exists in Moodle`, input.id);
        continue;
      }
      await this.e.deps.ledger.dropLink(a.entity, a.key);
      if (a.record?.moodleId !== undefined) {
        this.e.fail(row, 'unknowcategory', `Moodle category ${input.id} no longer exists: clear the SIS's Moodle id to have the category re-created`);
      } else if (again.length === 1) {
        const message = `Moodle category ${input.id} no longer existed; linked to category ${again[0].id} (found by idnumber)`;
        readopt.push({ row, input: { ...input, id: again[0].id }, kind: 'relinked', message, relinked: true });
      } else if (a.record?.fields.name) {
        recreate.push({ row, kind: 'relinked', message: `Moodle category ${input.id} no longer existed; re-created` });
      } else {
        this.e.fail(row, 'unknowcategory', `Moodle category ${input.id} no longer exists and cannot be re-created: the row has no name`);
      }
    }
    await this.runUpdates(readopt);
    await this.createInLevels(recreate);
  }
}
