/**
 * The two ends a link row names, its course and its person, each by the ledger's key (an idnumber) or by another
 * identifier (a course's shortname, a person's username): the four look-ups enrolments and group members share,
 * placed for a chunk in one pass. Usernames are no ledger keys (persons links are keyed by idnumber where there is
 * one), so they are asked of Moodle only.
 */
import type { LedgerStore } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/types.js';
import { PersonPlaces, splitKeys, type Retry } from './common.js';
import { CoursePlaces, type PlacedCourse } from './courses.js';

/** A link row's ends as its record gives them. */
export interface LinkEndFields {
  course: string;
  courseBy?: 'shortname';
  person: string;
  personBy?: 'username';
}

export class LinkEnds {
  readonly courses: CoursePlaces;
  private readonly shortnames: CoursePlaces;
  private readonly persons: PersonPlaces;
  private readonly usernames: PersonPlaces;

  constructor(client: MoodleCaller, ledger: LedgerStore, retry: Retry, opts: { courseConcurrency: number; chunkSize: number }) {
    this.courses = new CoursePlaces(client, ledger, retry, opts.courseConcurrency);
    this.shortnames = this.courses.by('shortname');
    this.persons = new PersonPlaces(client, ledger, retry, opts.chunkSize);
    this.usernames = new PersonPlaces(client, null, retry, opts.chunkSize, 'username');
  }

  /** Places the chunk's courses and persons not placed yet. */
  async place(chunk: readonly { fields: LinkEndFields }[]): Promise<void> {
    const [courseKeys, shortnameKeys] = splitKeys(chunk, (r) => r.fields.course, (r) => r.fields.courseBy === 'shortname');
    const [personKeys, usernameKeys] = splitKeys(chunk, (r) => r.fields.person, (r) => r.fields.personBy === 'username');
    await this.courses.place(courseKeys);
    await this.shortnames.place(shortnameKeys);
    await this.persons.place(personKeys);
    await this.usernames.place(usernameKeys);
  }

  /** The row's course: its id (and owner), a problem, or null when no course has that key. A shortname not found is a problem. */
  course(f: LinkEndFields): PlacedCourse {
    if (f.courseBy !== 'shortname') return this.courses.get(f.course) ?? null;
    return this.shortnames.get(f.course) ?? { problem: `no Moodle course has shortname ${f.course}` };
  }

  /** The row's person: its user id, or the problem in words, or neither when Moodle has no such person. */
  person(f: LinkEndFields): { id?: number; problem?: string } {
    return (f.personBy === 'username' ? this.usernames : this.persons).get(f.person);
  }
}
