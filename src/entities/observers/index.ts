/** Observers: a parent or mentor linked to the person they observe (a role in that person's user context). */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { observersApplier } from './apply.js';
import { OBSERVER_HEADERS, observerRowMapper } from './feed.js';
import { observerLookup } from './lookup.js';
import { ObserverPlanner } from './rules.js';

/** The wsfunctions an observers run calls. */
const OBSERVER_RUN_FUNCTIONS: readonly string[] = ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_role_assign_roles', 'core_role_unassign_roles'];

export const observers: EntityDefinition<'observers'> = {
  type: 'observers',
  dependsOn: ['persons'],
  headers: OBSERVER_HEADERS,
  rowMapper: observerRowMapper,
  functions: OBSERVER_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(OBSERVER_RUN_FUNCTIONS),
  planner: (options, settings, sink) => new ObserverPlanner(options, settings.observers, sink),
  lookup: (client, ledger, reads) => observerLookup(client, ledger, reads),
  applier: observersApplier,
};
