/**
 * A whole school written straight into the sandbox's database in one transaction, the same every time: categories,
 * courses with their sections and modules (and a question bank behind each quiz), students and teachers, their
 * enrolments and roles. For the mirror's benchmark (1,000 courses, 20,000 modules, 50,000 users in seconds, where
 * the web service would need minutes) and for `mdlsync sandbox --seed demo`. What it writes is what the web-service
 * functions would have written (same tables, sequences and defaults), so every read function sees an ordinary site.
 */
import type { UserStore } from './user-store.js';
import { CONTEXT_COURSE, courseContextId } from './accesslib.js';
import { ENROL_INSTANCE_ENABLED, MAX_COURSES_IN_CATEGORY } from './course-store.js';

export interface SchoolSeed {
  categories: number;
  courses: number;
  modulesPerCourse: number;
  students: number;
  teachersPerCourse: number;
  studentsPerCourse: number;
  /** Size of the teacher pool (default: enough for each teacher to teach two courses). */
  teachers?: number;
  /** Topic sections per course (default 4); modules are spread over them. */
  sectionsPerCourse?: number;
  /** Every created and modified time (default 1 September 2026, 00:00 UTC). */
  time?: number;
}

export interface SeededSchool {
  categoryIds: number[];
  courseIds: number[];
  studentIds: number[];
  teacherIds: number[];
  /** Course module ids, course by course. */
  moduleIds: number[];
}

/** A small school for trying mdlsync out (`mdlsync sandbox --seed demo`). */
export const DEMO_SCHOOL: SchoolSeed = {
  categories: 3, courses: 12, modulesPerCourse: 6, students: 120, teachersPerCourse: 1, studentsPerCourse: 25,
};

/** The mirror benchmark's site (issue 12: 1,000 courses, 20,000 modules, 50,000 users). */
export const BENCH_SCHOOL: SchoolSeed = {
  categories: 20, courses: 1000, modulesPerCourse: 20, students: 49_500, teachers: 500, teachersPerCourse: 2,
  studentsPerCourse: 30,
};

const FIRST = ['Ana', 'Ben', 'Chloé', 'David', 'Elif', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Luca',
  'Maya', 'Noah', 'Olga', 'Pablo', 'Quinn', 'Rosa', 'Sami', 'Tara'];
const LAST = ['Alvarez', 'Brown', 'Chen', 'Dubois', 'Evans', 'Fischer', 'García', 'Hansen', 'Ivanova', 'Jones',
  'Kowalski', 'López', 'Müller', 'Nakamura', 'Okafor', 'Patel', 'Rossi', 'Silva', 'Tanaka', 'Weber'];
const SUBJECTS = ['Biology', 'Chemistry', 'History', 'Mathematics', 'Literature', 'Physics', 'Geography', 'Music', 'Art',
  'Economics'];
/** The module types a course gets, in turn, with what makes each look like a teacher's. */
const MODULES: { modname: string; name: string; completion: number; grade: number }[] = [
  { modname: 'forum', name: 'Discussion', completion: 1, grade: 0 },
  { modname: 'page', name: 'Notes', completion: 1, grade: 0 },
  { modname: 'assign', name: 'Assignment', completion: 2, grade: 100 },
  { modname: 'quiz', name: 'Quiz', completion: 1, grade: 10 },
  { modname: 'resource', name: 'Handout', completion: 0, grade: 0 },
  { modname: 'url', name: 'Reading', completion: 0, grade: 0 },
  { modname: 'label', name: 'Week overview', completion: 0, grade: 0 },
  { modname: 'book', name: 'Handbook', completion: 1, grade: 0 },
];
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** How many of a seeded kind the site already holds (digits after a prefix): a second seed numbers on from there. */
function seededCount(store: UserStore, table: string, column: string, prefix: string): number {
  return (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} GLOB ? AND ${column} NOT GLOB ?`)
    .get(`${prefix}[0-9]*`, `${prefix}*[^0-9]*`) as { n: number }).n;
}

/** Writes the school into the store (one transaction) and says which ids it got. */
export function seedSchool(store: UserStore, seed: SchoolSeed): SeededSchool {
  const base = {
    category: seededCount(store, 'course_categories', 'idnumber', 'DEPT'), course: seededCount(store, 'course', 'shortname', 'C'),
    student: seededCount(store, 'user', 'username', 's'), teacher: seededCount(store, 'user', 'username', 't'),
  };
  const t = seed.time ?? 1_788_220_800;
  const sections = seed.sectionsPerCourse ?? 4;
  const teacherCount = seed.teachers ?? Math.max(1, Math.ceil((seed.courses * seed.teachersPerCourse) / 2));
  const cs = store.courses;
  const content = store.content;
  const out: SeededSchool = { categoryIds: [], courseIds: [], studentIds: [], teacherIds: [], moduleIds: [] };

  const addUser = (username: string, idnumber: string, n: number): number => {
    const id = store.allocateId();
    store.insert({
      id, auth: 'manual', confirmed: 1, username, idnumber, firstname: FIRST[n % FIRST.length],
      lastname: LAST[Math.floor(n / FIRST.length) % LAST.length], email: `${username}@school.example`,
      // A stored hash, as if the account had a password (none can log in: the sandbox has no login).
      password: '$2y$10$seededseededseededseedeu', lang: 'en', calendartype: 'gregorian', timecreated: t, timemodified: t,
    });
    return id;
  };

  store.transaction(() => {
    for (let c = base.category + 1; c <= base.category + seed.categories; c++) {
      out.categoryIds.push(cs.insert('course_categories', {
        name: `Department ${c}`, idnumber: `DEPT${pad(c, 2)}`, parent: 0, depth: 1, sortorder: MAX_COURSES_IN_CATEGORY * 99,
        timemodified: t,
      }));
    }
    for (const id of out.categoryIds) cs.update('course_categories', id, { path: `/${id}` });
    for (let s = base.student + 1; s <= base.student + seed.students; s++) out.studentIds.push(addUser(`s${pad(s, 5)}`, `S${pad(s, 5)}`, s));
    for (let k = base.teacher + 1; k <= base.teacher + teacherCount; k++) out.teacherIds.push(addUser(`t${pad(k, 4)}`, `T${pad(k, 4)}`, k + 7));

    for (let i = 0; i < seed.courses; i++) {
      const category = out.categoryIds[i % out.categoryIds.length];
      const code = `C${pad(base.course + i + 1, 4)}`;
      const subject = SUBJECTS[(base.course + i) % SUBJECTS.length];
      const course = cs.insert('course', {
        category, sortorder: 0, fullname: `${subject} ${Math.floor((base.course + i) / SUBJECTS.length) + 101}`, shortname: code,
        idnumber: code, summary: `${subject} for year ${(i % 4) + 1}`, format: 'topics', numsections: sections,
        startdate: t, enddate: t + 365 * 86400, enablecompletion: 1, timecreated: t, timemodified: t, cacherev: t,
      });
      out.courseIds.push(course);
      content.createSections(course, sections, t);
      const manual = cs.insert('enrol', { enrol: 'manual', courseid: course, status: ENROL_INSTANCE_ENABLED, roleid: 5, sortorder: 0 });
      cs.insert('enrol', { enrol: 'guest', courseid: course, status: 1, roleid: 0, sortorder: 1 });
      cs.insert('enrol', { enrol: 'self', courseid: course, status: 1, roleid: 5, sortorder: 2 });
      const enrol = (userid: number, roleid: number) => {
        cs.insert('user_enrolments', { enrolid: manual, userid, status: 0, timestart: 0, timeend: 0, timecreated: t,
          timemodified: t });
        cs.insert('role_assignments', { roleid, contextlevel: CONTEXT_COURSE, instanceid: course, userid, timemodified: t });
      };
      const teachers = new Set<number>();
      for (let k = 0; k < seed.teachersPerCourse; k++) teachers.add(out.teacherIds[(i * seed.teachersPerCourse + k) % teacherCount]);
      for (const id of teachers) enrol(id, 3);
      const students = new Set<number>();
      for (let k = 0; k < seed.studentsPerCourse && seed.students > 0; k++) {
        students.add(out.studentIds[(i * seed.studentsPerCourse + k) % seed.students]);
      }
      for (const id of students) enrol(id, 5);

      let bank = 0;
      for (let m = 0; m < seed.modulesPerCourse; m++) {
        const type = MODULES[m % MODULES.length];
        const cm = content.addModule(course, {
          modname: type.modname, name: `${type.name} ${Math.floor(m / MODULES.length) + 1}`,
          section: (m % sections) + 1, completion: type.completion, grade: type.grade, timemodified: t,
          settings: type.modname === 'url' ? { externalurl: `https://example.org/${code}/${m}` }
            : type.completion === 2 ? { completionusegrade: 1 } : {},
        });
        out.moduleIds.push(cm.id);
        if (type.modname !== 'quiz') continue;
        bank ||= content.addQuestionCategory(courseContextId(course), `Default for ${code}`).id;
        for (const qtype of ['shortanswer', 'truefalse']) {
          const q = content.addQuestion(bank, { name: `${code} ${type.name} ${m} ${qtype}`, qtype, time: t });
          content.addQuizSlot(cm.id, q.id, 5);
        }
      }
    }
    cs.fixSortorder();
  });
  return out;
}
