/**
 * What mdlsync tells an admin about the site itself, measured during a run (summary.json siteHints, the console, the
 * HTML report): not a failure of any row, but a reason the run was slow and what the admin can change on the site.
 * Each note's code and its advice are declared here, once; README › Performance says the same at length.
 *
 * A leaf module: it imports nothing from src/.
 */

const SAME_EMAIL = 'Site administration › Plugins › Authentication › Common settings › Allow accounts with same email (allowaccountssameemail)';

export type SiteHintCode = 'email-scan';

/** One note of summary.json siteHints: what was measured (message) and what the admin can do (hint). */
export interface SiteHint {
  code: SiteHintCode;
  message: string;
  hint: string;
}

export const SITE_HINTS: Readonly<Record<SiteHintCode, { hint: string }>> = {
  // core_user_create_users (user/externallib.php) runs, per new user unless allowaccountssameemail is on,
  // record_exists_select('user', $DB->sql_equal('email', ':email', false) . ' AND mnethostid = :mnethostid'):
  // LOWER(email) = LOWER(:email) on PostgreSQL (moodle_database::sql_equal), LOWER(email) COLLATE utf8mb4_bin =
  // LOWER(:email) on MySQL and MariaDB (mysqli_native_moodle_database::sql_equal). mdl_user's email index cannot
  // serve either, so each new user reads the whole table.
  'email-scan': {
    hint:
      'ask the database admin for an index on lower(email) of the user table (mdl_ is the default table prefix: use the site\'s $CFG->prefix). ' +
      'PostgreSQL: CREATE INDEX CONCURRENTLY mdl_user_lower_email_ix ON mdl_user (lower(email)); ' +
      'MySQL 8.0.13 or later: CREATE INDEX mdl_user_lower_email_ix ON mdl_user ((LOWER(email) COLLATE utf8mb4_bin)); ' +
      '(Moodle compares LOWER(email) COLLATE utf8mb4_bin there, and MySQL uses a functional index only for the same expression: check with EXPLAIN). ' +
      'MariaDB has no functional index (see README › Performance). ' +
      `Or turn on ${SAME_EMAIL}: Moodle then skips the check, at a cost in safety: a row that gives a second person someone else's address is no longer refused (both accounts' mail goes to one mailbox), a password reset by email has to ask for the username, and logging in by email no longer works for accounts that share one.`,
  },
};
