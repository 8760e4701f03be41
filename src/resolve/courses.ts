/**
 * Course keys → Moodle course ids, the one way every entity and command places a course by its key: the ledger
 * first (entity courses, with the link's data source), else core_course_get_courses_by_field by idnumber, where
 * exactly one course must match (Moodle does not enforce unique course idnumbers). Answers are kept for the run:
 * many rows share a course.
 *
 * A feed may also name a course by its shortname (or a link by the course's Moodle id): then Moodle alone is asked
 * (courses links are keyed by idnumber), by that field, and exactly one course must match too; a course mdlsync owns
 * keeps its link's data source (found by its Moodle id), so a row cannot take another data source's course by
 * naming it differently.
 */
import type { LedgerStore } from '../ledger/types.js';
import { getCoursesByField } from '../moodle/index.js';
import type { MoodleCaller } from '../moodle/types.js';
import type { Placed, Retry } from './common.js';

/** A course's id (and its ledger link's data source, when the ledger placed it), a problem, or null: not in Moodle. */
export type PlacedCourse = Placed<{ dataSource?: string | null }>;

/** What a course key is: its idnumber (the ledger's key), its shortname, or its Moodle id. */
export type CourseField = 'idnumber' | 'shortname' | 'id';

export class CoursePlaces {
  private readonly placed = new Map<string, PlacedCourse>();
  /**
   * @param concurrency Moodle look-ups in flight (one key per call).
   * @param field what the keys are: idnumbers (ledger first), shortnames or Moodle ids (Moodle only).
   */
  constructor(
    private readonly client: MoodleCaller,
    private readonly ledger: Pick<LedgerStore, 'getLinks' | 'findByMoodleId'>,
    private readonly retry: Retry,
    private readonly concurrency = 4,
    readonly field: CourseField = 'idnumber',
  ) {}

  /** The same look-up for keys of another field (same client, ledger and retries; its own answers). */
  by(field: CourseField): CoursePlaces {
    return new CoursePlaces(this.client, this.ledger, this.retry, this.concurrency, field);
  }

  /**
   * Places the keys not placed yet. A look-up that fails (after the retries) throws, unless `failed` is given: the
   * key is then left unplaced and the error handed to `failed`, and the other keys are still placed.
   */
  async place(keys: Iterable<string>, failed?: (key: string, err: unknown) => void): Promise<void> {
    const want = [...new Set(keys)].filter((k) => !this.placed.has(k));
    if (want.length === 0) return;
    if (this.field === 'idnumber') for (const [k, link] of await this.ledger.getLinks('courses', want)) this.placed.set(k, { id: link.moodleId, dataSource: link.dataSource });
    const ask = want.filter((k) => !this.placed.has(k));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ask.length) {
        const k = ask[next++];
        try {
          this.placed.set(k, await this.inMoodle(k));
        } catch (err) {
          if (!failed) throw err;
          failed(k, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, this.concurrency), ask.length) }, worker));
  }

  private async inMoodle(key: string): Promise<PlacedCourse> {
    const field = this.field;
    const { courses } = await this.retry(() => getCoursesByField(this.client, field, key));
    const exact = courses.filter((c) => (field === 'id' ? String(c.id) === key : c[field] === undefined || c[field] === key));
    if (exact.length > 1) return { problem: `${exact.length} Moodle courses have ${field} ${key}` };
    if (exact.length === 0) return null;
    const { id } = exact[0];
    if (field === 'idnumber') return { id };
    const owner = await this.ledger.findByMoodleId('courses', id);
    return owner?.dataSource ? { id, dataSource: owner.dataSource } : { id };
  }

  /** The answer for a placed key; undefined when the key was not placed (or its look-up failed). */
  get(key: string): PlacedCourse | undefined {
    return this.placed.get(key);
  }

  id(key: string): number | undefined {
    const c = this.placed.get(key);
    return c && 'id' in c ? c.id : undefined;
  }

  problem(key: string): string | undefined {
    const c = this.placed.get(key);
    return c && 'problem' in c ? c.problem : undefined;
  }
}
