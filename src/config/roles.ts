/** The `institutionRoles` and `observers` config objects (registered in config/index.ts). Role ids come from `enrolments.roleIds`. */
import { z } from 'zod';

export const institutionRolesSchema = z
  .object({
    /** cohort (default): each ROLE_ID is a cohort `role:ROLE_ID`, the person a member; system-role: a Moodle role at system context. */
    mode: z.enum(['cohort', 'system-role']).default('cohort'),
    /** system-role mode: ROLE_ID (case-insensitive) → Moodle role shortname, whose id enrolments.roleIds gives. */
    roleMap: z.record(z.string().min(1), z.string().min(1)).default(() => ({})),
  })
  .strict();

export const observersSchema = z
  .object({
    /** Shortname of the role given to the observer in the observed person's user context; its id comes from enrolments.roleIds. */
    role: z.string().min(1).default('parent'),
  })
  .strict();

export type InstitutionRolesConfig = z.infer<typeof institutionRolesSchema>;
export type ObserversConfig = z.infer<typeof observersSchema>;
