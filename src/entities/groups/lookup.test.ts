import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { GroupRecord } from './record.js';
import type { GroupMemberRecord } from '../group-members/record.js';
import { SqliteLedger } from '../../ledger/index.js';
import type { LinkWrite } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { groupLookup } from './lookup.js';
import { groupMemberLookup } from '../group-members/lookup.js';

/** Course 7 with groups 70 (g1) and 71 (g2); users 1..3 enrolled. Answers only what the look-ups ask. */
class FakeMoodle implements MoodleCaller {
  readonly calls: string[] = [];
  async call<T>(fn: string, params: Record<string, unknown>): Promise<T> {
    this.calls.push(fn);
    switch (fn) {
      case 'core_course_get_courses_by_field':
        return { courses: params.value === 'C1' ? [{ id: 7, idnumber: 'C1' }] : [], warnings: [] } as T;
      case 'core_group_get_course_groups':
        return [
          { id: 70, courseid: 7, name: 'Group one', idnumber: 'g1', description: 'd1' },
          { id: 71, courseid: 7, name: 'Group two', idnumber: 'g2', description: '' },
        ] as T;
      case 'core_user_get_users_by_field':
        return (params.values as string[]).flatMap((v) => (/^p[1-3]$/.test(v) ? [{ id: Number(v.slice(1)), username: v, idnumber: v }] : [])) as T;
      case 'core_enrol_get_enrolled_users':
        return [{ id: 1 }, { id: 2 }] as T;
      default:
        throw new Error(`unexpected ${fn}`);
    }
  }
}

const link = (entity: string, key: string, moodleId: number): LinkWrite => ({ entity, key, moodleId, dataSource: null, hash: null, status: 'active', runId: 'r0' });

describe('group look-ups read the ledger once per chunk', () => {
  let ledger: SqliteLedger;
  let reads: string[];
  beforeEach(async () => {
    ledger = SqliteLedger.open(':memory:');
    await ledger.writeLinks([link('courses', 'C1', 7), link('groups', 'C1|g1', 70), link('enrolments', 'C1|p3', 3)]);
    reads = [];
    const getLinks = ledger.getLinks.bind(ledger);
    ledger.getLinks = (entity, keys) => {
      reads.push(entity);
      return getLinks(entity, keys);
    };
  });
  afterEach(async () => await ledger.close());

  it('groups: linked rows get what Moodle holds now, unlinked ones a match or a clash', async () => {
    await ledger.writeLinks([link('groups', 'C1|g2', 71)]);
    const rows: GroupRecord[] = [
      { key: 'C1|g1', fields: { course: 'C1', group: 'g1', name: 'Renamed' } },
      { key: 'C1|g2', fields: { course: 'C1', group: 'g2', name: 'Group two' } },
      { key: 'C1|g3', fields: { course: 'C1', group: 'g3', name: 'Group two' } },
      { key: 'C1|g4', fields: { course: 'C1', group: 'g4', name: 'Group four' } },
    ];
    const out = await groupLookup(new FakeMoodle(), ledger)(rows.slice(2), rows);
    expect(out.get('C1|g1')).toEqual({ courseId: 7, current: { name: 'Group one', description: 'd1' } });
    expect(out.get('C1|g2')).toEqual({ courseId: 7, current: { name: 'Group two', description: '' } });
    expect(out.get('C1|g3')?.ambiguous).toMatch(/already has a group named "Group two" with idnumber g2/);
    expect(out.get('C1|g4')).toEqual({ courseId: 7 });
    expect(reads.filter((e) => e === 'groups')).toHaveLength(1);
  });

  it("groups: an unlinked row's MOODLE_ID is looked for among its course's groups, never found another way", async () => {
    const rows: GroupRecord[] = [
      { key: 'C1|x', fields: { course: 'C1', group: 'x', name: 'Group one' }, moodleId: 71 },
      { key: 'C1|y', fields: { course: 'C1', group: 'y', name: 'Group one' }, moodleId: 99 },
    ];
    const out = await groupLookup(new FakeMoodle(), ledger)(rows, rows);
    expect(out.get('C1|x')).toEqual({ courseId: 7, match: { id: 71, via: 'moodle-id', by: 'moodle-id', name: 'Group two', description: '' } });
    expect(out.get('C1|y')).toEqual({ courseId: 7, moodleIdMissing: true });
  });

  it('group members: group and enrolment links in one read each, enrolment by link or by Moodle', async () => {
    const rows: GroupMemberRecord[] = ['p1', 'p2', 'p3', 'p9'].map((p) => ({ key: `C1|g1|${p}`, fields: { course: 'C1', group: 'g1', person: p } }));
    rows.push({ key: 'C1|g2|p1', fields: { course: 'C1', group: 'g2', person: 'p1' } });
    const moodle = new FakeMoodle();
    const out = await groupMemberLookup(moodle, ledger)(rows, rows);
    expect(out.get('C1|g1|p1')).toEqual({ userId: 1, groupId: 70, match: { id: 1, via: 'idnumber' }, enrolled: true });
    expect(out.get('C1|g1|p3')).toEqual({ userId: 3, groupId: 70, match: { id: 3, via: 'idnumber' }, enrolled: true });
    expect(out.get('C1|g1|p9')).toEqual({ groupId: 70 });
    expect(out.get('C1|g2|p1')).toEqual({ userId: 1, groupId: 71, match: { id: 1, via: 'idnumber' }, enrolled: true });
    expect(reads.filter((e) => e === 'groups')).toHaveLength(1);
    expect(reads.filter((e) => e === 'enrolments')).toHaveLength(1);
    // p3 is enrolled by its ledger link alone (Moodle lists users 1 and 2); Moodle's list is read once for the course.
    expect(moodle.calls.filter((f) => f === 'core_enrol_get_enrolled_users')).toHaveLength(1);
  });
});
