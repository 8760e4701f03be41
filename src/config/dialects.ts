/** The `dialects` config object (registered in config/index.ts): how other tools' files are read (src/dialects/). */
import { z } from 'zod';

export const dialectsSchema = z
  .object({
    /** Slash dates (Moodle's upload tools): 03/04/2026 is 4 March (mdy, the default) or 3 April (dmy). */
    dateOrder: z.enum(['mdy', 'dmy']).default('mdy'),
    /** IANA zone of dates and times written without an offset (default the machine's). */
    timezone: z.string().min(1).optional(),
    /** enrol_flatfile's role mapping: the role name in the file → Moodle role shortname. */
    flatfileRoles: z.record(z.string().min(1), z.string().min(1)).default(() => ({})),
    /** tool_sync: what `uid` and `cid` (and the users file's key) name, as its settings say. */
    toolSync: z
      .object({
        userIdentifier: z.enum(['idnumber', 'username', 'id', 'email']).default('idnumber'),
        courseIdentifier: z.enum(['idnumber', 'shortname', 'id']).default('shortname'),
        /** The group members file's `groupid`: the group's idnumber or its name in the course. */
        groupIdentifier: z.enum(['idnumber', 'name', 'id']).default('idnumber'),
      })
      .strict()
      .default(() => ({ userIdentifier: 'idnumber' as const, courseIdentifier: 'shortname' as const, groupIdentifier: 'idnumber' as const })),
    /** Blackboard course feeds without a CATEGORY column: the category (idnumber) their courses go to. */
    defaultCategory: z.string().min(1).optional(),
    /** Moodle Upload users' upload type: add new only, add and update (the default), update only. */
    uploadType: z.enum(['addnew', 'addupdate', 'update']).default('addupdate'),
  })
  .strict();

export type DialectsConfig = z.infer<typeof dialectsSchema>;
