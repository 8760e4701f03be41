/** Persons: users, keyed by EXTERNAL_PERSON_KEY (stored in idnumber) or, in Moodle's dialect, by username or idnumber. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import { PERSON_FUNCTIONS } from '../../moodle/users.js';
import type { EntityDefinition } from '../definition.js';
import { personsApplier } from './apply.js';
import { personRowMapper } from './feed.js';
import { PERSON_HEADERS } from './headers.js';
import { resolvePersons } from './lookup.js';
import { PersonPlanner } from './rules.js';
import { PERSON_UNDO } from './undo.js';

export const persons: EntityDefinition<'persons'> = {
  type: 'persons',
  dependsOn: [],
  // A block or unblock row (ACTION column) removes or restores the person's enrolments (account-lifecycle.ts).
  alsoWrites: (info) => (info.fields.includes('command') ? ['enrolments'] : []),
  headers: PERSON_HEADERS,
  rowMapper: personRowMapper,
  functions: PERSON_FUNCTIONS,
  capabilities: capabilitiesFor(PERSON_FUNCTIONS),
  planner: (options, _settings, sink) => new PersonPlanner(options, sink),
  // Usernames are left to the applier (see ResolveOptions.byUsername): a first load then costs few look-ups.
  lookup: (client, _ledger, reads) => async (unplaced) => (unplaced.length > 0 ? resolvePersons(client, unplaced, { byUsername: false, ...reads }) : new Map()),
  applier: personsApplier,
  undo: PERSON_UNDO,
};
