/**
 * Read-only placing of an enrolment feed's course and person keys: the ledger first (entities courses and
 * persons), else Moodle by idnumber (the shared CoursePlaces and PersonPlaces). Answers are kept for the whole file,
 * since many rows share a course or a person; the same answers place the courses of the plan's own disables after
 * the fold (placeCourses).
 */
import { picked } from '../../plan/compact.js';
import type { EnrolmentRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { Action } from '../../plan/types.js';
import type { EntityLookup } from '../definition.js';
import { codeOf } from '../../apply/engine.js';
import { courseKeyOf, needsCourse, placeCourse, type EnrolmentAction, type EnrolmentContext } from './rules.js';
import { retrier } from '../../resolve/common.js';
import { LinkEnds } from '../../resolve/link-ends.js';
import type { CoursePlaces } from '../../resolve/courses.js';

export interface EnrolmentLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
  /** Course look-ups in flight (one idnumber per call). */
  concurrency?: number;
}

/**
 * The resolve step of the enrolments the fold could not give a course (a refresh's disables and a block's, from
 * the ledger alone): each course placed by its key, then the pure rule (placeCourse) says what the action does. A
 * failed look-up is that row's problem, not the run's. Returns the actions with their courses; the others as they were.
 */
export async function placeCourses<A extends Action>(courses: CoursePlaces, actions: readonly A[], byId: CoursePlaces = courses.by('id')): Promise<A[]> {
  const waiting = (a: Action): a is EnrolmentAction => a.entity === 'enrolments' && needsCourse(a);
  const need: EnrolmentAction[] = [];
  for (const a of actions) if (waiting(a)) need.push(a);
  if (need.length === 0) return [...actions];
  // A link made from a shortname names its course by the Moodle id in its data; the others by the key's course part.
  const placeOf = (a: EnrolmentAction): { places: CoursePlaces; key: string } => {
    const id = a.enrolment?.courseById;
    return id !== undefined ? { places: byId, key: String(id) } : { places: courses, key: courseKeyOf(a.key) };
  };
  const failed = new Map<CoursePlaces, Map<string, string>>([
    [courses, new Map()],
    [byId, new Map()],
  ]);
  for (const places of [courses, byId]) {
    await places.place(
      need.flatMap((a) => (placeOf(a).places === places ? [placeOf(a).key] : [])),
      (key, err) => failed.get(places)!.set(key, `${codeOf(err)}: ${(err as Error).message}`),
    );
  }
  return actions.map((a) => {
    if (!waiting(a)) return a;
    const { places, key } = placeOf(a);
    const problem = failed.get(places)!.get(key);
    return placeCourse(a, problem !== undefined ? { problem } : (places.get(key) ?? null)) as A;
  });
}

export function enrolmentLookup(client: MoodleCaller, ledger: LedgerStore, opts: EnrolmentLookupOptions = {}): EntityLookup<EnrolmentRecord, EnrolmentContext> {
  const ends = new LinkEnds(client, ledger, retrier(opts), { courseConcurrency: opts.concurrency ?? 4, chunkSize: Math.max(1, opts.chunkSize ?? 500) });

  const lookup: EntityLookup<EnrolmentRecord, EnrolmentContext> = async (_unplaced, chunk) => {
    await ends.place(chunk);
    const out = new Map<string, Omit<EnrolmentContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<EnrolmentContext, 'link'> = {};
      const c = ends.course(r.fields);
      const p = ends.person(r.fields);
      if (c && 'id' in c) {
        ctx.courseId = c.id;
        if (c.dataSource) ctx.courseDataSource = c.dataSource;
      } else if (c) ctx.courseProblem = c.problem;
      if (p.id !== undefined) ctx.userId = p.id;
      else if (p.problem !== undefined) ctx.personProblem = p.problem;
      // Both found: what a delete row without a ledger link disables (the fold's "found in Moodle").
      if (ctx.courseId !== undefined && ctx.userId !== undefined) ctx.match = { id: ctx.userId, via: 'idnumber' };
      out.set(r.key, ctx);
    }
    return out;
  };
  lookup.complete = async (actions) => {
    // Only the actions placeCourses would change (a compact plan makes each action anew when asked for it).
    const waiting = picked(actions, (a): a is EnrolmentAction => a.entity === 'enrolments' && needsCourse(a));
    if (waiting.length === 0) return;
    const placed = await placeCourses(ends.courses, waiting.map((w) => w.action));
    placed.forEach((a, i) => actions.set(waiting[i].index, a));
  };
  return lookup;
}
