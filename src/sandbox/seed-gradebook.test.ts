import { describe, expect, it } from '@jest/globals';
import { UserStore } from './user-store.js';
import { seedGradebook, seededGrade } from './seed-gradebook.js';

describe('seedGradebook', () => {
  it('courses of distinct students, graded deterministically, completing those graded on every item', () => {
    const store = new UserStore();
    const seeded = seedGradebook(store, { courses: 2, studentsPerCourse: 4, itemsPerCourse: 2, time: 1000 });
    expect(seeded.courses.map((c) => [c.idnumber, c.students.map((s) => s.idnumber)])).toEqual([
      ['GC0001', ['GS000001', 'GS000002', 'GS000003', 'GS000004']], ['GC0002', ['GS000005', 'GS000006', 'GS000007', 'GS000008']],
    ]);
    const [c1] = seeded.courses;
    const total = (i: number) => store.grades.courseTotal(c1.id, c1.students[i].id);
    expect(total(0)).toMatchObject({ value: seededGrade(1, 0, 0) + seededGrade(1, 0, 1), grademax: 200 });
    // The last student is not graded on the last item: out of 100, and not complete.
    expect(total(3)).toMatchObject({ value: seededGrade(1, 3, 0), grademax: 100 });
    expect(store.completion.timecompleted(c1.id, c1.students[0].id)).toBe(1000);
    expect(store.completion.timecompleted(c1.id, c1.students[3].id)).toBeNull();
    store.close();
  });
});
