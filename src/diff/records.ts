/**
 * Records with a Moodle object of their own besides persons (categories, courses, cohorts, groups) against their
 * ledger link and the live object. For these the ledger keeps a content hash of the row (a group: the name and
 * description mdlsync gave, as state), not the values: a row whose hash is the link's is what mdlsync last sent, so
 * a live value that differs from it was changed in Moodle (changed-in-moodle); a row whose hash differs changed in
 * the file since, and the next run sends it whatever Moodle holds (changed-in-file).
 */
import { entity, type EntityLookup } from '../entities/index.js';
import type { EntityType, RecordOf } from '../entities/types.js';
import { categoryContentHash } from '../entities/categories/rules.js';
import { cohortHash } from '../entities/cohorts/rules.js';
import { courseContentHash } from '../entities/courses/rules.js';
import { parseGroupState } from '../entities/groups/rules.js';
import type { LedgerLink } from '../ledger/types.js';
import { getCategories, getCourseGroups } from '../moodle/index.js';
import { CoursePlaces } from '../resolve/courses.js';
import type { ContextBase } from '../plan/fold.js';
import type { PartContext } from './context.js';
import { liveCohorts, liveCourses } from './live.js';
import type { DiffRow, Finding } from './types.js';

export type RecordType = Extract<EntityType, 'categories' | 'courses' | 'cohorts' | 'groups'>;
const RECORD_TYPES: readonly EntityType[] = ['categories', 'courses', 'cohorts', 'groups'];
export function isRecordType(t: EntityType): t is RecordType {
  return RECORD_TYPES.includes(t);
}

/** One field as the file says it and as Moodle holds it. */
export interface FieldPair {
  field: string;
  file: string;
  moodle: string;
}

const NOUN: Record<RecordType, string> = { categories: 'category', courses: 'course', cohorts: 'cohort', groups: 'group' };

/**
 * The findings of one linked record whose Moodle object exists: in-step, or a row per differing field, all
 * changed-in-moodle when the row is what mdlsync last sent, else changed-in-file.
 */
export function diffLinkedRecord(type: RecordType, key: string, line: number, moodleId: number, pairs: readonly FieldPair[], fileAsSent: boolean): DiffRow[] {
  const base = { line, type, key, moodleId };
  const differing = pairs.filter((p) => p.file !== p.moodle);
  if (differing.length === 0) return [{ ...base, finding: 'in-step', message: 'Moodle holds what the file says' }];
  const finding: Finding = fileAsSent ? 'changed-in-moodle' : 'changed-in-file';
  const message = fileAsSent
    ? `changed in Moodle since mdlsync sent it (the file is as sent): mdlsync diff --repair sends the file value again`
    : `the file changed since mdlsync last sent it: the next run sends it`;
  return differing.map((p) => ({ ...base, finding, field: p.field, fileValue: p.file, moodleValue: p.moodle, message }));
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** Each type: its live objects by id, and a row's field pairs and "is what was sent" against one. */
interface RecordSpec<T extends RecordType> {
  live(ids: number[], records: readonly RecordOf<T>[], ctx: PartContext): Promise<Map<number, Record<string, unknown>>>;
  pairs(r: RecordOf<T>, live: Record<string, unknown>, ctx: PartContext): FieldPair[] | Promise<FieldPair[]>;
  asSent(r: RecordOf<T>, link: LedgerLink): boolean;
}

/** A category parent or a course category as the file names it (a key), and the live one (its key when mdlsync knows it). */
async function categoryKeyOf(ctx: PartContext, id: number): Promise<string> {
  if (id === 0) return '(top)';
  return (await ctx.ledger.findByMoodleId('categories', id))?.key ?? `category ${id}`;
}

const SPECS: { [T in RecordType]: RecordSpec<T> } = {
  categories: {
    async live(ids, _records, ctx) {
      if (ids.length === 0) return new Map();
      const list = await ctx.reads.retry(() => getCategories(ctx.reads.client, [{ key: 'ids', value: ids.join(',') }]));
      return new Map(list.map((c) => [c.id, c as Record<string, unknown>]));
    },
    async pairs(r, c, ctx) {
      const f = r.fields;
      const out: FieldPair[] = [];
      if (f.name !== undefined) out.push({ field: 'name', file: f.name, moodle: text(c.name) });
      if (f.description !== undefined) out.push({ field: 'description', file: f.description, moodle: text(c.description) });
      out.push({ field: 'parent', file: f.parent ?? '(top)', moodle: await categoryKeyOf(ctx, Number(c.parent)) });
      return out;
    },
    asSent: (r, link) => link.hash === categoryContentHash(r),
  },
  courses: {
    async live(ids, _records, ctx) {
      return new Map([...(await liveCourses(ctx.reads, ids))].map(([id, c]) => [id, c as Record<string, unknown>]));
    },
    async pairs(r, c, ctx) {
      const f = r.fields;
      const out: FieldPair[] = [];
      for (const name of ['shortname', 'fullname', 'summary', 'format'] as const) if (f[name] !== undefined) out.push({ field: name, file: f[name], moodle: text(c[name]) });
      for (const name of ['startdate', 'enddate'] as const) if (f[name] !== undefined) out.push({ field: name, file: String(f[name]), moodle: text(c[name]) });
      if (r.available !== undefined) out.push({ field: 'visible', file: r.available ? '1' : '0', moodle: text(c.visible) });
      const cat = f.category;
      // A category path is made of names, not keys: only an id or a key can be compared.
      if (cat && 'id' in cat) out.push({ field: 'category', file: String(cat.id), moodle: text(c.categoryid) });
      else if (cat && 'key' in cat) out.push({ field: 'category', file: cat.key, moodle: await categoryKeyOf(ctx, Number(c.categoryid)) });
      return out;
    },
    asSent: (r, link) => link.hash === courseContentHash(r),
  },
  cohorts: {
    async live(ids, _records, ctx) {
      return new Map([...(await liveCohorts(ctx.reads, ids))].map(([id, c]) => [id, c as unknown as Record<string, unknown>]));
    },
    pairs(r, c) {
      const f = r.fields;
      const out: FieldPair[] = [];
      if (f.name !== undefined) out.push({ field: 'name', file: f.name, moodle: text(c.name) });
      if (f.description !== undefined) out.push({ field: 'description', file: f.description, moodle: text(c.description) });
      if (f.visible !== undefined) out.push({ field: 'visible', file: f.visible ? '1' : '0', moodle: c.visible ? '1' : '0' });
      return out;
    },
    asSent: (r, link) => link.hash === cohortHash(r),
  },
  groups: {
    /** core_group_get_course_groups of each course the file names (the course by its key: ledger, else idnumber). */
    async live(ids, records, ctx) {
      const want = new Set(ids);
      const places = new CoursePlaces(ctx.reads.client, ctx.ledger, ctx.reads.retry, 2);
      const shortnames = places.by('shortname');
      const out = new Map<number, Record<string, unknown>>();
      const courses = new Set<number>();
      for (const r of records) {
        const p = r.fields.courseBy === 'shortname' ? shortnames : places;
        await p.place([r.fields.course]);
        const id = p.id(r.fields.course);
        if (id !== undefined) courses.add(id);
      }
      const existing = await liveCourses(ctx.reads, courses);
      for (const id of existing.keys()) for (const g of await ctx.reads.retry(() => getCourseGroups(ctx.reads.client, id))) if (want.has(g.id)) out.set(g.id, g as Record<string, unknown>);
      return out;
    },
    pairs(r, g) {
      const f = r.fields;
      const out: FieldPair[] = [];
      if (f.name !== undefined) out.push({ field: 'name', file: f.name, moodle: text(g.name) });
      if (f.description !== undefined) out.push({ field: 'description', file: f.description, moodle: text(g.description) });
      return out;
    },
    asSent(r, link) {
      const s = parseGroupState(link.state);
      return s !== undefined && (r.fields.name === undefined || s.name === r.fields.name) && (r.fields.description === undefined || s.description === r.fields.description);
    },
  },
};

export async function diffRecords<T extends RecordType>(type: T, records: readonly { line: number; r: RecordOf<T> }[], ctx: PartContext): Promise<DiffRow[]> {
  const spec = SPECS[type] as RecordSpec<T>;
  const noun = NOUN[type];
  const links = await ctx.ledger.getLinks(type, records.map((x) => x.r.key));
  const targetOf = (r: RecordOf<T>): number | undefined => r.moodleId ?? links.get(r.key)?.moodleId;
  const ids = records.flatMap(({ r }) => [targetOf(r), links.get(r.key)?.moodleId].filter((id): id is number => id !== undefined));
  const live = await spec.live([...new Set(ids)], records.map((x) => x.r), ctx);
  // Records the ledger does not know: the entity's own look-up says whether a run would adopt or create them.
  const unlinked = records.filter(({ r }) => targetOf(r) === undefined).map((x) => x.r);
  const found = new Map<string, Omit<ContextBase, 'link'>>();
  if (unlinked.length > 0) {
    const lookup = entity(type).lookup(ctx.reads.client, ctx.ledger, { retries: ctx.reads.retries, backoffMs: ctx.reads.backoffMs, chunkSize: ctx.reads.chunkSize }, ctx.settings) as unknown as EntityLookup<RecordOf<T>>;
    for (const [k, v] of await lookup(unlinked, records.map((x) => x.r))) found.set(k, v);
  }
  const rows: DiffRow[] = [];
  for (const { line, r } of records) {
    const base = { line, type, key: r.key };
    const link = links.get(r.key);
    const target = targetOf(r);
    // A row that disables (ROW_STATUS disabled or deleted, ACTION=delete) only asks for the record to be gone or disabled.
    const removal = r.command === 'delete' || r.rowStatus === 'disabled' || r.rowStatus === 'deleted';
    if (removal) {
      if (link?.status === 'active') rows.push({ ...base, finding: 'changed-in-file', moodleId: target, message: `the row disables the ${noun}: the next run does` });
      else rows.push({ ...base, finding: 'in-step', moodleId: target, message: link ? `disabled by mdlsync, as the row asks` : `not linked by mdlsync; the row disables it: a run leaves it alone` });
      continue;
    }
    if (target === undefined) {
      const match = found.get(r.key)?.match;
      rows.push(match ? { ...base, finding: 'unlinked', moodleId: match.id, message: `Moodle ${noun} ${match.id} matches this row and is not in the ledger: the next run adopts it` } : { ...base, finding: 'missing', message: `not in Moodle and not in the ledger: the next run creates it` });
      continue;
    }
    const object = live.get(target);
    if (link && link.moodleId !== target) {
      // The file's MOODLE_ID and the ledger's link name two records: a run fails the row (moodle-id-conflict).
      const linked = live.has(link.moodleId);
      const why = !object && linked ? `names Moodle ${noun} ${target}, which no longer exists; mdlsync links this key to Moodle ${noun} ${link.moodleId} now: store that id in the SIS (mdlsync export ids)` : `differs from Moodle ${noun} ${link.moodleId} the ledger links: a run fails this row (moodle-id-conflict)`;
      rows.push({ ...base, finding: !object && linked ? 'deleted-in-moodle' : 'changed-in-file', field: 'MOODLE_ID', fileValue: String(target), moodleValue: String(link.moodleId), moodleId: link.moodleId, message: `the file's MOODLE_ID ${why}` });
      continue;
    }
    if (!object && link?.status === 'disabled' && r.moodleId === undefined) {
      rows.push({ ...base, finding: 'changed-in-file', moodleId: target, message: `mdlsync disabled (or deleted) this ${noun} and the file has it again: the next run brings it back` });
      continue;
    }
    if (!object) {
      const by = r.moodleId !== undefined && r.moodleId !== link?.moodleId ? `the file's MOODLE_ID names Moodle ${noun} ${target}` : `the ledger links this key to Moodle ${noun} ${target}`;
      rows.push({ ...base, finding: 'deleted-in-moodle', moodleId: target, message: `${by}, which no longer exists (deleted in Moodle): clear the SIS's Moodle id, or set diff.recreateDeleted and run mdlsync diff --repair` });
      continue;
    }
    if (!link) {
      rows.push({ ...base, finding: 'unlinked', moodleId: target, message: `the file's MOODLE_ID names Moodle ${noun} ${target}, which is not in the ledger: the next run adopts it` });
      continue;
    }
    rows.push(...diffLinkedRecord(type, r.key, line, target, await spec.pairs(r, object, ctx), spec.asSent(r, link)));
  }
  return rows;
}
