import { describe, expect, it } from '@jest/globals';
import { cannedCaller, countedLeaves, expectReplay, nothing, recordedCasesOf, recordedLeaves, same, type ContractCaseOf } from '../../test/moodle-contract.js';
import { encodeForm } from './encode.js';
import { ProtocolError } from './errors.js';
import {
  GROUP_FUNCTIONS,
  addGroupMembers,
  createGroups,
  deleteGroupMembers,
  deleteGroups,
  getCourseGroups,
  getGroupMembers,
  groupLeaves,
  groupMemberLeaves,
  updateGroupLeaves,
  updateGroups,
} from './groups.js';

/* ---- recorded contract cases, replayed through the real encoder ---- */

const CASES: ContractCaseOf[] = [
  ['96_create_group', (c, o) => createGroups(c, o.groups as never), same],
  ['97_create_group_duplicate_name', (c, o) => createGroups(c, o.groups as never), same],
  ['98_create_group_duplicate_idnumber', (c, o) => createGroups(c, o.groups as never), same],
  ['99_add_group_member', (c, o) => addGroupMembers(c, o.members as never), nothing],
  ['100_add_group_member_not_enrolled', (c, o) => addGroupMembers(c, o.members as never), nothing],
  ['101_add_group_members_batch_second_invalid', (c, o) => addGroupMembers(c, o.members as never), nothing],
  ['102_get_group_members', (c, o) => getGroupMembers(c, o.groupids as never), same],
  ['103_get_course_groups', (c, o) => getCourseGroups(c, o.courseid as number), same],
  ['104_delete_group_members', (c, o) => deleteGroupMembers(c, o.members as never), nothing],
];

/** The 2026-12 recordings (contract/2026-12/): update and delete. */
const CASES_2026_12: ContractCaseOf[] = [
  ['2026-12/133_update_groups_rename_ok', (c, o) => updateGroups(c, o.groups as never), nothing],
  ['2026-12/134_update_groups_name_taken', (c, o) => updateGroups(c, o.groups as never), nothing],
  ['2026-12/135_update_groups_idnumber_taken', (c, o) => updateGroups(c, o.groups as never), nothing],
  ['2026-12/136_update_groups_batch_second_bad', (c, o) => updateGroups(c, o.groups as never), nothing],
  ['2026-12/137_delete_groups_ok', (c, o) => deleteGroups(c, o.groupids as never), nothing],
  ['2026-12/138_delete_groups_nonexistent', (c, o) => deleteGroups(c, o.groupids as never), nothing],
  ['2026-12/139_delete_groups_batch_one_bad', (c, o) => deleteGroups(c, o.groupids as never), nothing],
];

describe('group wrappers against the recorded contract', () => {
  it('cover every recorded case of GROUP_FUNCTIONS', () => {
    expect(CASES.map(([name]) => name).sort()).toEqual(recordedCasesOf(GROUP_FUNCTIONS).sort());
  });

  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);
  it.each(CASES_2026_12)('%s: same request body byte for byte, recorded reply understood', expectReplay);

  it('per-record leaf counters add up to the recorded bodies (minus the 3 control pairs)', () => {
    for (const name of ['96_create_group', '97_create_group_duplicate_name']) {
      expect(countedLeaves(name, 'groups', groupLeaves)).toBe(recordedLeaves(name));
    }
    const update = '2026-12/136_update_groups_batch_second_bad';
    expect(countedLeaves(update, 'groups', updateGroupLeaves)).toBe(recordedLeaves(update));
    const members = '101_add_group_members_batch_second_invalid';
    expect(countedLeaves(members, 'members', groupMemberLeaves)).toBe(recordedLeaves(members));
  });
});

/* ---- behaviour beyond the recordings ---- */

describe('group wrappers', () => {
  it('createGroups throws ProtocolError when Moodle answers with fewer groups than were sent', async () => {
    const groups = [
      { courseid: 6, name: 'A', description: '' },
      { courseid: 6, name: 'B', description: '' },
    ];
    await expect(createGroups(cannedCaller([{ id: 1 }]), groups)).rejects.toThrow(ProtocolError);
    await expect(createGroups(cannedCaller(null), groups)).rejects.toThrow(/core_group_create_groups: sent 2 groups, Moodle answered with no list/);
  });

  it('sends an empty description (a required key) and participation as 1/0', async () => {
    const c = cannedCaller([{ id: 4 }]);
    await createGroups(c, [{ courseid: 6, name: 'A', description: '', participation: false }]);
    expect(decodeURIComponent(encodeForm('T', ...c.calls[0]).split('json&')[1])).toBe(
      'groups[0][courseid]=6&groups[0][name]=A&groups[0][description]=&groups[0][participation]=0',
    );
  });

  it('list calls make no request for an empty list; null replies read as []', async () => {
    const c = cannedCaller(null);
    await expect(createGroups(c, [])).resolves.toEqual([]);
    await addGroupMembers(c, []);
    await deleteGroupMembers(c, []);
    await updateGroups(c, []);
    await deleteGroups(c, []);
    await expect(getGroupMembers(c, [])).resolves.toEqual([]);
    expect(c.calls).toEqual([]);
    await expect(getCourseGroups(c, 6)).resolves.toEqual([]);
  });

  it('GROUP_FUNCTIONS names every wrapped function', () => {
    expect([...GROUP_FUNCTIONS].sort()).toEqual(
      [
        'core_group_add_group_members',
        'core_group_create_groups',
        'core_group_delete_group_members',
        'core_group_delete_groups',
        'core_group_get_course_groups',
        'core_group_get_group_members',
        'core_group_update_groups',
      ].sort(),
    );
  });
});
