import { describe, expect, it } from '@jest/globals';
import type { GradeItem } from '../moodle/grades.js';
import { activityRows, completedAt, gradeRows, headerOf, rowHash, rowIdentity } from './rows.js';
import { toCsv } from './export.js';

const base = { personKey: 'P1', courseKey: 'C1', userId: 7, courseId: 9, enrolment: 'active' as const };
const item = (over: Partial<GradeItem>): GradeItem => ({
  id: 3, itemname: 'Lab', itemtype: 'mod', itemmodule: 'assign', iteminstance: 1, idnumber: '', cmid: 14, graderaw: 85,
  gradedategraded: 1796442165, gradeformatted: '85.00', grademin: 0, grademax: 100, percentageformatted: '85.00 %', ...over,
});
const total = item({ itemtype: 'course', itemmodule: null, itemname: null, idnumber: null, cmid: undefined });

describe('grade rows', () => {
  it('the course total, then each item with --items; raw, max, percentage without its sign, ISO time', () => {
    const rows = gradeRows(base, [item({}), total], true);
    expect(rows.map((r) => [r.itemType, r.itemKey, r.grade, r.gradeMax, r.percentage, r.letter, r.gradedAt])).toEqual([
      ['course', '', '85', '100', '85.00', '', '2026-12-05T03:42:45Z'],
      ['assign', 'cm-14', '85', '100', '85.00', '', '2026-12-05T03:42:45Z'],
    ]);
    expect(gradeRows(base, [item({ idnumber: 'LAB1' }), total], true)[1].itemKey).toBe('LAB1');
  });

  it('letters where the site shows them: the letter column, or a grade displayed as a letter', () => {
    expect(gradeRows(base, [item({ itemtype: 'course', lettergradeformatted: 'B' })], false)[0].letter).toBe('B');
    expect(gradeRows(base, [item({ itemtype: 'course', gradeformatted: 'A-' })], false)[0].letter).toBe('A-');
    expect(gradeRows(base, [item({ itemtype: 'course', gradeformatted: '85.00 %' })], false)[0].letter).toBe('');
    expect(gradeRows(base, [item({ itemtype: 'course', graderaw: null, gradeformatted: '-', percentageformatted: '-', lettergradeformatted: '-' })], false)[0])
      .toMatchObject({ grade: '', percentage: '', letter: '' });
  });

  it('hashes follow the values, identities the course, person and item', () => {
    const [a] = gradeRows(base, [total], false);
    const [b] = gradeRows(base, [{ ...total, graderaw: 86 }], false);
    expect(rowHash('grades', a)).not.toBe(rowHash('grades', b));
    expect(rowHash('grades', a)).toBe(rowHash('grades', { ...a }));
    expect(rowIdentity(a)).toEqual({ course: 'C1', person: 'P1', item: '' });
    expect(rowIdentity({ ...a, personKey: '', itemType: 'quiz', itemKey: 'cm-3' })).toEqual({ course: 'C1', person: '#7', item: 'quiz:cm-3' });
  });

  it('both dialects through csv-stringify', () => {
    const rows = gradeRows(base, [total], false);
    expect(toCsv('grades', 'mdlsync', rows).split('\n')[0]).toBe(headerOf('grades', 'mdlsync').join(','));
    expect(toCsv('grades', 'snapshot', rows)).toBe(
      'EXTERNAL_PERSON_KEY|EXTERNAL_COURSE_KEY|MOODLE_USER_ID|MOODLE_COURSE_ID|ITEM_TYPE|ITEM_KEY|ITEM_NAME|GRADE|GRADE_MAX|PERCENTAGE|LETTER_GRADE|GRADED_DATE|ENROLMENT_STATUS\n' +
      'P1|C1|7|9|course|||85|100|85.00||2026-12-05T03:42:45Z|active\n');
  });
});

describe('completion rows', () => {
  const crit = (complete: boolean, t: number | null) => ({ type: 4, title: '', status: '', complete, timecompleted: t, details: { type: '', criteria: '', requirement: '', status: '' } });
  it('time completed: the last criterion met (all), the first (any); none when not complete', () => {
    expect(completedAt({ completed: true, aggregation: 1, completions: [crit(true, 10), crit(true, 30)] })).toBe(30);
    expect(completedAt({ completed: true, aggregation: 2, completions: [crit(true, 10), crit(false, null), crit(true, 30)] })).toBe(10);
    expect(completedAt({ completed: false, aggregation: 1, completions: [crit(true, 10)] })).toBeNull();
  });
  it('activities: complete (1, 2) or incomplete, keyed by course module', () => {
    const rows = activityRows(base, [
      { cmid: 13, modname: 'page', instance: 1, state: 1, timecompleted: 1796442165, tracking: 1 },
      { cmid: 16, modname: 'quiz', instance: 1, state: 0, timecompleted: 0, tracking: 1 },
    ]);
    expect(rows.map((r) => [r.itemType, r.itemKey, r.state, r.completedAt])).toEqual([
      ['page', 'cm-13', 'complete', '2026-12-05T03:42:45Z'], ['quiz', 'cm-16', 'incomplete', ''],
    ]);
  });
});
