/**
 * Which format a header is: every native fixture stays mdlsync's own, and a header of each dialect's files (as its
 * documentation writes it) is claimed by that dialect's kind and no other; a header no format reads names the ones
 * it looks closest to.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS, describeUnplaced } from '../../src/dialects/index.js';
import { openFeedSet } from '../../src/feed/feed-set.js';
import { ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string): string => {
  const p = join(dir, `f${n++}.csv`);
  writeFileSync(p, text);
  return p;
};

/** A header of each kind, from its documentation, and a data line (headerless formats: lines only). */
const SAMPLES: Array<[string, string]> = [
  ['moodle-uploaduser/users', 'username,password,firstname,lastname,email,course1,role1,cohort1\njdoe,Pw-12345,Jane,Doe,j@example.org,CF101,student,Y1\n'],
  ['moodle-uploadcourse/courses', 'shortname,fullname,category_path,delete\nCF101,Course 101,Faculty / 2026,0\n'],
  ['moodle-uploadcohort/cohorts', 'name,description,category_path\nYear 1,Students of year 1,Faculty\n'],
  ['enrol-flatfile/enrolments', 'add, student, 5, CF101\n'],
  ['tool-sync/enrolments', 'rolename;uid;cid;cmd\nstudent;P1;CF101;add\n'],
  ['tool-sync/cohorts', 'cidnumber;cname;userid;cmd\nY1;Year 1;P1;add\n'],
  ['blackboard/person', 'EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|SYSTEM_ROLE|STUDENT_ID\nP1|jdoe|Jane|Doe|none|123\n'],
  ['blackboard/term', 'EXTERNAL_TERM_KEY|NAME|START_DATE|END_DATE\nT26|Fall 2026|20260901|20261220\n'],
  ['canvas/users', 'user_id,login_id,first_name,last_name,email,status\nU1,jdoe,Jane,Doe,j@example.org,active\n'],
  ['canvas/accounts', 'account_id,parent_account_id,name,status\nA1,,Faculty,active\n'],
  ['canvas/courses', 'course_id,short_name,long_name,account_id,term_id,status\nC1,CF101,Course 101,A1,T26,active\n'],
  ['canvas/sections', 'section_id,course_id,name,status\nS1,C1,Section 1,active\n'],
  ['canvas/enrollments', 'course_id,user_id,role,section_id,status\nC1,U1,student,S1,active\n'],
  ['canvas/user_observers', 'observer_id,student_id,status\nU2,U1,active\n'],
];

describe('format detection', () => {
  test.each(readdirSync(join(ROOT, 'fixtures')).filter((f) => /\.(txt|csv)$/.test(f)))('fixtures/%s stays a native mdlsync feed', async (name) => {
    const set = await openFeedSet(join(ROOT, 'fixtures', name));
    expect(set.format.dialect).toBe('mdlsync');
  });

  test.each(SAMPLES)('%s: its header is that kind', async (kind, text) => {
    const set = await openFeedSet(file(text));
    expect(`${set.format.dialect}/${set.format.kind}`).toBe(kind);
  });

  test('every dialect kind with a header claims its sample, and only its own', () => {
    for (const [kind, text] of SAMPLES) {
      const lower = text.split('\n')[0].split(/[,;|]/).map((c) => c.trim().toLowerCase());
      const claiming = DIALECTS.flatMap((d) => d.kinds.filter((k) => !k.headerless && k.claims(lower)).map((k) => `${d.name}/${k.name}`));
      if (kind.startsWith('enrol-flatfile')) expect(claiming).toEqual([]);
      else expect(claiming).toEqual([kind]);
    }
  });

  test('a header no format reads names the formats it looks closest to', () => {
    expect(describeUnplaced(['rolename', 'uid', 'cid', 'colour'])).toMatch(/^The header looks closest to tool_sync .*\(--dialect tool-sync\/enrolments\), 3 of 4 columns/);
    expect(describeUnplaced(['zz', 'yy'])).toBeUndefined();
  });
});
