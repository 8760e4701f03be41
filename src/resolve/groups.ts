/** The groups of a course in Moodle (core_group_get_course_groups), read once per course and kept for the run. */
import { getCourseGroups } from '../moodle/index.js';
import type { MoodleCaller, MoodleGroup } from '../moodle/types.js';
import type { Retry } from './common.js';

export class CourseGroups {
  private readonly groups = new Map<number, MoodleGroup[]>();
  constructor(
    private readonly client: MoodleCaller,
    private readonly retry: Retry,
  ) {}

  async of(courseId: number): Promise<MoodleGroup[]> {
    let g = this.groups.get(courseId);
    if (!g) {
      g = await this.retry(() => getCourseGroups(this.client, courseId));
      this.groups.set(courseId, g);
    }
    return g;
  }
}
