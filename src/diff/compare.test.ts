/** The pure comparisons of `mdlsync diff`: which finding a record, a field and a membership get, and why. */
import { describe, expect, test } from '@jest/globals';
import { personContentHash } from '../entities/persons/hash.js';
import type { PersonRecord } from '../entities/persons/record.js';
import type { LedgerLink } from '../ledger/types.js';
import type { MoodleUser } from '../moodle/types.js';
import { looksDeleted } from './live.js';
import { diffExtras, diffMembers, type PlacedMember } from './memberships.js';
import { diffLinkedPerson, mappedBack } from './persons.js';
import { diffLinkedRecord } from './records.js';
import { countFindings, isDrift } from './types.js';

const OPTS = { passwords: 'create-only' as const };

function person(fields: PersonRecord['fields'], extra: Partial<PersonRecord> = {}): PersonRecord {
  return { key: 'P1', fields: { idnumber: 'P1', ...fields }, available: true, ...extra };
}

function link(hash: string | null, more: Partial<LedgerLink> = {}): LedgerLink {
  return { entity: 'persons', key: 'P1', moodleId: 7, dataSource: null, hash, status: 'active', firstSeen: '', lastSeen: '', lastRun: null, disabledAt: null, ...more };
}

const live = (more: Partial<MoodleUser> = {}): MoodleUser => ({ id: 7, username: 'ann', firstname: 'Ann', lastname: 'Lee', email: 'ann@x.edu', idnumber: 'P1', suspended: false, ...more });

describe('a linked person', () => {
  const sent = person({ username: 'ann', firstname: 'Ann', lastname: 'Lee', email: 'ann@x.edu', password: 'Secret-1x' });
  const sentHash = personContentHash(sent, 'create-only');

  test('Moodle holding what the file says is in step, whatever the password', () => {
    expect(diffLinkedPerson(sent, 2, link(sentHash), live(), OPTS)).toEqual([expect.objectContaining({ finding: 'in-step', moodleId: 7 })]);
  });

  test('a field edited in Moodle while the file is as sent: changed-in-moodle, with both values', () => {
    const rows = diffLinkedPerson(sent, 2, link(sentHash), live({ email: 'other@x.edu' }), OPTS);
    expect(rows).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'email', fileValue: 'ann@x.edu', moodleValue: 'other@x.edu' })]);
  });

  test('the file changed while Moodle holds what was sent: changed-in-file (the live values hash to the link)', () => {
    const now = person({ ...sent.fields, email: 'new@x.edu' });
    const rows = diffLinkedPerson(now, 2, link(sentHash), live(), OPTS);
    expect(rows).toEqual([expect.objectContaining({ finding: 'changed-in-file', field: 'email', fileValue: 'new@x.edu', moodleValue: 'ann@x.edu' })]);
    expect(personContentHash(mappedBack(now, live()), 'create-only')).toBe(sentHash);
  });

  test('both changed: changed-in-moodle, saying the next run sends the file value anyway', () => {
    const now = person({ ...sent.fields, email: 'new@x.edu' });
    const [row] = diffLinkedPerson(now, 2, link(sentHash), live({ email: 'hand@x.edu' }), OPTS);
    expect(row).toMatchObject({ finding: 'changed-in-moodle', message: expect.stringMatching(/file changed too/) });
  });

  test('suspended by hand is a changed availability; interests compare as a list', () => {
    const withTags = person({ ...sent.fields, interests: 'chess,music' });
    const h = personContentHash(withTags, 'create-only');
    const rows = diffLinkedPerson(withTags, 2, link(h), live({ suspended: true, interests: 'chess, music' }), OPTS);
    expect(rows).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'suspended', fileValue: '0', moodleValue: '1' })]);
    // Moodle's own spelling of the interests does not make the row look edited: a file change is still the file's.
    const now = person({ ...withTags.fields, city: 'Lyon' });
    expect(diffLinkedPerson(now, 2, link(h), live({ interests: 'chess, music' }), OPTS)).toEqual([expect.objectContaining({ finding: 'changed-in-file', field: 'city' })]);
  });

  test('a lang the site has not installed is never sent, so never compared', () => {
    const fr = person({ ...sent.fields, lang: 'fr' });
    const h = personContentHash(fr, 'create-only');
    expect(diffLinkedPerson(fr, 2, link(h), live({ lang: 'en' }), { ...OPTS, languages: ['en'] })[0].finding).toBe('in-step');
    expect(diffLinkedPerson(fr, 2, link(h), live({ lang: 'en' }), { ...OPTS, languages: ['en', 'fr'] })[0]).toMatchObject({ finding: 'changed-in-moodle', field: 'lang' });
  });

  test('an adoption without a hash: changed-in-moodle (what was sent is not known)', () => {
    expect(diffLinkedPerson(sent, 2, link(null), live({ firstname: 'Anne' }), OPTS)[0]).toMatchObject({ finding: 'changed-in-moodle', field: 'firstname' });
  });

  test("a record Moodle's delete_user rewrote is recognised as deleted", () => {
    expect(looksDeleted(live({ username: 'ann@x.edu.1764892800', email: 'd41d8cd98f00b204e9800998ecf8427e', idnumber: '' }))).toBe(true);
    expect(looksDeleted(live())).toBe(false);
  });
});

describe('memberships', () => {
  const base: PlacedMember = { line: 2, key: 'C1|P1', containerKey: 'C1', containerId: 10, userId: 7, removal: false, role: 'student' };
  const active = link('x', { entity: 'enrolments', key: 'C1|P1' });
  const state = (members: [number, string[]][], users = [7, 8]) => ({ members: new Map([[10, new Map(members.map(([u, roles]) => [u, { roles }]))]]), users: new Set(users) });

  test.each([
    ['in step', { link: active }, [[7, ['student']]], 'in-step'],
    ['removed by hand from a link mdlsync gave', { link: active }, [], 'missing-in-moodle'],
    ['not given yet', {}, [], 'missing'],
    ['there, but not by mdlsync', {}, [[7, ['student']]], 'unlinked'],
    ['removed by mdlsync, back in the file', { link: { ...active, status: 'disabled' as const } }, [], 'changed-in-file'],
    ['role taken away by hand', { link: active, linkRole: 'student' }, [[7, ['teacher']]], 'changed-in-moodle'],
    ['a new role in the file', { link: active, linkRole: 'teacher' }, [[7, ['teacher']]], 'changed-in-file'],
    ['a row that removes, gone already', { link: active, removal: true }, [], 'in-step'],
    ['removed by mdlsync user block', { link: { ...active, status: 'disabled' as const, data: '{"blocked":"R1"}' } }, [], 'in-step'],
  ] as const)('%s', (_what, more, members, finding) => {
    const [row] = diffMembers('enrolments', [{ ...base, ...more } as PlacedMember], state(members as unknown as [number, string[]][]));
    expect(row.finding).toBe(finding);
  });

  test('an enrolment suspended or reactivated by hand: changed-in-moodle when mdlsync gave the state the file asks for', () => {
    const members = new Map([[10, new Map([[7, { roles: ['student'], suspended: true }]])]]);
    const live = { members, users: new Set([7]) };
    expect(diffMembers('enrolments', [{ ...base, link: active, suspend: false, linkSuspend: false }], live)[0]).toMatchObject({ finding: 'changed-in-moodle', field: 'suspended', fileValue: '0', moodleValue: '1' });
    expect(diffMembers('enrolments', [{ ...base, link: active, suspend: false, linkSuspend: true }], live)[0]).toMatchObject({ finding: 'changed-in-file', field: 'suspended' });
    expect(diffMembers('enrolments', [{ ...base, link: active, suspend: true, linkSuspend: true }], live)[0].finding).toBe('in-step');
  });

  test('a course or a user deleted in Moodle is deleted-in-moodle with the end that is gone', () => {
    expect(diffMembers('enrolments', [base], { members: new Map(), users: new Set([7]) })[0]).toMatchObject({ finding: 'deleted-in-moodle', field: 'course' });
    expect(diffMembers('enrolments', [base], state([], []))[0]).toMatchObject({ finding: 'deleted-in-moodle', field: 'person' });
  });

  test('members the file lacks: extra-in-moodle, unless mdlsync gave them (a refresh removes those)', () => {
    const rows = diffExtras('enrolments', [{ key: 'C1|P9', userId: 9 }, { key: 'C1|P8', userId: 8, link: { ...active, key: 'C1|P8' } }]);
    expect(rows.map((r) => [r.key, r.finding, r.line])).toEqual([['C1|P9', 'extra-in-moodle', null], ['C1|P8', 'changed-in-file', null]]);
  });
});

describe('records and counts', () => {
  test('a course field differs: changed-in-moodle when the row is as sent, else changed-in-file', () => {
    const pairs = [{ field: 'fullname', file: 'Maths', moodle: 'Maths (edited)' }, { field: 'shortname', file: 'M1', moodle: 'M1' }];
    expect(diffLinkedRecord('courses', 'M1', 2, 5, pairs, true)).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'fullname' })]);
    expect(diffLinkedRecord('courses', 'M1', 2, 5, pairs, false)[0].finding).toBe('changed-in-file');
    expect(diffLinkedRecord('courses', 'M1', 2, 5, [pairs[1]], true)[0].finding).toBe('in-step');
  });

  test('a record with two changed fields counts once; only what a run does not settle is drift', () => {
    const rows = diffLinkedRecord('cohorts', 'Y1', 2, 5, [{ field: 'name', file: 'a', moodle: 'b' }, { field: 'description', file: 'c', moodle: 'd' }], true);
    expect(rows).toHaveLength(2);
    expect(countFindings(rows)['changed-in-moodle']).toBe(1);
    expect(isDrift(rows)).toBe(true);
    expect(isDrift(diffLinkedRecord('cohorts', 'Y1', 2, 5, [{ field: 'name', file: 'a', moodle: 'b' }], false))).toBe(false);
  });
});
