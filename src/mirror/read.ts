/**
 * What a pass asks Moodle, turned into the mirror's rows (pure mapping, no database): one function per kind of read,
 * each making the calls Moodle needs for it and nothing more.
 */
import {
  getCategories,
  getCohortMembers,
  getCohorts,
  getContents,
  getCourseGroups,
  getCoursesByField,
  getEnrolledUsers,
  getQuizzesByCourses,
  getRandomQuestionSummaries,
  getUpdatesSince,
  getUsers,
  getUsersByField,
  type MoodleCaller,
  type MoodleUser,
} from '../moodle/index.js';
import type { Fields } from './sync-table.js';

/** Runs fn over items with at most `limit` calls in flight; answers in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function readCategories(c: MoodleCaller): Promise<Fields[]> {
  // No criteria: every category (addsubcategories only matters for a criteria match).
  return (await getCategories(c, [])).map((x) => ({
    id: x.id, name: x.name, idnumber: x.idnumber ?? null, parent: x.parent, path: x.path, depth: x.depth,
    sortorder: x.sortorder, visible: x.visible ?? null, timemodified: x.timemodified ?? null,
  }));
}

export interface ListedCourse {
  row: Fields;
  /** The course's content revision (course.cacherev): null when the token user may not see it. */
  cacherev: number | null;
}

/** Every course but the site's front page, with its cacherev: one call for all of them. */
export async function readCourses(c: MoodleCaller, siteid: number): Promise<ListedCourse[]> {
  const { courses } = await getCoursesByField(c, '');
  return courses
    .filter((x) => x.id !== siteid && x.format !== 'site')
    .map((x) => ({
      row: {
        id: x.id, category_id: x.categoryid, shortname: x.shortname, fullname: x.fullname, idnumber: x.idnumber ?? null,
        format: x.format ?? null, visible: x.visible ?? null, startdate: x.startdate ?? null, enddate: x.enddate ?? null,
        timecreated: (x.timecreated as number | undefined) ?? null, timemodified: (x.timemodified as number | undefined) ?? null,
      },
      cacherev: typeof x.cacherev === 'number' ? x.cacherev : null,
    }));
}

export interface CourseContent {
  sections: Fields[];
  modules: Fields[];
}

/**
 * A course's sections and modules (core_course_get_contents), and when each module's settings last changed
 * (core_course_get_updates_since from `since`; a module it does not report keeps `knownTimes`' value).
 */
export async function readContent(c: MoodleCaller, courseid: number, since: number, knownTimes: ReadonlyMap<number, number | null>): Promise<CourseContent> {
  const sections = await getContents(c, courseid);
  const hasModules = sections.some((s) => s.modules.length > 0);
  const updated = new Map<number, number>();
  if (hasModules) {
    for (const inst of (await getUpdatesSince(c, courseid, since)).instances) {
      const conf = inst.updates.find((u) => u.name === 'configuration');
      if (inst.contextlevel === 'module' && conf?.timeupdated !== undefined) updated.set(inst.id, conf.timeupdated);
    }
  }
  return {
    sections: sections.map((s) => ({ id: s.id, course_id: courseid, section: s.section, name: s.name, visible: s.visible, summary: s.summary })),
    modules: sections.flatMap((s) =>
      s.modules.map((m) => ({
        id: m.id, course_id: courseid, section_id: s.id, modname: m.modname, instance: m.instance, name: m.name, visible: m.visible,
        visibleoncoursepage: m.visibleoncoursepage, completion: m.completion ?? null, url: m.url ?? null,
        timemodified: updated.get(m.id) ?? knownTimes.get(m.id) ?? null,
      })),
    ),
  };
}

/** Module ids whose settings changed since `since` (the check for a token that gets no cacherev). */
export async function changedModules(c: MoodleCaller, courseid: number, since: number): Promise<number> {
  return (await getUpdatesSince(c, courseid, since)).instances.length;
}

export async function readQuizzes(c: MoodleCaller, courseids: number[]): Promise<Fields[]> {
  return (await getQuizzesByCourses(c, courseids)).quizzes.map((q) => ({
    id: q.id, course_id: q.course, module_id: q.coursemodule, name: q.name, timeopen: q.timeopen ?? null, timeclose: q.timeclose ?? null,
    timelimit: q.timelimit ?? null, attempts: q.attempts ?? null, grade: q.grade ?? null, sumgrades: q.sumgrades ?? null,
    hasquestions: q.hasquestions ?? null, timemodified: q.timemodified ?? null,
  }));
}

export interface CourseMembers {
  enrolments: Fields[];
  roles: Fields[];
  editors: Fields[];
  groups: Fields[];
  groupMembers: Fields[];
}

/**
 * A course's enrolled users with their roles and groups (one core_enrol_get_enrolled_users call, suspended enrolments
 * included), and its groups (core_group_get_course_groups). Editors: users holding one of `editorRoles` there.
 */
export async function readMembers(c: MoodleCaller, courseid: number, editorRoles: readonly string[]): Promise<CourseMembers> {
  const [users, groups] = await Promise.all([
    getEnrolledUsers(c, courseid, [{ name: 'userfields', value: 'id,roles,groups' }]),
    getCourseGroups(c, courseid),
  ]);
  const out: CourseMembers = { enrolments: [], roles: [], editors: [], groups: [], groupMembers: [] };
  for (const u of users) {
    out.enrolments.push({ course_id: courseid, user_id: u.id });
    const roles = u.roles ?? [];
    for (const r of roles) out.roles.push({ course_id: courseid, user_id: u.id, role_id: r.roleid, role: r.shortname });
    const editing = [...new Set(roles.map((r) => r.shortname).filter((s) => editorRoles.includes(s)))].sort();
    if (editing.length > 0) out.editors.push({ course_id: courseid, user_id: u.id, roles: editing.join(',') });
    for (const g of u.groups ?? []) out.groupMembers.push({ group_id: g.id, user_id: u.id, course_id: courseid });
  }
  for (const g of groups) out.groups.push({ id: g.id, course_id: courseid, name: g.name, idnumber: g.idnumber || null, description: g.description });
  return out;
}

export async function readCohorts(c: MoodleCaller): Promise<{ cohorts: Fields[]; members: Fields[] }> {
  const cohorts = await getCohorts(c, []);
  const members: Fields[] = [];
  const ids = cohorts.map((x) => x.id);
  for (let i = 0; i < ids.length; i += 100) {
    for (const m of await getCohortMembers(c, ids.slice(i, i + 100))) {
      for (const u of m.userids) members.push({ cohort_id: m.cohortid, user_id: u });
    }
  }
  return {
    cohorts: cohorts.map((x) => ({ id: x.id, name: x.name, idnumber: x.idnumber || null, description: x.description ?? null, visible: x.visible ?? null })),
    members,
  };
}

/**
 * Every user with an email (deleted users never), in one call: core_user_get_users matches `email` with SQL LIKE,
 * so '%' lists them all. Moodle has no paging and no "changed since" for users: each pass reads them all.
 */
export async function readUsers(c: MoodleCaller): Promise<Fields[]> {
  return (await getUsers(c, [{ key: 'email', value: '%' }])).users.map(userFields);
}

/**
 * The same users in calls of `chunk` ids each (core_user_get_users_by_field), for sites where one call for all of them
 * would outlast a proxy's timeout: the ids the mirror knows, then the ids above the highest one (Moodle numbers new
 * users upwards and keeps deleted ones as rows, so ids stay dense) until `emptyChunks` chunks in a row find nobody.
 * Users without an email are answered too.
 */
export async function readUsersById(c: MoodleCaller, known: readonly number[], chunk: number, emptyChunks: number, concurrency: number): Promise<Fields[]> {
  const sorted = [...known].sort((a, b) => a - b);
  const batches: number[][] = [];
  for (let i = 0; i < sorted.length; i += chunk) batches.push(sorted.slice(i, i + chunk));
  const found: MoodleUser[] = (await mapLimit(batches, concurrency, (ids) => getUsersByField(c, 'id', ids.map(String)))).flat();
  let next = (sorted.at(-1) ?? 0) + 1;
  for (let empty = 0; empty < emptyChunks; next += chunk) {
    const ids = Array.from({ length: chunk }, (_, k) => String(next + k));
    const got = await getUsersByField(c, 'id', ids);
    found.push(...got);
    empty = got.length === 0 ? empty + 1 : 0;
  }
  return found.filter((u) => !looksDeleted(u)).map(userFields);
}

/**
 * delete_user() keeps the row, its email replaced by md5(username) (user/lib.php), and get_users_by_field reads rows by
 * id without a deleted filter (unlike get_users' `deleted = 0`): such an answer is a deleted account, not a user.
 */
const looksDeleted = (u: MoodleUser): boolean => typeof u.email === 'string' && /^[0-9a-f]{32}$/.test(u.email);

function userFields(u: MoodleUser): Fields {
  return ({
    id: u.id, username: u.username, idnumber: u.idnumber || null, email: u.email ?? null, firstname: u.firstname ?? null,
    lastname: u.lastname ?? null, department: (u.department as string | undefined) || null, auth: u.auth ?? null,
    suspended: u.suspended ?? null, confirmed: u.confirmed ?? null, lang: (u.lang as string | undefined) ?? null,
  });
}

/** The ready, latest-version questions of a question category (and its subcategories): what Moodle 4.5 gives. */
export async function readQuestions(c: MoodleCaller, categoryid: number, contextid: number): Promise<Fields[]> {
  const { questions } = await getRandomQuestionSummaries(c, { categoryid, contextid, includesubcategories: true, limit: 0 });
  return questions.map((q) => ({ id: q.id, category_id: q.category, parent: q.parent, name: q.name, qtype: q.qtype }));
}
