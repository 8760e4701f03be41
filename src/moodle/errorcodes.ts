/**
 * Moodle's own errorcodes and warningcodes, each with a plain-language hint: what a report row, a summary or the
 * console shows next to Moodle's code. Production sites hide debuginfo (the sentence that names the record or field),
 * so a hint must help from the code alone; where Moodle's message does say more (debugging on, or a message Moodle
 * always builds), REFINEMENTS give a sharper hint. Meanings are read from Moodle's source (lang/en/error.php,
 * lang/en/webservice.php, user/, course/, enrol/manual/, cohort/, group/ externallib) and the recorded cases of
 * contract/. README's "Moodle's error codes" section lists this table (test/moodle-error-codes.test.ts).
 *
 * A leaf module: it imports nothing from src/.
 */

const SERVICES = 'Site administration › Server › Web services › External services';
const DEFINE_ROLES = 'Site administration › Users › Permissions › Define roles';
const DEBUGGING = 'Site administration › Development › Debugging';
const SAME_EMAIL = 'Site administration › Plugins › Authentication › Common settings';

/** Where Moodle says the code: a whole-call exception (errorcode), a per-record warning (warningcode), or both. */
export type MoodleCodeKind = 'error' | 'warning' | 'error, warning';

export interface MoodleCodeSpec {
  kind: MoodleCodeKind;
  /** One line: what it means and what the admin should do. */
  hint: string;
}

/** Every Moodle code mdlsync knows a hint for. Keep README's "Moodle's error codes" section in step. */
export const MOODLE_CODES: Readonly<Record<string, MoodleCodeSpec>> = {
  // ── the token, the service, the web service user (a whole run stops) ───────────────────────────────────────
  invalidtoken: { kind: 'error', hint: `Moodle does not know the token (deleted, mistyped, or expired: Moodle deletes an expired token): create one under Site administration › Server › Web services › Manage tokens and set MDLSYNC_TOKEN / moodle.token` },
  invalidtimedtoken: { kind: 'error', hint: 'the token has expired (its "Valid until" date passed): create a new token under Site administration › Server › Web services › Manage tokens' },
  invalidiptoken: { kind: 'error', hint: "the token is restricted to other IP addresses: add this machine's address to the token's IP restriction, or clear it (Manage tokens)" },
  accessexception: {
    kind: 'error',
    hint: `the token may not call the function: add it to the token's service (${SERVICES} › Functions), and check that the token's user is an authorised user of the service, the IP restriction and the "Valid until" dates of the service and token, and the service's required capability`,
  },
  nopermissions: { kind: 'error', hint: `the web service user lacks a capability (the message names it): allow it on the user's role (${DEFINE_ROLES}) in the context named` },
  wsaccessusersuspended: { kind: 'error', hint: "the token's user is suspended in Moodle: unsuspend the web service user (Site administration › Users › Browse list of users)" },
  wsaccessusernologin: { kind: 'error', hint: `the token's user has the "No login" authentication: give the web service user "Manual accounts" or "Web services authentication" (edit the user)` },
  usernotconfirmed: { kind: 'error', hint: "the token's user has not confirmed its account: confirm the web service user (Site administration › Users › Browse list of users)" },
  passwordisexpired: { kind: 'error', hint: "the token's user's password has expired (the authentication's password expiry): set a new password for the web service user, or turn expiry off for its authentication" },
  sitemaintenance: { kind: 'error', hint: 'the site is in maintenance mode: run again when it is over (the rows are in the tryback file)' },
  invalidresponse: { kind: 'error', hint: "Moodle built an answer its own description of the function refuses (a Moodle or plugin bug): the call may have been saved; report it with the log and Moodle's version" },
  codingerror: { kind: 'error', hint: "Moodle's own check of the call failed (a coding_exception: a parameter this Moodle version does not accept, e.g. a search field it does not support): report it with the log and Moodle's version" },

  // ── the database ──────────────────────────────────────────────────────────────────────────────────────────
  dmlwriteexception: {
    kind: 'error, warning',
    hint: "Moodle's database refused the write. For one row it is nearly always a value longer than its column (firstname and lastname hold 100 characters) or a value already in a unique column; for every row, the database itself (disk full, connection lost). The site's PHP error log has the SQL error",
  },
  dmlreadexception: { kind: 'error', hint: "Moodle's database could not read (overloaded or unreachable): run again; if it persists, check the site's database and its PHP error log" },

  // ── a record the call names does not exist ────────────────────────────────────────────────────────────────
  invalidrecord: {
    kind: 'error, warning',
    hint: 'a record the call names is not in Moodle (a course, cohort, group or category deleted there, or a wrong id; the message names the table): load the record again, or clear its Moodle id in the SIS',
  },
  invaliduserid: { kind: 'warning', hint: "the Moodle user id no longer exists (deleted in Moodle): clear the row's MOODLE_ID to have the account re-created" },
  usernotupdateddeleted: { kind: 'warning', hint: "the Moodle account is deleted: clear the row's MOODLE_ID to have the account re-created" },
  unknowncourseidnumber: { kind: 'warning', hint: 'the Moodle course id is not in Moodle (already deleted there): nothing to delete' },
  errorcatcontextnotvalid: { kind: 'error', hint: 'the category is not in Moodle (deleted there, or a wrong id), or the web service user may not work in it: load the category again, or check the role of the web service user there' },
  errorcoursecontextnotvalid: { kind: 'error', hint: 'the course is not in Moodle (deleted there, or a wrong id), or the web service user may not work in it: load the course again, or check the role of the web service user there' },
  nocriteriaset: { kind: 'error', hint: 'the course has no completion criteria, so Moodle has no completion status to give: set them (Course › Course completion), or leave the course out' },
  userdeleted: { kind: 'error', hint: "the Moodle account is deleted: clear the row's MOODLE_ID to have the account re-created" },

  // ── a value already used by another record ────────────────────────────────────────────────────────────────
  shortnametaken: { kind: 'error, warning', hint: "the short name belongs to another Moodle course: change the row's short name, or set that course's idnumber to the key to adopt it" },
  courseidnumbertaken: { kind: 'error, warning', hint: 'another Moodle course already has this idnumber (the key): give that course another idnumber in Moodle, or remove the duplicate course' },
  categoryidnumbertaken: { kind: 'error', hint: 'another Moodle category has this idnumber (the key): give that category another idnumber, or remove the duplicate category' },
  idnumbertaken: { kind: 'error', hint: 'another group (or grouping) of the course has this idnumber (the key): give that one another idnumber in Moodle (Course › Participants › Groups)' },
  useremailduplicate: { kind: 'warning', hint: `another account already has this email (Moodle compares without case): Moodle refuses duplicates unless "Allow accounts with same email" is on (${SAME_EMAIL})` },

  // ── a value Moodle does not accept ────────────────────────────────────────────────────────────────────────
  invalidparameter: {
    kind: 'error',
    hint: `Moodle refused a value of the call; production sites do not say which. Likely: a username or email already used by another account (emails unless allowaccountssameemail is on), an email Moodle finds invalid, a username with capitals or characters Moodle does not allow, a required name left empty, a role that cannot be assigned there, a group member not enrolled, or a course, category or cohort deleted in Moodle. To see which, turn debugging on for a moment (${DEBUGGING}: DEVELOPER) and run the tryback file`,
  },
  useremailinvalid: { kind: 'warning', hint: "Moodle finds the email invalid (its validate_email(): no @, spaces, a character it does not allow): fix the row's EMAIL" },
  usernamelowercase: { kind: 'error', hint: "Moodle usernames are lower case: lower-case the row's username" },
  invalidusername: { kind: 'error', hint: `the username holds characters Moodle does not allow (only lower-case letters, digits and _ - . @ unless "Allow extended characters in usernames" is on): fix the username` },
  wsusercannotassign: { kind: 'error', hint: `the web service user's role may not assign that role in the course: allow it (${DEFINE_ROLES} › Allow role assignments) and make sure the role may be assigned in course context` },
  guestsarenotallowed: { kind: 'error', hint: 'the guest account cannot be enrolled: remove the row' },
  cannotmovecategory: { kind: 'error', hint: 'Moodle cannot move the category there: the new parent does not exist, or is the category itself or one of its subcategories (fix the PARENT values), or the web service user lacks moodle/category:manage in the category or the new parent' },
  useradminodelete: { kind: 'error', hint: 'Moodle never deletes a site administrator through a web service: remove the account from Site administration › Users › Permissions › Site administrators first, or keep the row out of the deletions' },
  usernotupdatedguest: { kind: 'warning', hint: 'the guest account cannot be changed through a web service: remove the row' },
  usernotupdatedadmin: { kind: 'warning', hint: 'only a site administrator can change a site administrator: make the web service user an administrator, or keep the row out' },
  cannotdeletecourse: { kind: 'warning', hint: `the web service user may not delete the course (moodle/course:delete in the course): allow it on its role (${DEFINE_ROLES})` },
  cannotdeletecategorycourse: { kind: 'warning', hint: "Moodle could not delete the course (delete_course() failed): delete it by hand in Moodle and look at the site's PHP error log" },
  usernotenroled: { kind: 'error', hint: 'the user is not enrolled in the course, so Moodle has no grades for them there: leave the row out, or enrol the user first' },

  // ── after the commit ──────────────────────────────────────────────────────────────────────────────────────
  'Message was not sent.': {
    kind: 'error',
    hint: "the enrolment was saved, but Moodle could not send its welcome email (mail server): check Site administration › Server › Email › Outgoing mail configuration, or turn off the welcome message on the course's Manual enrolments; mdlsync reads the row back",
  },

  // ── numbered warnings: add_cohort_members' (mdlsync maps them to its own codes) and the course readers' ─────
  '1': { kind: 'warning', hint: "core_cohort_add_cohort_members: a member named by a type Moodle does not take, or a cohort whose context is invalid (report it with the log); the course readers (e.g. mod_quiz_get_quizzes_by_courses): the web service user may not see the course" },
  '2': { kind: 'warning', hint: 'core_cohort_add_cohort_members: the cohort or the user is not in Moodle (deleted there): load it again' },
  '3': { kind: 'warning', hint: 'core_cohort_add_cohort_members: the user is already a member of the cohort: nothing to do' },
};

/** Sharper hints when Moodle's message (with its debuginfo on sites with debugging on) says more than the code. */
export interface Refinement {
  codes: readonly string[];
  match: RegExp;
  hint: string;
}

export const REFINEMENTS: readonly Refinement[] = [
  // invalidparameter: create_users, update_users, get_users_by_field (user/externallib.php)
  { codes: ['invalidparameter'], match: /Username already exists/, hint: "the username belongs to another Moodle account: change the row's username, or set that account's idnumber to the key to adopt it" },
  { codes: ['invalidparameter'], match: /Email address already exists/, hint: `the email is already used by another account; Moodle refuses duplicates unless allowaccountssameemail is on (${SAME_EMAIL} › Allow accounts with same email)` },
  { codes: ['invalidparameter'], match: /Email address is invalid/, hint: "Moodle finds the email invalid (its validate_email(): no @, spaces, a character it does not allow): fix the row's EMAIL" },
  { codes: ['invalidparameter'], match: /The field \w+ cannot be blank/, hint: 'a name Moodle requires is empty (or only spaces): fill it in the SIS' },
  { codes: ['invalidparameter'], match: /Invalid password: you must provide a password/, hint: 'the auth method needs a password: add PASSWD to the row, or turn on persons.createPasswordWhenMissing' },
  { codes: ['invalidparameter'], match: /The field 'username' value is invalid/, hint: 'Moodle usernames are lower case, without spaces: look the user up by the cleaned value' },
  { codes: ['invalidparameter'], match: /username => Invalid parameter value detected: Invalid external api parameter/, hint: `the username holds capitals, spaces or characters Moodle does not allow (only lower-case letters, digits and _ - . @ unless "Allow extended characters in usernames" is on): fix the username` },
  { codes: ['invalidparameter'], match: /auth => Invalid parameter value detected/, hint: 'the auth method is not a plugin name Moodle knows: fix AUTH (manual, ldap, oauth2, …) or persons.auth' },
  { codes: ['invalidparameter'], match: /Invalid external api parameter/, hint: 'a value does not have the type Moodle expects for its field (the message names the field): fix the value' },
  { codes: ['invalidparameter'], match: /Missing required key in single structure/, hint: "a field Moodle requires was not sent (the message names it): give the row's column a value" },
  { codes: ['invalidparameter'], match: /Unexpected keys \(/, hint: "this Moodle does not know a field mdlsync sent (an older Moodle?): report it with the log and Moodle's version" },
  // invalidparameter: groups, roles, enrolments, cohorts
  { codes: ['invalidparameter'], match: /Group with the same name already exists/, hint: 'another group of the course already has this name: rename one of them' },
  { codes: ['invalidparameter'], match: /Only enrolled users may be members of groups/, hint: 'only enrolled users can be group members: enrol the person in the course first' },
  { codes: ['invalidparameter'], match: /Can not assign roleid=/, hint: `the role cannot be assigned in that context: tick the context type on the role and allow the web service user's role to assign it (${DEFINE_ROLES} › Allow role assignments)` },
  { codes: ['invalidparameter'], match: /Context does not exist/, hint: 'the course (or user) is not in Moodle (deleted there, or a wrong id): load it again, or clear its Moodle id in the SIS' },
  { codes: ['invalidparameter'], match: /category not exists/, hint: "the cohort's category is not in Moodle: create the category first, or fix the cohort's category" },
  { codes: ['invalidparameter'], match: /record already exists: idnumber=/, hint: 'another Moodle cohort has this idnumber (the key): give that cohort another idnumber, or remove it' },
  // dmlwriteexception: the database's own words, when debugging shows them
  { codes: ['dmlwriteexception'], match: /too long|Data too long|value too long/i, hint: "a value is longer than Moodle's database column for it: shorten it in the SIS" },
  { codes: ['dmlwriteexception'], match: /Duplicate entry|duplicate key|UNIQUE constraint/i, hint: 'a value is already in a column Moodle keeps unique: change the row (or the other Moodle record)' },
  // invalidrecord: dml_missing_record_exception names its table
  { codes: ['invalidrecord'], match: /table external_functions/, hint: 'the web service function does not exist on this Moodle (an older version, or a plugin not installed): upgrade Moodle, install the plugin, or leave the feed out' },
  { codes: ['invalidrecord'], match: /table course\b/, hint: "the Moodle course is not there (deleted in Moodle): load the course again, or clear its Moodle id in the SIS" },
  { codes: ['invalidrecord'], match: /table cohort\b/, hint: 'the Moodle cohort is not there (deleted in Moodle): load the cohort again' },
  { codes: ['invalidrecord'], match: /table groups\b/, hint: 'the Moodle group is not there (deleted in Moodle): load the group again' },
  { codes: ['invalidrecord'], match: /table course_categories\b/, hint: 'the Moodle category is not there (deleted in Moodle): load the category again' },
  // accessexception: debuginfo names the function
  { codes: ['accessexception'], match: /Refused web service access for suspended username/, hint: "the token's user is suspended in Moodle: unsuspend the web service user (Site administration › Users › Browse list of users)" },
  { codes: ['accessexception'], match: /Refused web service access for nologin authentication/, hint: `the token's user has the "No login" authentication: give the web service user "Manual accounts" or "Web services authentication" (edit the user)` },
  { codes: ['accessexception'], match: /Web service is not available/, hint: `the token's service is disabled or deleted: enable it (${SERVICES} › Edit › Enabled), or create a token for an enabled service` },
  { codes: ['accessexception'], match: /The capability \S+ is required/, hint: `the service requires a capability the token's user lacks (the message names it): allow it on the user's role (${DEFINE_ROLES}), or clear the service's "Required capability"` },
  { codes: ['accessexception'], match: /The user is not allowed for this service/, hint: `the service is for authorised users only and the token's user is not one: add the user (${SERVICES} › Authorised users)` },
  { codes: ['accessexception'], match: /service expired/, hint: `the token's user is authorised for the service only until a date that has passed: change "Valid until" (${SERVICES} › Authorised users)` },
  { codes: ['accessexception'], match: /token expired/, hint: 'the token has expired (its "Valid until" date passed; Moodle then deletes it): create a new token under Site administration › Server › Web services › Manage tokens' },
  { codes: ['accessexception'], match: /IP:.* is not supported/, hint: "the token (or the service's authorised user) is restricted to other IP addresses: add this machine's address to the IP restriction, or clear it" },
  { codes: ['accessexception'], match: /Access to the function \w+\(\) is not allowed/, hint: `the function is not in the token's service: add it (${SERVICES} › Functions)` },
  // add_cohort_members' numbered warnings
  { codes: ['1'], match: /No access rights in course context/, hint: "the web service user may not see the course (validate_context failed): give it a role there, or a system role with the capabilities mdlsync needs" },
  { codes: ['2'], match: /^cohort /, hint: 'the cohort is not in Moodle (deleted there): load the cohort again' },
  { codes: ['2'], match: /^user /, hint: 'the user is not in Moodle (deleted there): load the person again' },
];

/**
 * check_password_policy() answers its failures as HTML (one <div> per rule broken), and user_create_user() /
 * user_update_user() throw that text as the errorcode itself (contract 14): no fixed code to key on.
 */
export function isPasswordPolicyCode(code: string): boolean {
  return /^<div>/.test(code) || /\bpasswords? must\b/i.test(code);
}

export const PASSWORD_POLICY_HINT =
  "the password does not meet the site's password policy (the code lists the rules it breaks): send a password that meets it, or change the policy (Site administration › Security › Site security settings › Password policy)";

/** The hint for a code nobody has described yet: how to find out what it means. */
export const UNKNOWN_CODE_HINT = `a code mdlsync has no hint for: turn debugging on for a moment (${DEBUGGING}: DEVELOPER, display off) so Moodle says more in the message, run the tryback file, and look the code up in Moodle's lang/en/error.php`;
