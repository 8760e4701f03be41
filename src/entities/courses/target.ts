/** What the courses planner resolves for the applier: the course's category and its template. */
export interface CourseTarget {
  /** The category's Moodle id, when it exists already. */
  categoryId?: number;
  /**
   * A category path with levels Moodle lacks: `levels` is the whole path, the first `existing` levels exist (the
   * last of them is `parentId`, 0 for the top level); the applier creates the rest, parents first.
   */
  createPath?: { levels: string[]; existing: number; parentId: number };
  /** TEMPLATE: the Moodle id of the course to copy on create. */
  templateId?: number;
}

/** The ledger key (entity categories) of a path level: `path:2026/September/Morning`. */
export function pathLevelKey(levels: readonly string[], depth: number): string {
  return `path:${levels.slice(0, depth).join('/')}`;
}
