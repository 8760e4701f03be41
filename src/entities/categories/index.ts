/** Categories: course categories, keyed by EXTERNAL_CATEGORY_KEY (stored in idnumber), placed under their parent. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import { CATEGORY_FUNCTIONS } from '../../moodle/courses.js';
import type { EntityDefinition } from '../definition.js';
import { categoriesApplier } from './apply.js';
import { categoryRowMapper } from './feed.js';
import { CATEGORY_HEADERS } from './headers.js';
import { categoryLookup } from './lookup.js';
import { CategoryPlanner } from './rules.js';

export const categories: EntityDefinition<'categories'> = {
  type: 'categories',
  dependsOn: [],
  headers: CATEGORY_HEADERS,
  rowMapper: categoryRowMapper,
  functions: CATEGORY_FUNCTIONS,
  capabilities: capabilitiesFor(CATEGORY_FUNCTIONS),
  planner: (options, _settings, sink) => new CategoryPlanner(options, sink),
  lookup: (client, ledger, reads) => categoryLookup(client, ledger, reads),
  applier: categoriesApplier,
};
