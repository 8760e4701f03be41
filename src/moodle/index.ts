export { MoodleClient } from './client.js';
export type { MoodleClientOptions } from './client.js';
export { encodeForm, countFormVars } from './encode.js';
export { MoodleError, TransientError, ProtocolError, TlsError, CircuitOpenError, isTransient, mayHaveCommitted } from './errors.js';
export { RateLimiter } from './rate.js';
export type { RateClock } from './rate.js';
export type { TransientReason } from './errors.js';
export { PERSON_FUNCTIONS, getSiteInfo, createUsers, updateUsers, deleteUsers, getUsersByField, getUsers } from './users.js';
export type * from './types.js';
export {
  CATEGORY_FUNCTIONS,
  COURSE_FUNCTIONS,
  categoryLeaves,
  courseLeaves,
  createCategories,
  getCategories,
  updateCategories,
  createCourses,
  updateCourses,
  getCoursesByField,
  getCoursesByIds,
  deleteCourses,
  duplicateCourse,
} from './courses.js';
export {
  ENROL_FUNCTIONS,
  enrolmentLeaves,
  getCourseEnrolmentMethods,
  enrolUsers,
  unenrolUsers,
  getEnrolledUsers,
  getUsersCourses,
} from './enrol.js';
export {
  GROUP_FUNCTIONS,
  groupLeaves,
  groupMemberLeaves,
  createGroups,
  updateGroupLeaves,
  updateGroups,
  deleteGroups,
  getCourseGroups,
  addGroupMembers,
  deleteGroupMembers,
  getGroupMembers,
} from './groups.js';
export {
  COHORT_FUNCTIONS,
  cohortLeaves,
  cohortMemberLeaves,
  createCohorts,
  updateCohorts,
  deleteCohorts,
  getCohorts,
  searchCohorts,
  addCohortMembers,
  parseCohortMemberWarning,
  deleteCohortMembers,
  getCohortMembers,
} from './cohorts.js';
export type {
  CohortInput,
  UpdateCohortInput,
  MoodleCohort,
  CohortMemberInput,
  CohortMemberWarning,
  ParsedCohortMemberWarning,
} from './cohorts.js';
export { ROLE_FUNCTIONS, roleAssignmentLeaves, assignRoles, unassignRoles } from './roles.js';
export type { RoleContextLevel, RoleAssignmentInput } from './roles.js';
export { GRADE_FUNCTIONS, getGradeItems, getCourseCompletionStatus, getActivitiesCompletionStatus } from './grades.js';
export type { GradeItem, UserGrades, CourseCompletionStatus, ActivityCompletion } from './grades.js';
export { UPLOAD_SCRIPT } from './client.js';
export type { UploadFile } from './client.js';
export { PICTURE_FUNCTIONS, PICTURE_CAPABILITIES, uploadToDraft, updatePicture, filesUpload, pictureRevision } from './pictures.js';
export type { DraftUploader, DraftFile, UpdatePictureResult, FilesUploadResult } from './pictures.js';
export { getContents, getUpdatesSince, checkUpdates, getCourses, searchCourses } from './content.js';
export type { ContentModule, ContentSection, ContentsOption, CourseUpdates, UpdatedInstance, UpdateArea, UpdateCheck, FullCourse, SearchedCourse } from './content.js';
export { getQuizzesByCourses, getRandomQuestionSummaries } from './quiz.js';
export type { MoodleQuiz, QuestionSummary, QuestionSummaryQuery } from './quiz.js';
export { REST_CAPABILITY, FUNCTION_CAPABILITIES, capabilitiesFor } from './capabilities.js';
