/** Generated SIS person feeds for the benchmark: realistic widths, policy-compliant passwords, two data sources. */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

export function generatePersons(path: string, n: number, opts: { prefix?: string } = {}): Promise<void> {
  const prefix = opts.prefix ?? 'b';
  return writeLines(path, 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|EMAIL|AVAILABLE_IND|DATA_SOURCE_KEY', n, (j) => {
    const i = j + 1;
    const id = String(i).padStart(7, '0');
    return `${prefix.toUpperCase()}${id}|${prefix}${id}|Secret-${id}x|First${id}|Last${id}|${prefix}${id}@example.edu|Y|SIS.${i % 2 ? 'A' : 'B'}`;
  });
}

/** Classroom feeds: 1,000 category paths 2026/Intake-NNN/Shift-M (250 intakes × 4 shifts). */
export const CLASSROOM_PATHS = 1000;
const SHIFTS = 4;
export const classroomPath = (i: number): string[] => ['2026', `Intake-${String(Math.floor(i / SHIFTS) + 1).padStart(3, '0')}`, `Shift-${(i % SHIFTS) + 1}`];
export const courseKey = (c: number): string => `C${String(c + 1).padStart(5, '0')}-2026`;
/** The person keys generatePersons(…, { prefix: 'p' }) writes: P0000001… */
export const personKey = (p: number): string => `P${String(p + 1).padStart(7, '0')}`;

/** Writes a pipe-delimited feed: the header, then line(0…n-1), in 64 KiB writes that respect back-pressure. */
export async function writeLines(path: string, header: string, n: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(header + '\n');
  let buf = '';
  for (let i = 0; i < n; i++) {
    buf += line(i) + '\n';
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.end(buf);
  await finished(out);
}

/** n courses, course c in category path c mod 1,000. */
export function generateCourses(path: string, n: number): Promise<void> {
  return writeLines(path, 'EXTERNAL_COURSE_KEY|COURSE_ID|COURSE_NAME|CATEGORY|START_DATE|END_DATE|AVAILABLE_IND|DESCRIPTION|DATA_SOURCE_KEY', n, (c) => {
    const id = String(c + 1).padStart(5, '0');
    return `${courseKey(c)}|C${id}|Course ${id}|${classroomPath(c % CLASSROOM_PATHS).join('/')}|2026-09-01|2027-06-30|Y|Generated course ${id}|SIS.2026`;
  });
}

/**
 * n enrolments over `courses` courses and `persons` persons, no pair twice: row j enrols person j mod persons in
 * course (j mod persons + ⌊j / persons⌋ · ⌊courses / 10⌋) mod courses (n ≤ 10 · persons). Every 25th row is an Instructor.
 */
export function generateEnrolments(path: string, n: number, courses: number, persons: number): Promise<void> {
  const stride = Math.max(1, Math.floor(courses / 10));
  return writeLines(path, 'EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|START_DATE|END_DATE|AVAILABLE_IND|ROW_STATUS|DATA_SOURCE_KEY', n, (j) => {
    const p = j % persons;
    const c = (p + Math.floor(j / persons) * stride) % courses;
    return `${courseKey(c)}|${personKey(p)}|${j % 25 === 0 ? 'Instructor' : 'Student'}|2026-09-01|2027-06-30|Y|enabled|SIS.2026`;
  });
}
