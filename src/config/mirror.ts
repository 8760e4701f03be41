/** The `mirror` config object (registered in config/index.ts): `mdlsync mirror` and scheduled mirror jobs. */
import { z } from 'zod';

const timeoutMs = z.number().int().min(100).max(600_000).default(30_000);

/** What runs once per change: a command (spawned without a shell, the change as JSON on stdin) or an HTTP POST. */
export const onChangeSchema = z.union([
  z.object({ command: z.array(z.string().min(1)).min(1), timeoutMs }).strict(),
  z.object({ url: z.string().url().refine((u) => /^https?:\/\//i.test(u), { message: 'an http(s) URL' }), timeoutMs }).strict(),
]);

export const mirrorSchema = z
  .object({
    /** A SQLite file (default mirror.sqlite beside the ledger) or a postgres:// URL. */
    database: z.string().min(1).optional(),
    /** Also append every pass's changes to this JSON-lines file (each pass writes reports/RUNID/changes.jsonl anyway). */
    changeLog: z.string().min(1).optional(),
    onChange: onChangeSchema.optional(),
    /** Only changes of these objects run onChange (module, course, course_editor, user …); default all. */
    notifyObjects: z.array(z.string().min(1)).min(1).optional(),
    /** Courses whose enrolments, roles and groups each pass re-reads (besides new ones), longest unread first. */
    membershipCoursesPerPass: z.number().int().min(0).default(20),
    /** Role short names that make an enrolled user a course editor. */
    editorRoles: z.array(z.string().min(1)).min(1).default(() => ['editingteacher', 'manager']),
    /** Question categories to mirror: no web-service function lists them (see README). */
    questionCategories: z.array(z.object({ categoryid: z.number().int().positive(), contextid: z.number().int().positive() }).strict()).default(() => []),
    /**
     * How users are read: `one-call` (core_user_get_users, every user with an email at once) or `by-id`
     * (core_user_get_users_by_field, max_input_vars' worth of ids a call) where one call would outlast a proxy timeout.
     */
    users: z.enum(['one-call', 'by-id']).default('one-call'),
    /** Taken off this machine's clock for the next "changed since" (clock skew with Moodle). */
    clockMarginSeconds: z.number().int().min(0).default(300),
  })
  .strict();

export type MirrorConfig = z.infer<typeof mirrorSchema>;
export type OnChangeConfig = z.infer<typeof onChangeSchema>;
