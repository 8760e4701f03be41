import { describe, expect, it } from '@jest/globals';
import type Database from 'better-sqlite3';
import { MAX_COURSES_IN_CATEGORY } from './course-store.js';
import { UserStore } from './user-store.js';

/** fix_course_sortorder() as a full renumber of every category and course: what fixSortorder must end up with. */
function fullRenumber(db: Database.Database): void {
  const cats = db.prepare('SELECT id, parent FROM course_categories ORDER BY sortorder, id').all() as { id: number; parent: number }[];
  const ordered: number[] = [];
  const walk = (parent: number): void => {
    for (const c of cats.filter((x) => x.parent === parent)) {
      ordered.push(c.id);
      walk(c.id);
    }
  };
  walk(0);
  ordered.forEach((id, i) => {
    const sortorder = MAX_COURSES_IN_CATEGORY * (i + 1);
    const courses = db.prepare('SELECT id FROM course WHERE category = ? ORDER BY sortorder, id DESC').all(id) as { id: number }[];
    db.prepare('UPDATE course_categories SET sortorder = ?, coursecount = ? WHERE id = ?').run(sortorder, courses.length, id);
    courses.forEach((c, j) => db.prepare('UPDATE course SET sortorder = ? WHERE id = ?').run(sortorder + j + 1, c.id));
  });
}

const state = (db: Database.Database) => ({
  cats: db.prepare('SELECT id, sortorder, coursecount FROM course_categories ORDER BY id').all(),
  courses: db.prepare('SELECT id, category, sortorder FROM course ORDER BY id').all(),
});

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

describe('sandbox fixSortorder', () => {
  it('ends where a full renumber of every category and course ends, after creates, moves and deletes', () => {
    const fast = new UserStore();
    const slow = new UserStore();
    const rnd = lcg(7);
    const both = (f: (db: Database.Database) => void): void => {
      f(fast.db);
      f(slow.db);
      fast.courses.fixSortorder();
      fullRenumber(slow.db);
      expect(state(fast.db)).toEqual(state(slow.db));
    };
    const catIds = [1];
    let nextCat = 100;
    let nextCourse = 100;
    for (let step = 0; step < 300; step++) {
      const op = rnd(10);
      if (op < 2) {
        // A new category goes last among its siblings (sortorder MAX), under any existing one or at the top.
        const id = nextCat++;
        const parent = rnd(3) === 0 ? 0 : catIds[rnd(catIds.length)];
        catIds.push(id);
        both((db) => db.prepare('INSERT INTO course_categories (id, name, parent, sortorder) VALUES (?, ?, ?, ?)').run(id, `c${id}`, parent, Number.MAX_SAFE_INTEGER));
      } else if (op < 7) {
        // A new course comes first in its category (sortorder 0).
        const id = nextCourse++;
        const cat = catIds[rnd(catIds.length)];
        both((db) => db.prepare("INSERT INTO course (id, category, sortorder, fullname, shortname) VALUES (?, ?, 0, 'f', ?)").run(id, cat, `s${id}`));
      } else if (op < 9 && nextCourse > 100) {
        // A course moved to another category gets sortorder 0 there.
        const id = 100 + rnd(nextCourse - 100);
        const cat = catIds[rnd(catIds.length)];
        both((db) => db.prepare('UPDATE course SET category = ?, sortorder = 0 WHERE id = ?').run(cat, id));
      } else if (nextCourse > 100) {
        const id = 100 + rnd(nextCourse - 100);
        both((db) => db.prepare('DELETE FROM course WHERE id = ?').run(id));
      }
    }
    expect((fast.db.prepare('SELECT COUNT(*) AS n FROM course').get() as { n: number }).n).toBeGreaterThan(50);
    fast.close();
    slow.close();
  });
});
