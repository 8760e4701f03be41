/**
 * core_group's functions (create, update, delete and list groups, add, remove and list members), with Moodle 4.5's
 * parameter and return descriptions and the checks, in order, of group/externallib.php and group/lib.php.
 */
import { invalidParameter, missingRecord, MoodleException, moodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { formatParam, multiple, phpTrim, single, value, VALUE_DEFAULT, VALUE_OPTIONAL, nullable } from './params.js';
import type { CourseStore, GroupRow } from './course-store.js';
import type { UserRow } from './user-store.js';

const now = () => Math.floor(Date.now() / 1000);
const cs = (ctx: FunctionContext): CourseStore => ctx.store.courses;

/** validate_context() on the context of a course that does not exist. */
function courseContextError(courseid: number): MoodleException {
  return moodleException(
    'errorcoursecontextnotvalid',
    `You cannot execute functions in the course context (course id:${courseid}). ` +
      'The context error message was: Invalid parameter value detected',
  );
}

function createGroups(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const out: Record<string, unknown>[] = [];
  ctx.store.transaction(() => {
    for (const g of params.groups as Record<string, unknown>[]) {
      const courseid = g.courseid as number;
      const name = g.name as string;
      if (phpTrim(name) === '') throw invalidParameter('Invalid group name');
      if (ctx.store.db.prepare('SELECT 1 FROM course_groups WHERE courseid = ? AND name = ?').get(courseid, name)) {
        throw invalidParameter('Group with the same name already exists in the course');
      }
      if (!cs(ctx).course(courseid)) throw courseContextError(courseid);
      if (![0, 1, 2, 3].includes(g.visibility as number)) throw invalidParameter('Invalid group visibility');
      const idnumber = (g.idnumber as string | undefined) ?? '';
      if (idnumber !== '' &&
        ctx.store.db.prepare('SELECT 1 FROM course_groups WHERE courseid = ? AND idnumber = ?').get(courseid, idnumber)) {
        throw moodleException('idnumbertaken', 'This ID number is already in use');
      }
      const t = now();
      const id = cs(ctx).insert('course_groups', {
        courseid, name, idnumber, description: g.description, descriptionformat: g.descriptionformat,
        enrolmentkey: g.enrolmentkey ?? null, visibility: g.visibility, participation: g.participation ? 1 : 0,
        timecreated: t, timemodified: t,
      });
      out.push({
        id, courseid, name, description: g.description, descriptionformat: g.descriptionformat,
        enrolmentkey: g.enrolmentkey ?? '', idnumber, visibility: g.visibility, participation: g.participation,
      });
    }
  });
  return out;
}

function groupRecord(g: GroupRow): Record<string, unknown> {
  return {
    id: g.id, courseid: g.courseid, name: g.name, description: g.description ?? '',
    descriptionformat: g.descriptionformat, enrolmentkey: g.enrolmentkey, idnumber: g.idnumber,
    visibility: g.visibility, participation: g.participation === 1,
  };
}

function getCourseGroups(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const courseid = params.courseid as number;
  if (!cs(ctx).course(courseid)) throw courseContextError(courseid);
  return cs(ctx).groups(courseid).map(groupRecord);
}

/**
 * update_groups(): all or nothing. A group is found by id; name is required, everything else optional
 * (descriptionformat defaults to 1 and is always written, as update_record() writes every given field).
 */
function updateGroups(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const g of params.groups as Record<string, unknown>[]) {
      const id = g.id as number;
      const name = g.name as string;
      if (phpTrim(name) === '') throw invalidParameter('Invalid group name');
      const current = cs(ctx).group(id);
      if (!current) throw invalidParameter(`Group ${id} does not exist`);
      if (name !== current.name &&
        ctx.store.db.prepare('SELECT 1 FROM course_groups WHERE courseid = ? AND name = ?').get(current.courseid, name)) {
        throw invalidParameter('A different group with the same name already exists in the course');
      }
      const changes: Record<string, unknown> = {};
      if (g.visibility !== undefined || g.participation !== undefined) {
        const hasMembers = cs(ctx).members(id).length > 0;
        if (g.visibility !== undefined) {
          // PARAM_TEXT handed to validate_visibility(int): 0–3 are the allowed keys.
          const visibility = Number(g.visibility);
          if (!/^\s*\d+\s*$/.test(String(g.visibility)) || ![0, 1, 2, 3].includes(visibility)) {
            throw invalidParameter('Invalid group visibility provided. Must be one of 0,1,2,3');
          }
          if (hasMembers && visibility !== current.visibility) {
            throw invalidParameter('The visibility of this group cannot be changed as it currently has members.');
          }
          changes.visibility = visibility;
        }
        if (g.participation !== undefined && hasMembers && (g.participation ? 1 : 0) !== current.participation) {
          throw invalidParameter('The participation mode of this group cannot be changed as it currently has members.');
        }
      }
      if (!cs(ctx).course(current.courseid)) throw courseContextError(current.courseid);
      // groups_update_group(): trims, then the idnumber must be the course's only one (an empty one is never taken).
      changes.name = phpTrim(name);
      if (g.idnumber !== undefined) {
        const idnumber = phpTrim(g.idnumber as string);
        const other = idnumber === '' ? undefined : ctx.store.db
          .prepare('SELECT id FROM course_groups WHERE courseid = ? AND idnumber = ?').get(current.courseid, idnumber) as { id: number } | undefined;
        if (other && other.id !== id) throw moodleException('idnumbertaken', 'This ID number is already in use');
        changes.idnumber = idnumber;
      }
      if (g.description !== undefined) changes.description = g.description;
      changes.descriptionformat = g.descriptionformat;
      if (g.enrolmentkey !== undefined) changes.enrolmentkey = g.enrolmentkey;
      if (g.participation !== undefined) changes.participation = g.participation ? 1 : 0;
      // Hidden visibilities (own membership, none) switch participation off.
      if (changes.visibility !== undefined && ![0, 1].includes(changes.visibility as number)) changes.participation = 0;
      changes.timemodified = now();
      cs(ctx).update('course_groups', id, changes);
    }
  });
  return null;
}

/** delete_groups(): a group that does not exist is skipped silently; groups_delete_group() takes its members along. */
function deleteGroups(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const id of params.groupids as number[]) {
      const group = cs(ctx).group(id);
      if (!group) continue;
      if (!cs(ctx).course(group.courseid)) throw courseContextError(group.courseid);
      cs(ctx).deleteGroup(id);
    }
  });
  return null;
}

/** The lookups add and delete share: the group, the (not deleted) user, the course context. */
function memberTarget(ctx: FunctionContext, m: { groupid: number; userid: number }): { group: GroupRow; user: UserRow } {
  const group = cs(ctx).group(m.groupid);
  if (!group) throw missingRecord('groups', 'SELECT * FROM {groups} WHERE id = ?', [m.groupid]);
  const user = ctx.store.get(m.userid);
  if (!user || user.deleted) {
    throw missingRecord('user', 'SELECT * FROM {user} WHERE id = ? AND deleted = ? AND mnethostid = ?', [m.userid, 0, 1]);
  }
  if (!cs(ctx).course(group.courseid)) throw courseContextError(group.courseid);
  return { group, user };
}

function addGroupMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const m of params.members as { groupid: number; userid: number }[]) {
      const { group, user } = memberTarget(ctx, m);
      // is_enrolled() with onlyactive false: a suspended enrolment counts.
      if (!cs(ctx).isEnrolled(group.courseid, user.id)) {
        throw invalidParameter('Only enrolled users may be members of groups');
      }
      // groups_add_member(): already a member is no error.
      if (!cs(ctx).members(group.id).includes(user.id)) {
        cs(ctx).insert('groups_members', { groupid: group.id, userid: user.id, timeadded: now() });
      }
    }
  });
  return null;
}

function deleteGroupMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const m of params.members as { groupid: number; userid: number }[]) {
      const { group, user } = memberTarget(ctx, m);
      const row = ctx.store.db.prepare('SELECT component FROM groups_members WHERE groupid = ? AND userid = ?')
        .get(group.id, user.id) as { component: string } | undefined;
      if (row && row.component !== '') {
        throw moodleException('errorremovenotpermitted',
          `You are not allowed to remove automatically added member ${user.firstname} ${user.lastname}`);
      }
      ctx.store.db.prepare('DELETE FROM groups_members WHERE groupid = ? AND userid = ?').run(group.id, user.id);
    }
  });
  return null;
}

function getGroupMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  return (params.groupids as number[]).map((groupid) => {
    const group = cs(ctx).group(groupid);
    if (!group) {
      throw missingRecord('groups', 'SELECT id, courseid, name, enrolmentkey FROM {groups} WHERE id = ?', [groupid]);
    }
    if (!cs(ctx).course(group.courseid)) throw courseContextError(group.courseid);
    const users = cs(ctx).members(groupid).map((id) => ctx.store.get(id) as UserRow);
    users.sort((a, b) => a.lastname.localeCompare(b.lastname) || a.firstname.localeCompare(b.firstname) || a.id - b.id);
    return { groupid, userids: users.map((u) => u.id) };
  });
}

const groupDesc = single({
  id: value('int'), courseid: value('int'), name: value('text'), description: value('raw'),
  descriptionformat: value('int'), enrolmentkey: nullable(value('raw')), idnumber: value('raw'),
  visibility: value('int'), participation: value('bool'),
  customfields: multiple(single({ shortname: value('alphanumext'), value: value('raw') }), VALUE_OPTIONAL),
});

const memberParam = multiple(single({ groupid: value('int'), userid: value('int') }));

export const GROUP_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_group_create_groups',
    params: single({ groups: multiple(single({
      courseid: value('int'), name: value('text'), description: value('raw'), descriptionformat: formatParam(),
      enrolmentkey: value('raw', VALUE_OPTIONAL), idnumber: value('raw', VALUE_OPTIONAL),
      visibility: value('int', VALUE_DEFAULT, 0), participation: value('bool', VALUE_DEFAULT, true),
      customfields: multiple(single({ shortname: value('alphanumext'), value: value('raw') }), VALUE_OPTIONAL),
    })) }),
    returns: multiple(groupDesc),
    write: true,
    run: createGroups,
  },
  {
    name: 'core_group_update_groups',
    params: single({ groups: multiple(single({
      id: value('int'), name: value('text'), description: value('raw', VALUE_OPTIONAL), descriptionformat: formatParam(),
      enrolmentkey: value('raw', VALUE_OPTIONAL), idnumber: value('raw', VALUE_OPTIONAL),
      visibility: value('text', VALUE_OPTIONAL), participation: value('bool', VALUE_OPTIONAL),
      customfields: multiple(single({ shortname: value('alphanumext'), value: value('raw') }), VALUE_OPTIONAL),
    })) }),
    returns: null,
    write: true,
    run: updateGroups,
  },
  {
    name: 'core_group_delete_groups',
    params: single({ groupids: multiple(value('int')) }),
    returns: null,
    write: true,
    run: deleteGroups,
  },
  {
    name: 'core_group_get_course_groups',
    params: single({ courseid: value('int') }),
    returns: multiple(groupDesc),
    write: false,
    run: getCourseGroups,
  },
  {
    name: 'core_group_add_group_members',
    params: single({ members: memberParam }),
    returns: null,
    write: true,
    run: addGroupMembers,
  },
  {
    name: 'core_group_delete_group_members',
    params: single({ members: memberParam }),
    returns: null,
    write: true,
    run: deleteGroupMembers,
  },
  {
    name: 'core_group_get_group_members',
    params: single({ groupids: multiple(value('int')) }),
    returns: multiple(single({ groupid: value('int'), userids: multiple(value('int')) })),
    write: false,
    run: getGroupMembers,
  },
];
