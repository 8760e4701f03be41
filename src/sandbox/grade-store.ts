/**
 * The sandbox's gradebook, in the site's database: Moodle's grade_categories (one per course: the course category),
 * grade_items (the course total and one item per graded module: a module of content-store.ts whose instance has a
 * grade > 0, so a module has one model only), grade_grades and grade_settings (the course's display type and the
 * user report's letter column). What the report functions (grades.ts) and the completion functions read, and what
 * tests and the bench write through SiteView (`sandbox.grades`).
 *
 * Aggregation: the course category aggregates as the recorded site did, Natural (GRADE_AGGREGATE_SUM, 13) with
 * "exclude empty grades": the total is the sum of the graded items, its maximum the sum of their maxima (all items'
 * maxima when none is graded), each graded item weighs grademax / total maximum, an ungraded one 0 with status
 * "novalue" (contract/2026-12 case 187). Mean of grades (GRADE_AGGREGATE_MEAN, 0) can be chosen per course.
 */
import type Database from 'better-sqlite3';
import type { ContentStore } from './content-store.js';

export const GRADE_AGGREGATE_MEAN = 0;
export const GRADE_AGGREGATE_SUM = 13;
export const GRADE_DISPLAY_TYPE_REAL = 1;
export const GRADE_DISPLAY_TYPE_PERCENTAGE = 2;
export const GRADE_DISPLAY_TYPE_LETTER = 3;

/** A new install's letters (grade_get_letters() with no course or site letters defined): lower boundary → letter. */
export const DEFAULT_LETTERS: [number, string][] = [
  [93, 'A'], [90, 'A-'], [87, 'B+'], [83, 'B'], [80, 'B-'], [77, 'C+'], [73, 'C'], [70, 'C-'], [67, 'D+'], [60, 'D'],
  [0, 'F'],
];

export interface GradeItemRow {
  id: number;
  courseid: number;
  /** The course category for module items; null for the course item. */
  categoryid: number | null;
  itemtype: 'course' | 'mod';
  itemmodule: string | null;
  /** The module instance, or the grade category for the course item. */
  iteminstance: number;
  /** The course module (null for the course item). */
  cmid: number | null;
  itemname: string | null;
  idnumber: string | null;
  grademin: number;
  grademax: number;
  gradepass: number;
  sortorder: number;
}

export interface GradeRow {
  itemid: number;
  userid: number;
  finalgrade: number | null;
  feedback: string;
  feedbackformat: number;
  timemodified: number;
}

/** One item of one user's report: the item, the user's grade row (undefined: none yet) and its aggregation hint. */
export interface UserItemGrade {
  item: GradeItemRow;
  grade: GradeRow | undefined;
  /** For the course item: the total, and the maximum it is out of for this user. */
  value: number | null;
  grademax: number;
  dategraded: number | null;
  /** get_aggregation_hint(): only for module items with a grade row. */
  hint?: { weight: number; status: 'used' | 'novalue' };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS grade_categories (id INTEGER PRIMARY KEY, courseid INTEGER NOT NULL UNIQUE,
  aggregation INTEGER NOT NULL DEFAULT ${GRADE_AGGREGATE_SUM});
CREATE TABLE IF NOT EXISTS grade_items (id INTEGER PRIMARY KEY, courseid INTEGER NOT NULL, categoryid INTEGER,
  itemtype TEXT NOT NULL, itemmodule TEXT, iteminstance INTEGER NOT NULL, cmid INTEGER, itemname TEXT, idnumber TEXT,
  grademin REAL NOT NULL DEFAULT 0, grademax REAL NOT NULL DEFAULT 100, gradepass REAL NOT NULL DEFAULT 0,
  sortorder INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS grade_items_course ON grade_items(courseid);
CREATE TABLE IF NOT EXISTS grade_grades (itemid INTEGER NOT NULL, userid INTEGER NOT NULL, finalgrade REAL,
  feedback TEXT NOT NULL DEFAULT '', feedbackformat INTEGER NOT NULL DEFAULT 2, timemodified INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (itemid, userid));
CREATE INDEX IF NOT EXISTS grade_grades_user ON grade_grades(userid);
CREATE TABLE IF NOT EXISTS capability_prohibits (courseid INTEGER NOT NULL, capability TEXT NOT NULL,
  PRIMARY KEY (courseid, capability));
CREATE TABLE IF NOT EXISTS grade_settings (courseid INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (courseid, name));
`;

const now = () => Math.floor(Date.now() / 1000);

export function createGradeTables(db: Database.Database): void {
  db.exec(SCHEMA);
}

export class GradeStore {
  constructor(readonly db: Database.Database, private readonly content: ContentStore) {}

  /**
   * The course's grade category and items, in step with its content (grade_update() on module changes): the course
   * item first (as fetch_course_category() makes it), an item per graded module, items of removed modules gone.
   */
  sync(courseid: number): { categoryid: number; items: GradeItemRow[] } {
    let cat = this.db.prepare('SELECT id FROM grade_categories WHERE courseid = ?').get(courseid) as { id: number } | undefined;
    if (!cat) {
      const id = Number(this.db.prepare('INSERT INTO grade_categories (courseid) VALUES (?)').run(courseid).lastInsertRowid);
      this.db.prepare(`INSERT INTO grade_items (courseid, categoryid, itemtype, iteminstance, grademax, sortorder)
        VALUES (?, NULL, 'course', ?, 0, 1)`).run(courseid, id);
      cat = { id };
    }
    const items = this.items(courseid);
    const byCm = new Map(items.filter((i) => i.cmid !== null).map((i) => [i.cmid as number, i]));
    const seen = new Set<number>();
    let next = Math.max(1, ...items.map((i) => i.sortorder)) + 1;
    for (const cm of this.content.modules(courseid)) {
      if (cm.deletioninprogress) continue;
      const inst = this.content.instance(cm.modname, cm.instance);
      if (!inst || inst.grade <= 0) continue;
      seen.add(cm.id);
      const item = byCm.get(cm.id);
      if (!item) {
        const sortorder = next++;
        this.db.prepare(`INSERT INTO grade_items (courseid, categoryid, itemtype, itemmodule, iteminstance, cmid, itemname,
          idnumber, grademax, sortorder) VALUES (?, ?, 'mod', ?, ?, ?, ?, ?, ?, ?)`)
          .run(courseid, cat.id, cm.modname, cm.instance, cm.id, inst.name, cm.idnumber, inst.grade, sortorder);
      } else if (item.itemname !== inst.name || item.grademax !== inst.grade || item.idnumber !== cm.idnumber) {
        this.db.prepare('UPDATE grade_items SET itemname = ?, grademax = ?, idnumber = ? WHERE id = ?')
          .run(inst.name, inst.grade, cm.idnumber, item.id);
      }
    }
    for (const item of byCm.values()) {
      if (seen.has(item.cmid as number)) continue;
      this.db.prepare('DELETE FROM grade_grades WHERE itemid = ?').run(item.id);
      this.db.prepare('DELETE FROM grade_items WHERE id = ?').run(item.id);
    }
    return { categoryid: cat.id, items: this.items(courseid) };
  }

  /** Module items in gradebook order, then the course item (the user report's order). */
  items(courseid: number): GradeItemRow[] {
    return this.db.prepare(`SELECT * FROM grade_items WHERE courseid = ?
      ORDER BY itemtype = 'course', sortorder, id`).all(courseid) as GradeItemRow[];
  }

  aggregation(courseid: number): number {
    const row = this.db.prepare('SELECT aggregation FROM grade_categories WHERE courseid = ?').get(courseid) as
      { aggregation: number } | undefined;
    return row?.aggregation ?? GRADE_AGGREGATE_SUM;
  }
  setAggregation(courseid: number, aggregation: number): void {
    this.sync(courseid);
    this.db.prepare('UPDATE grade_categories SET aggregation = ? WHERE courseid = ?').run(aggregation, courseid);
  }

  setting(courseid: number, name: string): string | undefined {
    return (this.db.prepare('SELECT value FROM grade_settings WHERE courseid = ? AND name = ?').get(courseid, name) as
      { value: string } | undefined)?.value;
  }
  setSetting(courseid: number, name: string, value: string): void {
    this.db.prepare(`INSERT INTO grade_settings (courseid, name, value) VALUES (?, ?, ?)
      ON CONFLICT(courseid, name) DO UPDATE SET value = excluded.value`).run(courseid, name, value);
  }

  /**
   * A Prohibit override of a capability for the web-service user's role in the course (what keeps a real service
   * user out of a course's grades; the sandbox's token user is otherwise the site admin, who has every capability).
   */
  prohibit(courseid: number, capability: string): void {
    this.db.prepare('INSERT OR IGNORE INTO capability_prohibits (courseid, capability) VALUES (?, ?)').run(courseid, capability);
  }
  prohibited(courseid: number, capability: string): boolean {
    return this.db.prepare('SELECT 1 FROM capability_prohibits WHERE courseid = ? AND capability = ?').get(courseid, capability) !== undefined;
  }

  /**
   * A teacher grading a module (or overriding nothing: module grades only): the grade row, and, as the regrade
   * does, a row for every other item of the course for that user (ungraded ones: no value), so the aggregation
   * hints appear as on the recorded site. null clears the grade.
   */
  setGrade(cmid: number, userid: number, grade: number | null, opts: { time?: number; feedback?: string } = {}): void {
    const cm = this.content.module(cmid);
    if (!cm) throw new Error(`no course module ${cmid}`);
    const { items } = this.sync(cm.course);
    const item = items.find((i) => i.cmid === cmid);
    if (!item) throw new Error(`course module ${cmid} is not graded (its instance has grade 0)`);
    const t = opts.time ?? now();
    this.db.transaction(() => {
      const ensure = this.db.prepare(`INSERT OR IGNORE INTO grade_grades (itemid, userid, finalgrade, timemodified)
        VALUES (?, ?, NULL, ?)`);
      for (const i of items) ensure.run(i.id, userid, t);
      this.db.prepare(`UPDATE grade_grades SET finalgrade = ?, feedback = ?, timemodified = ? WHERE itemid = ? AND userid = ?`)
        .run(grade, opts.feedback ?? '', t, item.id, userid);
    })();
  }

  gradeRows(courseid: number, userid: number): Map<number, GradeRow> {
    const rows = this.db.prepare(`SELECT g.* FROM grade_grades g JOIN grade_items i ON i.id = g.itemid
      WHERE i.courseid = ? AND g.userid = ?`).all(courseid, userid) as GradeRow[];
    return new Map(rows.map((r) => [r.itemid, r]));
  }

  /** The user report's items for one user, with the course total aggregated as the course category says. */
  userReport(courseid: number, userid: number, synced?: GradeItemRow[]): UserItemGrade[] {
    const items = synced ?? this.sync(courseid).items;
    const rows = this.gradeRows(courseid, userid);
    const mods = items.filter((i) => i.itemtype === 'mod');
    const used = mods.filter((i) => rows.get(i.id)?.finalgrade !== null && rows.get(i.id) !== undefined);
    const mean = this.aggregation(courseid) === GRADE_AGGREGATE_MEAN;
    const usedMax = used.reduce((s, i) => s + i.grademax, 0);
    const weightOf = (i: GradeItemRow): number => {
      if (!used.includes(i)) return 0;
      if (mean) return 1 / used.length;
      return usedMax > 0 ? i.grademax / usedMax : 0;
    };
    const out: UserItemGrade[] = mods.map((item) => {
      const grade = rows.get(item.id);
      const value = grade?.finalgrade ?? null;
      return {
        item, grade, value, grademax: item.grademax, dategraded: value === null ? null : grade!.timemodified,
        ...(grade ? { hint: { weight: weightOf(item), status: value === null ? 'novalue' as const : 'used' as const } } : {}),
      };
    });
    const course = items.find((i) => i.itemtype === 'course')!;
    const allMax = mods.reduce((s, i) => s + i.grademax, 0);
    let total: number | null = null;
    let totalMax = mean ? 100 : allMax;
    if (used.length > 0) {
      if (mean) {
        total = (100 * used.reduce((s, i) => s + (rows.get(i.id)!.finalgrade! - i.grademin) / (i.grademax - i.grademin), 0)) /
          used.length;
      } else {
        total = used.reduce((s, i) => s + rows.get(i.id)!.finalgrade!, 0);
        totalMax = usedMax;
      }
    }
    const dategraded = used.length ? Math.max(...used.map((i) => rows.get(i.id)!.timemodified)) : null;
    out.push({ item: { ...course, grademax: totalMax }, grade: rows.get(course.id), value: total, grademax: totalMax, dategraded });
    return out;
  }

  /** The course total of one user (grade_report_overview's finalgrade), null when not graded. */
  courseTotal(courseid: number, userid: number): UserItemGrade {
    const report = this.userReport(courseid, userid);
    return report[report.length - 1];
  }
}

/** Round half away from zero, as PHP's round(). */
function phpRound(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return (Math.sign(v) * Math.round(Math.abs(v) * f + 1e-9)) / f;
}

/** format_float($v, $decimals) with the site's '.' decimal separator. */
export function formatFloat(v: number, decimals: number): string {
  return phpRound(v, decimals).toFixed(decimals);
}

/** grade_format_gradevalue() for one display type, with the item's 2 decimals; '-' for no grade. */
export function formatGrade(value: number | null, min: number, max: number, displaytype: number): string {
  if (value === null) return '-';
  const pct = max === min ? 0 : ((value - min) * 100) / (max - min);
  switch (displaytype) {
    case GRADE_DISPLAY_TYPE_PERCENTAGE:
      return `${formatFloat(pct, 2)} %`;
    case GRADE_DISPLAY_TYPE_LETTER: {
      const bounded = phpRound(Math.min(100, Math.max(0, pct)), 5);
      return DEFAULT_LETTERS.find(([boundary]) => bounded >= boundary)?.[1] ?? '-';
    }
    default:
      return formatFloat(value, 2);
  }
}
