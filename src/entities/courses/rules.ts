/**
 * The courses rules of the generic planner (fold.ts). A course's key lives in its idnumber. A disable hides the
 * course (visible=0); with `courses.disable: delete`, an explicit delete (never a refresh) deletes it.
 * The caller resolves the category (id, key or path) and the template; this file only decides. Pure.
 */
import { hash } from 'node:crypto';
import type { CourseRecord } from './record.js';
import type { RowCode } from '../../errors.js';
import type { CourseTarget } from './target.js';
import { EntityPlanner, unchangedByLink, updateReason, type ContextBase, type EntityRules, type MatchBase, type RowPlanning } from '../../plan/fold.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';

export interface CourseMatch extends MatchBase {
  via: 'moodle-id' | 'idnumber' | 'shortname';
  /** Found by the shortname a row is keyed by: that course's idnumber, when it has one other than the key. */
  otherIdnumber?: string;
}

export type Resolved<T> = T | { error: { code: RowCode; message: string } };

export interface CourseContext extends ContextBase<CourseMatch> {
  /** The row's category as the caller resolved it (undefined when the row gives none). */
  category?: Resolved<Pick<CourseTarget, 'categoryId' | 'createPath'>>;
  /** The row's TEMPLATE course (undefined when the row gives none). */
  template?: Resolved<{ id: number }>;
}

declare module '../types.js' {
  interface EntityActions {
    /** Where the course goes (category id, or path levels to create) and the template to copy. */
    courses: { course?: CourseTarget };
  }
}

export type CourseAction = ActionOf<'courses'>;

export const COURSE_HIDDEN = 'hidden in Moodle (visible=0)';
const HASH_VERSION = 'k1';

function part(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return `${name}-;`;
  const v = String(value);
  return `${name}=${v.length}:${v};`;
}

/** Content hash of what mdlsync sends for a course (routing columns and the template excluded). */
export function courseContentHash(r: CourseRecord): string {
  const f = r.fields;
  const c = f.category;
  const cat = c === undefined ? undefined : 'id' in c ? `id:${c.id}` : 'key' in c ? `key:${c.key}` : `path:${c.path.join('\u0000')}`;
  return hash(
    'sha256',
    HASH_VERSION +
      part('shortname', f.shortname) +
      part('fullname', f.fullname) +
      part('category', cat) +
      part('start', f.startdate) +
      part('end', f.enddate) +
      part('summary', f.summary) +
      part('format', f.format) +
      part('available', r.available) +
      // Only when given, so the hashes of files without them stay as they were.
      (f.settings ? part('settings', sorted(f.settings)) : '') +
      (f.customfields ? part('customfields', sorted(f.customfields)) : ''),
    'base64url',
  );
}

function sorted(o: Record<string, string | number>): string {
  return JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isError<T extends object>(v: Resolved<T> | undefined): v is { error: { code: RowCode; message: string } } {
  return v !== undefined && 'error' in v;
}

export function courseRules(): EntityRules<'courses', CourseContext> {
  const target = (ctx: CourseContext): CourseTarget | undefined => {
    const c = ctx.category;
    return c === undefined || isError(c) ? undefined : { ...c };
  };
  const withTarget = (a: CourseAction, t: CourseTarget | undefined): CourseAction => {
    if (t && Object.keys(t).length > 0) a.course = t;
    return a;
  };
  const hide = (r: CourseRecord | undefined, why: string, p: RowPlanning<'courses', CourseContext>, base: Omit<CourseAction, 'kind' | 'reason'>): CourseAction => ({
    kind: 'disable',
    ...base,
    ...(r ? { record: r } : {}),
    status: 'disabled',
    reason: `${why}: ${COURSE_HIDDEN}`,
    entity: p.options.entity,
  });
  return {
    moodleNoun: 'course',
    recordNoun: 'course',

    store(r, line, ctx, p) {
      const o = p.options;
      const entity = o.entity;
      const key = r.key;
      const dataSource = p.ds(r, ctx);
      const h = courseContentHash(r);
      const link = ctx.link;
      const same = unchangedByLink(r, line, link, h, dataSource, p);
      if (same) return same;
      if (isError(ctx.category)) return p.fail(r, line, ctx, ctx.category.error.code, ctx.category.error.message);
      const placed = { entity, key, line, dataSource, record: r, hash: h, status: 'active' as const };
      const t = target(ctx);
      if (link) {
        if (link.status === 'disabled') return withTarget({ kind: 'enable', ...placed, moodleId: link.moodleId, reason: 're-enable: back in the file' }, t);
        return withTarget({ kind: 'update', ...placed, moodleId: link.moodleId, reason: updateReason(link, h, dataSource) }, t);
      }
      if (ctx.match?.otherIdnumber !== undefined) {
        // The short name is taken by a course with another idnumber: another course, which a store must not take over.
        const m = ctx.match;
        return p.fail(r, line, ctx, 'shortname-taken', `short name ${r.fields.shortname ?? key} belongs to Moodle course ${m.id} whose idnumber is ${m.otherIdnumber}: another course, or set that course's idnumber to ${key} to have it adopted`);
      }
      if (ctx.match) return withTarget({ kind: 'adopt', ...placed, moodleId: ctx.match.id, reason: `${p.found(ctx.match)}: adopt` }, t);
      if (!r.fields.shortname) return p.fail(r, line, ctx, 'missing-value', 'shortname is empty: a new course needs a short name (COURSE_ID)');
      if (!r.fields.fullname) return p.fail(r, line, ctx, 'missing-value', 'fullname is empty: a new course needs a full name (COURSE_NAME)');
      if (!t) return p.fail(r, line, ctx, 'missing-value', 'the category is empty: a new course needs one (CATEGORY)');
      let reason = 'new course';
      if (r.fields.template !== undefined) {
        if (isError(ctx.template)) return p.fail(r, line, ctx, ctx.template.error.code, ctx.template.error.message);
        if (ctx.template === undefined) return p.fail(r, line, ctx, 'unknown-template', `unknown template course ${r.fields.template}`);
        t.templateId = ctx.template.id;
        reason = `new course, a copy of ${r.fields.template} (course ${ctx.template.id})`;
      }
      if (t.createPath) reason += `; creates categories ${t.createPath.levels.slice(t.createPath.existing).join(', ')}`;
      return withTarget({ kind: 'create', ...placed, reason }, t);
    },

    /** ROW_STATUS=disabled or deleted: hide; a course the ledger and Moodle lack is not created just to be hidden. */
    disable(r, line, ctx, p) {
      const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
      const why = r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled';
      const link = ctx.link;
      if (link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already hidden (${why})` };
      const id = link?.moodleId ?? ctx.match?.id;
      if (id === undefined) return { kind: 'unchanged', ...base, reason: `not in Moodle: nothing to hide (${why})` };
      const via = link ? '' : `; ${p.found(ctx.match!)}`;
      return hide(r, `${why}${via}`, p, { ...base, moodleId: id, hash: courseContentHash(r) });
    },

    delete(r, line, ctx, p, id, via) {
      const o = p.options;
      const base = { entity: o.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
      const why = o.op === 'delete' ? 'delete' : 'ACTION=delete';
      if (p.hardDelete) return { kind: 'delete', ...base, moodleId: id, record: r, reason: `${why}${via}: delete the course (courses.disable: delete)` };
      if (ctx.link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: id, reason: `already hidden (${why})` };
      return hide(r, `${why}${via}`, p, { ...base, moodleId: id, hash: ctx.link?.hash ?? undefined });
    },

    ownedDisable(link, reason, p) {
      return hide(undefined, reason, p, { entity: p.options.entity, key: link.key, line: null, moodleId: link.moodleId, hash: link.hash ?? undefined, dataSource: link.dataSource });
    },
  };
}

export const COURSE_RULES = courseRules();

/** The courses planner: the generic fold with the courses rules. */
export class CoursePlanner extends EntityPlanner<'courses', CourseContext> {
  constructor(options: PlanOptions<'courses'>, sink?: (action: CourseAction) => void) {
    super(COURSE_RULES, options, sink, 'CoursePlanner');
  }
}
