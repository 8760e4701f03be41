/** The web-service functions each export calls: checked by its session's preflight and by `mdlsync doctor --exports`. */
import { capabilitiesFor } from '../moodle/capabilities.js';
import type { ExportKind } from './rows.js';

export const EXPORT_FUNCTIONS: Record<ExportKind, readonly string[]> = {
  grades: ['core_webservice_get_site_info', 'gradereport_user_get_grade_items', 'core_course_get_categories', 'core_course_get_courses_by_field'],
  completions: [
    'core_webservice_get_site_info', 'core_enrol_get_enrolled_users', 'core_completion_get_course_completion_status',
    'core_completion_get_activities_completion_status', 'core_course_get_categories', 'core_course_get_courses_by_field',
  ],
};

/** The capabilities each export's functions need (what `mdlsync setup --exports` lists). */
export const EXPORT_CAPABILITIES: Record<ExportKind, readonly string[]> = {
  grades: capabilitiesFor(EXPORT_FUNCTIONS.grades),
  completions: capabilitiesFor(EXPORT_FUNCTIONS.completions),
};

export const EXPORT_KINDS = Object.keys(EXPORT_FUNCTIONS) as ExportKind[];
export const isExportKind = (s: string): s is ExportKind => Object.hasOwn(EXPORT_FUNCTIONS, s);
