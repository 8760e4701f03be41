/**
 * Moodle's flat-file enrolment plugin (enrol_flatfile): headerless lines `operation, role, user idnumber, course
 * idnumber[, starttime, endtime]`, `add` or `del`, Unix times. Roles go through the plugin's role mapping (config
 * `dialects.flatfileRoles`: the name in the file → role shortname), else are read as mdlsync reads any role.
 * Source: Moodle Docs "Flat file" (https://docs.moodle.org/en/Flat_file) and enrol/flatfile/lang/en/enrol_flatfile.php.
 */
import type { DialectDefinition } from '../definition.js';
import { PartFailure } from '../values.js';

const OPERATIONS = new Set(['add', 'del']);

export const enrolFlatfile: DialectDefinition = {
  name: 'enrol-flatfile',
  title: 'Moodle flat-file enrolment (enrol_flatfile)',
  source: 'https://docs.moodle.org/en/Flat_file',
  kinds: [
    {
      name: 'enrolments',
      title: 'file',
      entities: ['enrolments'],
      headerless: {
        columns: ['operation', 'role', 'user idnumber', 'course idnumber', 'starttime', 'endtime'],
        test: (cells) => cells.length >= 4 && cells.length <= 6 && OPERATIONS.has(cells[0].trim().toLowerCase()),
      },
      claims: () => false,
      columns: [
        { name: 'operation', treatment: 'acts', means: '`add` enrols (store), `del` unenrols (as enrolments.disable says)' },
        { name: 'role', treatment: 'acts', means: 'the role: through dialects.flatfileRoles (the plugin\'s role mapping), else a role shortname or an enrolments.roleMap name' },
        { name: 'user idnumber', treatment: 'acts', means: 'the person, by idnumber (EXTERNAL_PERSON_KEY)' },
        { name: 'course idnumber', treatment: 'acts', means: 'the course, by idnumber (EXTERNAL_COURSE_KEY)' },
        { name: 'starttime', treatment: 'acts', means: 'enrolment start, Unix time (0 or absent: none)' },
        { name: 'endtime', treatment: 'acts', means: 'enrolment end, Unix time (0 or absent: none)' },
      ],
      compile(_lower, _columns, settings) {
        const roles = new Map(Object.entries(settings.flatfileRoles).map(([k, v]) => [k.toLowerCase(), v]));
        const header = ['operation', 'role', 'idnumber_user', 'idnumber_course', 'timestart', 'timeend'];
        return {
          parts: [{ type: 'enrolments', header }],
          warnings: [],
          translate(cells) {
            const [op, role, user, course, start = '', end = ''] = cells.map((c) => c.trim());
            const key = `${course}|${user}`;
            if (!OPERATIONS.has(op.toLowerCase())) return { error: { code: 'invalid-value', message: `the operation is "${op}", expected add or del`, key } };
            const time = (v: string): string | PartFailure => (v === '' || v === '0' ? '' : /^\d+$/.test(v) ? v : new PartFailure('invalid-value', `the time "${v}" is not a Unix time (seconds since 1970)`, key));
            const [timestart, timeend] = [time(start), time(end)];
            const failed = [timestart, timeend].find((t) => t instanceof PartFailure);
            if (failed) return { rows: { enrolments: [failed] } };
            return {
              rows: {
                enrolments: [{ operation: op.toLowerCase(), role: roles.get(role.toLowerCase()) ?? role, idnumber_user: user, idnumber_course: course, timestart: timestart as string, timeend: timeend as string }],
              },
            };
          },
        };
      },
    },
  ],
};
