/**
 * The courses applier. Order: the category levels a path lacks (created once, parents first, linked in the
 * ledger as `path:…`), then updates and hides (core_course_update_courses, per-record warnings), deletes, creates
 * (core_course_create_courses: all or nothing, so the engine bisects; a short name Moodle already has is adopted
 * when that course has no idnumber or ours), and last the copies of a TEMPLATE (core_course_duplicate_course, one
 * per call, then an update that sets the copy's idnumber, dates and summary).
 */
import type { LinkWrite } from '../../ledger/types.js';
import { categoryLeaves, courseLeaves, createCategories, createCourses, deleteCourses, duplicateCourse, getCategories, getCoursesByField, updateCourses } from '../../moodle/index.js';
import type { CreateCategoryInput, CreateCourseInput, MoodleWarning, UpdateCourseInput } from '../../moodle/types.js';
import { pathLevelKey } from './target.js';
import type { CourseFields } from './record.js';
import { COURSE_HIDDEN } from './rules.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { LocalRowError, pack } from '../../apply/pack.js';
import { prepareRows } from '../../apply/prepare.js';

type CourseRow = Row<'courses'>;

interface LevelItem {
  /** The first row that needs this level (the engine reports an abort on it). */
  row: CourseRow;
  key: string;
  depth: number;
  name: string;
  /** Key of the parent level when this run creates it too; else the parent's id. */
  parentKey?: string;
  parentId?: number;
  input?: CreateCategoryInput;
}

interface CreateItem {
  row: CourseRow;
  input: CreateCourseInput;
  shortnameChecked?: boolean;
}

interface UpdateItem {
  row: CourseRow;
  input: UpdateCourseInput;
  message?: string;
  /** 'delete' rows drop their link; the others write it. */
  hash?: string | null;
}

interface CopyItem {
  row: CourseRow;
  templateId: number;
  input: CreateCourseInput;
}

export const coursesApplier: EntityApplier<'courses'> = {
  prepare(engine, rows) {
    const run = new CoursesRun(engine);
    return prepareRows(
      engine,
      rows,
      { placing: [] as CourseRow[], deletes: [] as { row: CourseRow; id: number }[], hides: [] as UpdateItem[] },
      (row) => {
        const a = row.action;
        if (a.kind === 'delete') return { to: 'deletes', item: { row, id: engine.targetId(a) } };
        if (a.kind === 'disable') return { to: 'hides', item: { row, input: { id: engine.targetId(a), visible: 0 }, message: COURSE_HIDDEN } };
        if (a.kind !== 'create') engine.targetId(a);
        return { to: 'placing', item: row };
      },
      async ({ placing, deletes, hides }) => {
        await run.createLevels(placing);
        const updates: UpdateItem[] = [...hides];
        const creates: CreateItem[] = [];
        const copies: CopyItem[] = [];
        for (const row of placing) {
          if (engine.outcomeOf(row)) continue; // its category level failed
          const a = row.action;
          try {
            if (a.kind === 'create') {
              const input = run.createInput(row);
              if (a.course?.templateId !== undefined) copies.push({ row, templateId: a.course.templateId, input });
              else creates.push({ row, input });
            } else updates.push({ row, input: run.updateInput(row, a.moodleId!) });
          } catch (err) {
            if (!(err instanceof LocalRowError)) throw err;
            engine.fail(row, err.code, err.message);
          }
        }
        await run.runUpdates(updates);
        await run.runDeletes(deletes);
        await run.runCreates(creates);
        await run.runCopies(copies);
      },
    );
  },
};

/** The settings the web services take as course parameters (the rest of a course's settings ride along elsewhere). */
const SETTING_INPUTS = ['showgrades', 'newsitems', 'numsections', 'maxbytes', 'showreports', 'groupmode', 'groupmodeforce', 'enablecompletion', 'lang', 'forcetheme', 'courseformatoptions', 'customfields'] as const;

/** The record's settings into a create or update: hiddensections is a course format option, custom fields a list. */
function withSettings<T extends Partial<CreateCourseInput>>(input: T, f: CourseFields): T {
  for (const [k, v] of Object.entries(f.settings ?? {})) {
    if (k === 'hiddensections') input.courseformatoptions = [{ name: k, value: v }];
    else (input as Record<string, unknown>)[k] = v;
  }
  if (f.customfields) input.customfields = Object.entries(f.customfields).map(([shortname, value]) => ({ shortname, value }));
  return input;
}

class CoursesRun {
  /** Path-level key → Moodle id of the category levels this run created. */
  private readonly levels = new Map<string, number>();
  private readonly failedLevels = new Map<string, string>();

  constructor(private readonly e: BatchEngine) {}

  // ── category levels ───────────────────────────────────────────────────────────────────────────────────────

  async createLevels(rows: CourseRow[]): Promise<void> {
    const items = new Map<string, LevelItem>();
    for (const row of rows) {
      const cp = row.action.course?.createPath;
      if (!cp) continue;
      for (let depth = cp.existing + 1; depth <= cp.levels.length; depth++) {
        const key = pathLevelKey(cp.levels, depth);
        if (items.has(key)) continue;
        const item: LevelItem = { row, key, depth, name: cp.levels[depth - 1] };
        if (depth === cp.existing + 1) item.parentId = cp.parentId;
        else item.parentKey = pathLevelKey(cp.levels, depth - 1);
        items.set(key, item);
      }
    }
    const byDepth = [...items.values()].sort((a, b) => a.depth - b.depth);
    for (let depth = 1; byDepth.length > 0; depth++) {
      const ready: LevelItem[] = [];
      while (byDepth.length > 0 && byDepth[0].depth === depth) {
        const it = byDepth.shift()!;
        const parent = it.parentId ?? (it.parentKey !== undefined ? this.levels.get(it.parentKey) : undefined);
        if (parent === undefined) {
          this.failedLevels.set(it.key, `parent category ${it.parentKey?.slice(5) ?? ''} was not created`);
          continue;
        }
        it.input = { name: it.name, idnumber: it.key, ...(parent !== 0 ? { parent } : {}) };
        ready.push(it);
      }
      const { batches } = pack(ready, (i) => categoryLeaves(i.input!), this.e.options);
      await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.levelSpec));
    }
    for (const row of rows) {
      const cp = row.action.course?.createPath;
      if (!cp) continue;
      for (let depth = cp.existing + 1; depth <= cp.levels.length; depth++) {
        const why = this.failedLevels.get(pathLevelKey(cp.levels, depth));
        if (why !== undefined) {
          this.e.fail(row, 'category-failed', `category ${cp.levels.slice(0, depth).join('/')} could not be created: ${why}`, row.action.moodleId);
          break;
        }
      }
    }
  }

  private async confirmLevels(pairs: { item: LevelItem; id: number }[]): Promise<void> {
    const links: LinkWrite[] = pairs.map(({ item, id }) => {
      this.levels.set(item.key, id);
      return { entity: 'categories', key: item.key, moodleId: id, dataSource: item.row.action.dataSource, hash: null, status: 'active', runId: this.e.deps.runId };
    });
    await this.e.writeLinks(links);
  }

  private readonly levelSpec: BatchSpec<LevelItem, { id: number; name: string }[]> = {
    wsfunction: 'core_course_create_categories',
    send: (items) => createCategories(this.e.deps.client, items.map((i) => i.input!)),
    confirm: async (items, reply) => this.confirmLevels(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => {
      this.failedLevels.set(item.key, `${code}: ${message}`);
    },
    recheck: async (items) => {
      const landed: { item: LevelItem; id: number }[] = [];
      const rest: LevelItem[] = [];
      for (const item of items) {
        const [found] = await this.e.read('core_course_get_categories', 1, () => getCategories(this.e.deps.client, [{ key: 'idnumber', value: item.key }], false));
        if (found) landed.push({ item, id: found.id });
        else rest.push(item);
      }
      await this.confirmLevels(landed);
      return rest;
    },
  };

  private categoryId(row: CourseRow): number | undefined {
    const t = row.action.course;
    if (!t) return undefined;
    if (t.categoryId !== undefined) return t.categoryId;
    if (t.createPath) return this.levels.get(pathLevelKey(t.createPath.levels, t.createPath.levels.length));
    return undefined;
  }

  // ── inputs ────────────────────────────────────────────────────────────────────────────────────────────────

  createInput(row: CourseRow): CreateCourseInput {
    const r = row.action.record;
    const f = r?.fields;
    if (!f?.shortname || !f.fullname) throw new LocalRowError('missing-value', 'shortname and fullname are required to create a course');
    const categoryid = this.categoryId(row);
    if (categoryid === undefined) throw new LocalRowError('missing-value', 'a new course needs a category');
    const input: CreateCourseInput = { fullname: f.fullname, shortname: f.shortname, categoryid, idnumber: row.action.key };
    if (f.summary !== undefined) input.summary = f.summary;
    if (f.format !== undefined) input.format = f.format;
    if (f.startdate !== undefined) input.startdate = f.startdate;
    if (f.enddate !== undefined) input.enddate = f.enddate;
    if (r?.available === false) input.visible = 0;
    return withSettings(input, f);
  }

  updateInput(row: CourseRow, id: number): UpdateCourseInput {
    const a = row.action;
    const r = a.record;
    const f = r?.fields ?? {};
    const input: UpdateCourseInput = { id, idnumber: a.key };
    if (f.shortname !== undefined) input.shortname = f.shortname;
    if (f.fullname !== undefined) input.fullname = f.fullname;
    if (f.summary !== undefined) input.summary = f.summary;
    if (f.format !== undefined) input.format = f.format;
    if (f.startdate !== undefined) input.startdate = f.startdate;
    if (f.enddate !== undefined) input.enddate = f.enddate;
    const categoryid = this.categoryId(row);
    if (categoryid !== undefined) input.categoryid = categoryid;
    if (a.kind === 'enable') input.visible = r?.available === false ? 0 : 1;
    else if (r?.available !== undefined) input.visible = r.available ? 1 : 0;
    return withSettings(input, f);
  }

  // ── updates, hides, deletes ───────────────────────────────────────────────────────────────────────────────

  private readonly updateSpec: BatchSpec<UpdateItem, MoodleWarning[]> = {
    wsfunction: 'core_course_update_courses',
    send: (items) => updateCourses(this.e.deps.client, items.map((i) => i.input)),
    confirm: async (items, warnings) => {
      const bad = new Map(warnings.filter((w) => w.itemid !== undefined).map((w) => [Number(w.itemid), w]));
      const links: LinkWrite[] = [];
      for (const item of items) {
        const w = bad.get(item.input.id);
        if (w) {
          this.e.fail(item.row, w.warningcode, w.message, item.input.id);
          continue;
        }
        links.push(this.e.link(item.row, item.input.id, item.hash === undefined ? undefined : item.hash));
        this.e.settle(item.row, 'ok', { moodleId: item.input.id, ...(item.message ? { message: item.message } : {}) });
      }
      await this.e.writeLinks(links);
    },
    failOne: (item, code, message) => this.e.fail(item.row, code, message, item.input.id),
  };

  async runUpdates(items: UpdateItem[]): Promise<void> {
    const { batches, tooBig } = pack(items, (i) => courseLeaves(i.input), this.e.options);
    this.e.failTooBig(tooBig);
    await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.updateSpec));
  }

  private readonly deleteSpec: BatchSpec<{ row: CourseRow; id: number }, MoodleWarning[]> = {
    wsfunction: 'core_course_delete_courses',
    send: (items) => deleteCourses(this.e.deps.client, items.map((i) => i.id)),
    confirm: async (items, warnings) => {
      const bad = new Map(warnings.filter((w) => w.itemid !== undefined).map((w) => [Number(w.itemid), w]));
      for (const { row, id } of items) {
        const w = bad.get(id);
        if (w && w.warningcode !== 'unknowncourseidnumber') {
          this.e.fail(row, w.warningcode, w.message, id);
          continue;
        }
        await this.e.deps.ledger.dropLink(row.action.entity, row.action.key);
        this.e.settle(row, 'ok', { moodleId: id, ...(w ? { message: `Moodle course ${id} was already deleted` } : {}) });
      }
    },
    failOne: ({ row, id }, code, message) => this.e.fail(row, code, message, id),
  };

  async runDeletes(items: { row: CourseRow; id: number }[]): Promise<void> {
    // Deleting a course is slow in Moodle (every module, log and file): small batches.
    const { batches } = pack(items, () => 1, { ...this.e.options, batchSize: Math.min(5, this.e.options.batchSize) });
    await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.deleteSpec));
  }

  // ── creates ───────────────────────────────────────────────────────────────────────────────────────────────

  private async created(pairs: { item: { row: CourseRow }; id: number; message?: string }[]): Promise<void> {
    await this.e.writeLinks(
      pairs.map(({ item, id, message }) => {
        this.e.settle(item.row, 'ok', { moodleId: id, ...(message ? { message } : {}) });
        return this.e.link(item.row, id);
      }),
    );
  }

  private byShortname(shortname: string) {
    return this.e.read('core_course_get_courses_by_field', 1, async () => (await getCoursesByField(this.e.deps.client, 'shortname', shortname)).courses);
  }

  private readonly createSpec: BatchSpec<CreateItem, { id: number; shortname: string }[]> = {
    wsfunction: 'core_course_create_courses',
    send: (items) => createCourses(this.e.deps.client, items.map((i) => i.input)),
    confirm: async (items, reply) => this.created(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => this.e.fail(item.row, code, message),
    // A call that timed out may have committed: a course with our idnumber was created by it.
    recheck: async (items) => {
      const landed: { item: CreateItem; id: number }[] = [];
      const rest: CreateItem[] = [];
      for (const item of items) {
        const found = (await this.byShortname(item.input.shortname)).find((c) => c.idnumber === item.input.idnumber);
        if (found) landed.push({ item, id: found.id });
        else rest.push(item);
      }
      await this.created(landed);
      return rest;
    },
    explain: (items) => this.adoptTakenShortnames(items),
  };

  /**
   * A create batch Moodle refused: short names it already has are the usual reason. A course without an idnumber,
   * or with ours, is adopted (linked and updated); one with another idnumber is another course, and the row fails.
   */
  private async adoptTakenShortnames(items: CreateItem[]): Promise<CreateItem[]> {
    const unchecked = items.filter((i) => !i.shortnameChecked);
    if (unchecked.length === 0) return items;
    const found = new Map<CreateItem, { id: number; idnumber?: string }>();
    for (const i of unchecked) {
      i.shortnameChecked = true;
      const c = (await this.byShortname(i.input.shortname)).find((x) => x.shortname === i.input.shortname);
      if (c) found.set(i, c);
    }
    if (found.size === 0) return items;
    const adopt: UpdateItem[] = [];
    const rest: CreateItem[] = [];
    for (const item of items) {
      const c = found.get(item);
      if (!c) {
        rest.push(item);
        continue;
      }
      if (c.idnumber && c.idnumber !== item.row.action.key) {
        this.e.fail(
          item.row,
          'shortname-taken',
          `short name ${item.input.shortname} belongs to Moodle course ${c.id} whose idnumber is ${c.idnumber}: another course, or set that course's idnumber to ${item.row.action.key} to have it adopted`,
        );
        continue;
      }
      const row = { index: item.row.index, action: { ...item.row.action, kind: 'adopt' as const, moodleId: c.id } };
      adopt.push({ row, input: { ...this.updateInput(row, c.id) }, message: `adopted Moodle course ${c.id} (found by short name)` });
    }
    if (adopt.length) await this.runUpdates(adopt);
    return rest;
  }

  async runCreates(items: CreateItem[]): Promise<void> {
    const { batches, tooBig } = pack(items, (i) => courseLeaves(i.input), this.e.options);
    this.e.failTooBig(tooBig);
    await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.createSpec));
  }

  // ── template copies ───────────────────────────────────────────────────────────────────────────────────────

  /** After the copy exists: set what duplicate_course cannot (idnumber, dates, summary, format), then link it. */
  private async finishCopy(item: CopyItem, id: number): Promise<void> {
    const { input } = item;
    const update: UpdateCourseInput = { id, idnumber: input.idnumber };
    if (input.summary !== undefined) update.summary = input.summary;
    if (input.format !== undefined) update.format = input.format;
    if (input.startdate !== undefined) update.startdate = input.startdate;
    if (input.enddate !== undefined) update.enddate = input.enddate;
    for (const k of SETTING_INPUTS) if (input[k] !== undefined) (update as Record<string, unknown>)[k] = input[k];
    let warnings: MoodleWarning[];
    try {
      warnings = await this.e.read('core_course_update_courses', 1, () => updateCourses(this.e.deps.client, [update]));
    } catch (err) {
      warnings = [{ item: 'course', itemid: id, warningcode: 'error', message: (err as Error).message }];
    }
    if (warnings.length > 0) {
      // The copy exists: link it without a hash so the next run sends the fields again.
      await this.e.writeLinks([this.e.link(item.row, id, null)]);
      this.e.fail(item.row, warnings[0].warningcode, `copied as Moodle course ${id}, but setting its fields failed: ${warnings[0].message}`, id);
      return;
    }
    await this.created([{ item, id, message: `a copy of course ${item.templateId}` }]);
  }

  private readonly copySpec: BatchSpec<CopyItem, { id: number; shortname: string }> = {
    wsfunction: 'core_course_duplicate_course',
    send: ([item]) =>
      duplicateCourse(this.e.deps.client, {
        courseid: item.templateId,
        fullname: item.input.fullname,
        shortname: item.input.shortname,
        categoryid: item.input.categoryid,
        visible: item.input.visible === 0 ? 0 : 1,
      }),
    confirm: async ([item], reply) => this.finishCopy(item, reply.id),
    failOne: (item, code, message) => this.e.fail(item.row, code, message),
    recheck: async (items) => {
      const rest: CopyItem[] = [];
      for (const item of items) {
        const found = (await this.byShortname(item.input.shortname)).find((c) => c.shortname === item.input.shortname && !c.idnumber);
        if (found) await this.finishCopy(item, found.id);
        else rest.push(item);
      }
      return rest;
    },
  };

  /** One copy per call (a backup and restore each): the limiter still runs several at once. */
  async runCopies(items: CopyItem[]): Promise<void> {
    await this.e.runBatches(
      items.map((i) => [i]),
      (b) => this.e.sendBatch(b, this.copySpec),
    );
  }
}
