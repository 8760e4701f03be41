/**
 * A fast, deterministic gradebook site for the bench: N courses (idnumber GC0001 …) of M students each (distinct
 * users, idnumber GS000001 …), each course with K graded assignments (out of 100, completion by grade, all of them
 * the course's completion criteria), every student graded on each with a grade that depends only on (course,
 * student, item); the first `complete` students of each course thus complete it. Written straight into the site's
 * database in one transaction (what the web services would leave behind, without their per-call cost).
 */
import type { UserStore } from './user-store.js';
import { ENROL_INSTANCE_ENABLED } from './course-store.js';

export interface GradebookSeed {
  courses: number;
  studentsPerCourse: number;
  itemsPerCourse: number;
  /** Unix seconds of every grade and completion. */
  time?: number;
  /** Students per course left ungraded on the last item (so not complete); default a quarter. */
  ungradedPerCourse?: number;
}

export interface SeededGradebook {
  courses: { idnumber: string; id: number; students: { idnumber: string; id: number }[] }[];
}

/** The grade of a student on an item: a fixed spread over 40–100. */
export const seededGrade = (course: number, student: number, item: number): number => 40 + ((course * 7 + student * 13 + item * 29) % 61);

export function seedGradebook(store: UserStore, s: GradebookSeed): SeededGradebook {
  const t = s.time ?? 1_780_000_000;
  const ungraded = s.ungradedPerCourse ?? Math.floor(s.studentsPerCourse / 4);
  const out: SeededGradebook = { courses: [] };
  const cs = store.courses;
  store.transaction(() => {
    let n = 0;
    for (let c = 1; c <= s.courses; c++) {
      const idnumber = `GC${String(c).padStart(4, '0')}`;
      const courseId = cs.insert('course', {
        category: 1, sortorder: 0, fullname: `Graded course ${c}`, shortname: idnumber, idnumber, summary: '', format: 'topics',
        enablecompletion: 1, startdate: t, enddate: 0, timecreated: t, timemodified: t, cacherev: t,
      });
      const enrolid = cs.insert('enrol', { enrol: 'manual', courseid: courseId, status: ENROL_INSTANCE_ENABLED, roleid: 5, sortorder: 0 });
      const cmids: number[] = [];
      for (let k = 1; k <= s.itemsPerCourse; k++) {
        cmids.push(store.content.addModule(courseId, { modname: 'assign', name: `Assignment ${k}`, grade: 100, completion: 2, timemodified: t }).id);
      }
      store.grades.sync(courseId);
      store.completion.setCriteria(courseId, { activities: cmids });
      const students: { idnumber: string; id: number }[] = [];
      for (let i = 0; i < s.studentsPerCourse; i++) {
        n++;
        const id = store.allocateId();
        const key = `GS${String(n).padStart(6, '0')}`;
        store.insert({
          id, auth: 'manual', confirmed: 1, username: key.toLowerCase(), idnumber: key, firstname: 'Student', lastname: key,
          email: `${key.toLowerCase()}@example.com`, password: 'set', timecreated: t, timemodified: t, lang: 'en',
        });
        cs.insert('user_enrolments', { enrolid, userid: id, status: 0, timestart: 0, timeend: 0, timecreated: t, timemodified: t });
        cs.insert('role_assignments', { roleid: 5, contextlevel: 50, instanceid: courseId, userid: id, timemodified: t });
        cmids.forEach((cmid, k) => {
          if (k === cmids.length - 1 && i >= s.studentsPerCourse - ungraded) return;
          store.grades.setGrade(cmid, id, seededGrade(c, i, k), { time: t });
          store.completion.setActivity(cmid, id, 1, t);
        });
        students.push({ idnumber: key, id });
      }
      out.courses.push({ idnumber, id: courseId, students });
    }
    cs.fixSortorder();
  });
  store.flushMeta();
  return out;
}
