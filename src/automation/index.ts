export { startWatch, PROCESSING_DIR, REJECTED_DIR, type WatchEvent, type WatchHandle, type WatchOptions } from './watch.js';
export { startSchedule, runJob, findJob, expandGlob, type JobResult, type JobStats, type ScheduleHandle, type ScheduleOptions } from './schedule.js';
export { classify, isIgnoredName, byDependencyThenAge, type Classified, type Classification } from './classify.js';
export { runTarget, worstExit, type RunTarget, type RunVerdict } from './runner.js';
