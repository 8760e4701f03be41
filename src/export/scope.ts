/**
 * Which courses an export reads, and who is who: the courses the ledger links (all, the named keys, or those of a
 * category and its subcategories, asked of Moodle in two calls whatever the count), the person keys by Moodle user
 * id, and the enrolments mdlsync made per course (with their suspension), so students Moodle's reports leave out
 * (suspended) are still reported.
 */
import type { LedgerLink, LedgerStore } from '../ledger/index.js';
import { getCategories, getCoursesByField, type MoodleCaller } from '../moodle/index.js';
import { parseEnrolmentState } from '../entities/enrolments/rules.js';
import { Refusal } from '../refusal.js';

export interface ScopeCourse {
  key: string;
  moodleId: number;
}

export interface ScopeRequest {
  /** Course keys as the ledger knows them; none: every linked course (or the category's). */
  courses?: readonly string[];
  /** A category key: every linked course in it and its subcategories. */
  category?: string;
}

/** A ledger enrolment of a person in a course, as mdlsync last sent it. */
export interface LedgerEnrolment {
  personKey: string;
  userId: number;
  role: string;
  suspended: boolean;
  /** The link is disabled without a suspension: mdlsync unenrolled the person. */
  unenrolled: boolean;
}

const PAGE = 5000;
/** Course ids per core_course_get_courses_by_field call (one comma-separated value). */
const IDS_PER_CALL = 500;

/** Every link of an entity, any status, paged from the ledger. */
export async function allLinks(ledger: LedgerStore, entity: string): Promise<LedgerLink[]> {
  const out: LedgerLink[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await ledger.listLinks({ entity, limit: PAGE, offset });
    out.push(...page);
    if (page.length < PAGE) return out;
  }
}

/** The scope's name in the ledger's export_state: the command, the selection and the options shaping its rows. */
export function scopeName(kind: string, req: ScopeRequest, options: string[]): string {
  const what = req.courses?.length ? `courses=${[...new Set(req.courses)].sort().join(',')}` : req.category !== undefined ? `category=${req.category}` : 'all';
  return [kind, what, ...options].join(';');
}

export interface ResolvedScope {
  courses: ScopeCourse[];
  /** Named course keys the ledger does not link. */
  unknown: string[];
}

/** The courses of the request, in key order. */
export async function resolveCourses(ledger: LedgerStore, client: MoodleCaller, req: ScopeRequest): Promise<ResolvedScope> {
  if (req.courses?.length) {
    const keys = [...new Set(req.courses)];
    const links = await ledger.getLinks('courses', keys);
    const courses = keys.filter((k) => links.has(k)).map((k) => ({ key: k, moodleId: links.get(k)!.moodleId }));
    return { courses: courses.sort(byKey), unknown: keys.filter((k) => !links.has(k)) };
  }
  const linked = (await allLinks(ledger, 'courses')).filter((l) => l.status === 'active').map((l) => ({ key: l.key, moodleId: l.moodleId }));
  if (req.category === undefined) return { courses: linked.sort(byKey), unknown: [] };
  const cat = (await ledger.getLinks('categories', [req.category])).get(req.category);
  if (!cat) throw new Refusal(`The ledger links no category ${req.category}: name a category key from a category feed (mdlsync ledger show), or use --course`);
  const tree = await getCategories(client, [{ key: 'id', value: cat.moodleId }], true);
  const ids = new Set(tree.filter((c) => c.id === cat.moodleId || c.path.split('/').includes(String(cat.moodleId))).map((c) => c.id));
  const inTree = new Set<number>();
  for (let i = 0; i < linked.length; i += IDS_PER_CALL) {
    const { courses } = await getCoursesByField(client, 'ids', linked.slice(i, i + IDS_PER_CALL).map((c) => c.moodleId));
    for (const c of courses) if (ids.has(c.categoryid)) inTree.add(c.id);
  }
  return { courses: linked.filter((c) => inTree.has(c.moodleId)).sort(byKey), unknown: [] };
}

const byKey = (a: ScopeCourse, b: ScopeCourse): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Person key by Moodle user id, from the ledger's persons links (any status). */
export async function personKeys(ledger: LedgerStore): Promise<Map<number, string>> {
  const map = new Map<number, string>();
  for (const l of await allLinks(ledger, 'persons')) if (!map.has(l.moodleId) || l.status === 'active') map.set(l.moodleId, l.key);
  return map;
}

/** The enrolments mdlsync made, by course key (enrolment keys are COURSE|PERSON; the link's Moodle id is the user's). */
export async function ledgerEnrolments(ledger: LedgerStore): Promise<Map<string, LedgerEnrolment[]>> {
  const map = new Map<string, LedgerEnrolment[]>();
  for (const l of await allLinks(ledger, 'enrolments')) {
    const bar = l.key.indexOf('|');
    if (bar < 0) continue;
    const state = parseEnrolmentState(l.state);
    const e: LedgerEnrolment = {
      personKey: l.key.slice(bar + 1),
      userId: l.moodleId,
      role: state?.role ?? 'student',
      suspended: state?.suspend ?? false,
      unenrolled: l.status === 'disabled' && !(state?.suspend ?? false),
    };
    const list = map.get(l.key.slice(0, bar)) ?? [];
    list.push(e);
    map.set(l.key.slice(0, bar), list);
  }
  return map;
}
