/**
 * The completion functions: core_completion_get_course_completion_status and
 * core_completion_get_activities_completion_status (completion/classes/external.php, lib/completionlib.php and the
 * criteria classes of completion/criteria/), over completion-store.ts, with the 4.5 activity fields the recorded
 * site returned (contract/2026-12 cases 190–193).
 */
import { moodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { multiple, single, value, warningsDesc, VALUE_OPTIONAL, nullable } from './params.js';
import type { CourseRow } from './course-store.js';
import { activeStudents, getCourse, getUser, requireCapability } from './grades.js';
import {
  COMPLETION_AGGREGATION_ALL, COMPLETION_CRITERIA_TYPE_ACTIVITY, COMPLETION_COMPLETE, COMPLETION_COMPLETE_PASS,
  COMPLETION_TRACKING_AUTOMATIC, type CriterionState,
} from './completion-store.js';
import type { ModuleRow } from './content-store.js';


/** $CFG->enablecompletion (on, as site info's advanced features say) and the course's own switch. */
function completionEnabled(course: CourseRow): boolean {
  return course.enablecompletion === 1;
}

/** completion_info::is_tracked_user(): enrolled, active, with a role that is in completion reports (student). */
function isTrackedUser(ctx: FunctionContext, courseid: number, userid: number): boolean {
  return activeStudents(ctx, courseid, userid).length > 0;
}

function isGraded(ctx: FunctionContext, cm: ModuleRow): boolean {
  return (ctx.store.content.instance(cm.modname, cm.instance)?.grade ?? 0) > 0;
}

/** The criterion's row: completion_criteria_activity / _grade get_title(), get_status() and get_details(). */
function criterionRow(ctx: FunctionContext, s: CriterionState, userid: number): Record<string, unknown> {
  const c = s.criterion;
  if (c.criteriatype === COMPLETION_CRITERIA_TYPE_ACTIVITY) {
    const cm = ctx.store.content.module(c.moduleinstance as number);
    const name = cm ? ctx.store.content.instance(cm.modname, cm.instance)?.name ?? '' : '';
    const requirement = !cm ? '' : cm.completion === COMPLETION_TRACKING_AUTOMATIC
      ? (isGraded(ctx, cm) ? 'Achieving grade' : 'Viewing the activity') : 'Marking yourself complete';
    return {
      type: c.criteriatype, title: 'Activity completion', status: s.complete ? 'Yes' : 'No', complete: s.complete,
      timecompleted: s.timecompleted,
      details: {
        type: 'Activity completion',
        criteria: `<a href="${ctx.siteUrl}/mod/${c.module}/view.php?id=${c.moduleinstance}">${name}</a>`,
        requirement, status: '',
      },
    };
  }
  const grade = ctx.store.grades.courseTotal(c.course, userid).value;
  const required = `${round2(c.gradepass ?? 0)}%`;
  return {
    type: c.criteriatype, title: 'Course grade',
    status: `${grade ? `${round2(grade)}%` : 'No grade'} (${required} required)`,
    complete: s.complete, timecompleted: s.timecompleted,
    details: { type: 'Course grade', criteria: 'Required course grade', requirement: required,
      status: grade ? `${round2(grade)}%` : '' },
  };
}

const round2 = (v: number): string => String(Math.round(v * 100) / 100);

function getCourseCompletionStatus(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const course = getCourse(ctx, params.courseid as number);
  const user = getUser(ctx, params.userid as number, 'id');
  // completion_can_view_data(): completion on in the site and the course, and report/completion:view.
  if (!completionEnabled(course) || ctx.store.grades.prohibited(course.id, 'report/completion:view')) {
    throw moodleException('cannotviewreport', 'You cannot view this report');
  }
  if (!isTrackedUser(ctx, course.id, user.id)) {
    throw moodleException('usernotenroled', 'User is not enrolled in this course');
  }
  const states = ctx.store.completion.states(course.id, user.id);
  if (states.length === 0) throw moodleException('nocriteriaset', 'No completion criteria set for this course');
  return {
    completionstatus: {
      completed: ctx.store.completion.timecompleted(course.id, user.id) !== null,
      aggregation: ctx.store.completion.aggregation(course.id) ?? COMPLETION_AGGREGATION_ALL,
      completions: states.map((s) => criterionRow(ctx, s, user.id)),
    },
    warnings: [],
  };
}

/** The course's modules in course order (section, then the section's sequence), as modinfo lists them. */
function modulesInOrder(ctx: FunctionContext, courseid: number): ModuleRow[] {
  const byId = new Map(ctx.store.content.modules(courseid).map((m) => [m.id, m]));
  const out: ModuleRow[] = [];
  for (const section of ctx.store.content.sections(courseid)) {
    for (const id of section.sequence.split(',').filter(Boolean)) {
      const m = byId.get(Number(id));
      if (m) out.push(m);
    }
  }
  return out;
}

function getActivitiesCompletionStatus(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const course = getCourse(ctx, params.courseid as number);
  const user = getUser(ctx, params.userid as number, 'id');
  requireCapability(ctx, course.id, 'report/progress:view');
  const tracked = isTrackedUser(ctx, course.id, user.id);
  const enabled = completionEnabled(course);
  const statuses = modulesInOrder(ctx, course.id)
    .filter((cm) => enabled && cm.completion > 0 && cm.deletioninprogress === 0)
    .map((cm) => {
      const row = ctx.store.completion.moduleState(cm.id, user.id);
      const state = row?.completionstate ?? 0;
      const complete = state === COMPLETION_COMPLETE || state === COMPLETION_COMPLETE_PASS;
      const automatic = cm.completion === COMPLETION_TRACKING_AUTOMATIC;
      const details = !automatic ? [] : isGraded(ctx, cm)
        ? [{ rulename: 'completionusegrade', rulevalue: { status: complete ? 1 : 0, description: 'Receive a grade' } }]
        : [{ rulename: 'completionview', rulevalue: { status: complete ? 1 : 0, description: 'View' } }];
      return {
        cmid: cm.id, modname: cm.modname, instance: cm.instance, state, timecompleted: row?.timemodified ?? 0,
        tracking: cm.completion, overrideby: null, valueused: false, hascompletion: true, isautomatic: automatic,
        istrackeduser: tracked, uservisible: true, details, isoverallcomplete: complete,
      };
    });
  return { statuses, warnings: [] };
}

export const COMPLETION_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_completion_get_activities_completion_status',
    params: single({ courseid: value('int'), userid: value('int') }),
    returns: single({
      statuses: multiple(single({
        cmid: value('int'), modname: value('plugin'), instance: value('int'), state: value('int'),
        timecompleted: value('int'), tracking: value('int'), overrideby: nullable(value('int', VALUE_OPTIONAL)),
        valueused: value('bool', VALUE_OPTIONAL), hascompletion: value('bool', VALUE_OPTIONAL),
        isautomatic: value('bool', VALUE_OPTIONAL), istrackeduser: value('bool', VALUE_OPTIONAL),
        uservisible: value('bool', VALUE_OPTIONAL),
        details: multiple(single({
          rulename: value('text'), rulevalue: single({ status: value('int'), description: value('text') }),
        }), VALUE_OPTIONAL),
        isoverallcomplete: value('bool', VALUE_OPTIONAL),
      })),
      warnings: warningsDesc,
    }),
    write: false,
    run: getActivitiesCompletionStatus,
  },
  {
    name: 'core_completion_get_course_completion_status',
    params: single({ courseid: value('int'), userid: value('int') }),
    returns: single({
      completionstatus: single({
        completed: value('bool'), aggregation: value('int'),
        completions: multiple(single({
          type: value('int'), title: value('text'), status: value('notags'), complete: value('bool'),
          timecompleted: nullable(value('int')),
          details: single({ type: value('text'), criteria: value('raw'), requirement: value('text'), status: value('text') }),
        })),
      }),
      warnings: warningsDesc,
    }),
    write: false,
    run: getCourseCompletionStatus,
  },
];
