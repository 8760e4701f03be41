import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/index.js';
import { GroupPlanner } from './rules.js';
import { GroupMemberPlanner } from '../group-members/rules.js';
import type { Op } from '../../plan/index.js';
import type { GroupAction, GroupContext } from './rules.js';
import type { GroupMemberAction, GroupMemberContext } from '../group-members/rules.js';
import { groupState, parseGroupState } from './rules.js';
import { groupMemberState, memberKeyParts, parseGroupMemberState } from '../group-members/rules.js';
import type { FeedItem } from '../../feed/types.js';
import type { GroupRecord } from './record.js';
import type { GroupMemberRecord } from '../group-members/record.js';
import type { LedgerLink } from '../../ledger/types.js';
import { analyseHeader } from '../../feed/index.js';

const TS = '2026-01-01T00:00:00.000Z';

function lnk(entity: string, key: string, over: Partial<LedgerLink> = {}): LedgerLink {
  return { entity, key, moodleId: 9, dataSource: 'SIS', hash: null, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

function grp(course: string, group: string, name?: string, extra: Partial<GroupRecord> = {}): GroupRecord {
  const fields: GroupRecord['fields'] = { course, group };
  if (name !== undefined) fields.name = name;
  return { key: `${course}|${group}`, fields, dataSource: 'SIS', ...extra };
}

function planGroups(rows: { record: GroupRecord; ctx?: GroupContext }[], op: Op = 'store', owned: LedgerLink[] = []) {
  const p = new GroupPlanner(defaultPlanOptions({ op, entity: 'groups', dataSource: 'SIS', force: true }));
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<GroupRecord>, ctx ?? { courseId: 7 }));
  return p.finish(owned).actions as GroupAction[];
}

describe('groups planner', () => {
  it('creates a new group with its key as idnumber and an empty description', () => {
    const [a] = planGroups([{ record: grp('C1', 'A', 'Group A') }]);
    expect(a).toMatchObject({ kind: 'create', group: { call: 'create', courseId: 7, name: 'Group A', description: '', idnumber: 'A' } });
    expect(parseGroupState(a.state)).toEqual({ name: 'Group A', description: '' });
  });

  it('fails an unknown course and a new group without a name', () => {
    const a = planGroups([{ record: grp('NO', 'A', 'x'), ctx: {} }, { record: grp('C1', 'B') }]);
    expect(a.map((x) => x.error?.code)).toEqual(['unknown-course', 'missing-value']);
  });

  it('adopts a match; a name or description that differs is sent as an update of the adopted group', () => {
    const [same] = planGroups([{ record: grp('C1', 'A', 'Old'), ctx: { courseId: 7, match: { id: 3, via: 'idnumber', by: 'name', name: 'Old', description: 'd' } } }]);
    expect(same).toMatchObject({ kind: 'adopt', moodleId: 3, group: { call: 'none' } });
    expect(parseGroupState(same.state)).toEqual({ name: 'Old', description: 'd' });
    const [a] = planGroups([{ record: grp('C1', 'A', 'New name'), ctx: { courseId: 7, match: { id: 3, via: 'idnumber', by: 'idnumber', name: 'Old', description: '' } } }]);
    expect(a).toMatchObject({ kind: 'adopt', moodleId: 3, group: { call: 'update', groupId: 3, name: 'New name' } });
    expect(a.group).not.toHaveProperty('description');
    expect(a.reason).toContain('rename "Old" → "New name"');
    // The state written once Moodle took the update.
    expect(parseGroupState(a.state)).toEqual({ name: 'New name', description: '' });
  });

  it('a linked group: same content is unchanged; a changed name or description is an update call', () => {
    const link = lnk('groups', 'C1|A', { state: groupState('Group A', 'old text') });
    const same = planGroups([{ record: grp('C1', 'A', 'Group A'), ctx: { courseId: 7, link } }]);
    expect(same[0].kind).toBe('unchanged');
    const [renamed] = planGroups([{ record: grp('C1', 'A', 'Renamed'), ctx: { courseId: 7, link } }]);
    expect(renamed).toMatchObject({ kind: 'update', moodleId: 9, reason: 'rename "Group A" → "Renamed"', group: { call: 'update', groupId: 9, name: 'Renamed' } });
    expect(parseGroupState(renamed.state)).toEqual({ name: 'Renamed', description: 'old text' });
    // A new description alone still sends the name (Moodle requires it), unchanged.
    const [described] = planGroups([{ record: grp('C1', 'A', undefined, { fields: { course: 'C1', group: 'A', description: 'new text' } }), ctx: { courseId: 7, link } }]);
    expect(described).toMatchObject({ kind: 'update', reason: 'new description', group: { call: 'update', groupId: 9, name: 'Group A', description: 'new text' } });
    // What Moodle has now (read by the lookup) wins over the link's state: a rename by hand is put back.
    const [back] = planGroups([{ record: grp('C1', 'A', 'Group A'), ctx: { courseId: 7, link, current: { name: 'Hand', description: 'old text' } } }]);
    expect(back).toMatchObject({ kind: 'update', group: { call: 'update', name: 'Group A' } });
    // A disabled link back in the file with a new name: enabled and renamed.
    const [enabled] = planGroups([{ record: grp('C1', 'A', 'Renamed'), ctx: { courseId: 7, link: { ...link, status: 'disabled' } } }]);
    expect(enabled).toMatchObject({ kind: 'enable', status: 'active', group: { call: 'update', name: 'Renamed' } });
  });

  it('a group known by its name: a new name is a new key, so a new group (the old one is left to refresh)', () => {
    const byName = (name: string): GroupRecord => ({ key: `C1|${name}`, fields: { course: 'C1', group: name, name, groupBy: 'name' }, dataSource: 'SIS' });
    const link = lnk('groups', 'C1|Lab', { state: groupState('Lab', '') });
    const [a] = planGroups([{ record: byName('Lab 2') }], 'refresh', [link]);
    expect(a).toMatchObject({ kind: 'create', key: 'C1|Lab 2', group: { call: 'create', name: 'Lab 2', idnumber: '' } });
    const all = planGroups([{ record: byName('Lab 2') }], 'refresh', [link]);
    expect(all.map((x) => `${x.key}:${x.kind}:${x.group?.call}`)).toEqual(['C1|Lab 2:create:create', 'C1|Lab:disable:none']);
  });

  it('delete and refresh only disable the ledger link: the group is never deleted', () => {
    const link = lnk('groups', 'C1|A', { state: groupState('Group A', '') });
    const [d] = planGroups([{ record: grp('C1', 'A'), ctx: { courseId: 7, link } }], 'delete');
    expect(d).toMatchObject({ kind: 'disable', status: 'disabled', group: { call: 'none' } });
    expect(d.reason).toContain('the group stays in Moodle');
    const r = planGroups([{ record: grp('C1', 'A', 'Group A'), ctx: { courseId: 7, link } }], 'refresh', [link, lnk('groups', 'C1|B')]);
    expect(r.map((x) => `${x.key}:${x.kind}`)).toEqual(['C1|A:unchanged', 'C1|B:disable']);
    const [u] = planGroups([{ record: grp('C1', 'Z'), ctx: { courseId: 7, match: { id: 5, via: 'idnumber', by: 'idnumber', name: 'Z', description: '' } } }], 'delete');
    expect(u).toMatchObject({ kind: 'unchanged' });
  });
});

function mem(course: string, group: string, person: string, extra: Partial<GroupMemberRecord> & { shift?: boolean } = {}): GroupMemberRecord {
  const { shift, ...rest } = extra;
  return { key: `${course}|${group}|${person}`, fields: { course, group, person, ...(shift ? { shift } : {}) }, dataSource: 'SIS', ...rest };
}

const PLACED: GroupMemberContext = { groupId: 11, userId: 40, enrolled: true, match: { id: 40, via: 'idnumber' } };

function planMembers(rows: { record: GroupMemberRecord; ctx?: GroupMemberContext }[], op: Op = 'store', owned: LedgerLink[] = []) {
  const p = new GroupMemberPlanner(defaultPlanOptions({ op, entity: 'group-members', dataSource: 'SIS', force: true }));
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<GroupMemberRecord>, ctx ?? PLACED));
  return p.finish(owned).actions as GroupMemberAction[];
}

describe('group-members planner', () => {
  it('adds a placed, enrolled person; fails unknown group, unknown person and not enrolled', () => {
    const a = planMembers([
      { record: mem('C1', 'A', 'P1') },
      { record: mem('C1', 'Z', 'P1'), ctx: { userId: 40 } },
      { record: mem('C1', 'A', 'P9'), ctx: { groupId: 11 } },
      { record: mem('C1', 'A', 'P2'), ctx: { ...PLACED, enrolled: false } },
    ]);
    expect(a.map((x) => x.error?.code ?? x.kind)).toEqual(['create', 'unknown-group', 'unknown-person', 'not-enrolled']);
    expect(a[0]).toMatchObject({ moodleId: 40, state: groupMemberState(11), member: { call: 'add', groupId: 11, leave: [] } });
    expect(a[3].reason).toContain('person P2 is not enrolled in course C1');
  });

  it('shift leaves the other managed groups first; an unchanged link with nothing to leave is unchanged', () => {
    const leave = [{ key: 'C1|B|P1', groupId: 12 }];
    const [s] = planMembers([{ record: mem('C1', 'A', 'P1', { shift: true }), ctx: { ...PLACED, leave } }]);
    expect(s).toMatchObject({ kind: 'create', member: { call: 'add', groupId: 11, leave } });
    expect(s.reason).toContain('leave B first (shift)');
    const link = lnk('group-members', 'C1|A|P1', { moodleId: 40, state: groupMemberState(11) });
    const [u] = planMembers([{ record: mem('C1', 'A', 'P1', { shift: true }), ctx: { ...PLACED, link, leave: [] } }]);
    expect(u.kind).toBe('unchanged');
    const [moved] = planMembers([{ record: mem('C1', 'A', 'P1', { shift: true }), ctx: { ...PLACED, link, leave } }]);
    expect(moved).toMatchObject({ kind: 'update', member: { leave } });
  });

  it('a refresh removes only linked memberships the file lacks, with the group id from the link', () => {
    const keep = lnk('group-members', 'C1|A|P1', { moodleId: 40, state: groupMemberState(11) });
    const gone = lnk('group-members', 'C1|A|P2', { moodleId: 41, state: groupMemberState(11) });
    const a = planMembers([{ record: mem('C1', 'A', 'P1'), ctx: { ...PLACED, link: keep } }], 'refresh', [keep, gone]);
    expect(a.map((x) => `${x.key}:${x.kind}`)).toEqual(['C1|A|P1:unchanged', 'C1|A|P2:disable']);
    expect(a[1]).toMatchObject({ moodleId: 41, member: { call: 'remove', groupId: 11 } });
  });

  it('delete removes the membership', () => {
    const [d] = planMembers([{ record: mem('C1', 'A', 'P1', { command: 'delete' }) }]);
    expect(d).toMatchObject({ kind: 'disable', moodleId: 40, member: { call: 'remove', groupId: 11 } });
  });

  it('keys and hashes round-trip', () => {
    expect(memberKeyParts('C1|A|P|x')).toEqual({ course: 'C1', group: 'A', person: 'P|x' });
    expect(parseGroupMemberState(groupMemberState(5))).toBe(5);
    expect(parseGroupMemberState('junk')).toBeUndefined();
  });
});

describe('group feed headers', () => {
  const type = (h: string[]) => analyseHeader(h).type;
  it('infers groups and group members from SIS and tool_sync headers', () => {
    expect(type(['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'GROUP_NAME', 'DESCRIPTION', 'DATA_SOURCE_KEY', 'ROW_STATUS'])).toBe('groups');
    expect(type(['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'NAME'])).toBe('groups');
    expect(type(['course', 'idnumber', 'name', 'description'])).toBe('groups');
    expect(type(['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'EXTERNAL_PERSON_KEY', 'ACTION'])).toBe('group-members');
    expect(type(['course', 'group', 'user', 'cmd'])).toBe('group-members');
    expect(type(['courseid', 'groupid', 'userid', 'cmd'])).toBe('group-members');
    // Enrolments still read as enrolments.
    expect(type(['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE'])).toBe('enrolments');
    expect(type(['course', 'user', 'role', 'cmd'])).toBe('enrolments');
  });
  it('names the missing key column', () => {
    expect(() => analyseHeader(['EXTERNAL_GROUP_KEY', 'GROUP_NAME'])).toThrow('missing column "EXTERNAL_COURSE_KEY"');
  });
});
