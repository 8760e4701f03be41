/** The `enrolments` config object (registered in config/index.ts). */
import { z } from 'zod';
import { DEFAULT_ROLE_IDS, DEFAULT_ROLE_MAP, shadowingRoleMapEntries } from '../entities/enrolments/rules.js';

export const enrolmentsSchema = z
  .object({
    /** SIS role names (case-insensitive) → Moodle role shortnames. Replaces the default map when given. */
    roleMap: z.record(z.string().min(1), z.string().min(1)).default(() => ({ ...DEFAULT_ROLE_MAP })),
    /** Moodle role shortname → role id (this Moodle's web services cannot list roles). Replaces the defaults when given. */
    roleIds: z.record(z.string().min(1), z.number().int().positive()).default(() => ({ ...DEFAULT_ROLE_IDS })),
    /** What disabling an enrolment does: unenrol (default) or suspend it (keeps grades, groups and history). */
    disable: z.enum(['unenrol', 'suspend']).default('unenrol'),
  })
  .strict()
  .superRefine((e, ctx) => {
    // A shortname in a file always means that role, so an entry that would remap one is a mistake, not a choice.
    for (const s of shadowingRoleMapEntries(e.roleMap, e.roleIds)) {
      ctx.addIssue({
        code: 'custom',
        path: ['roleMap'],
        message: `the entry "${s.name}" → "${s.mappedTo}" shadows the Moodle role shortname "${s.shortname}" (enrolments.roleIds), which a file always means as itself: remove the entry`,
      });
    }
  });

export type EnrolmentsConfig = z.infer<typeof enrolmentsSchema>;
