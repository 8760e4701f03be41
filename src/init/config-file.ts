/**
 * The mdlsync.config.json that `mdlsync init` writes: the answers, the defaults worth seeing (taken from the schema,
 * never restated), and a comment before each setting. Comments are keys that start with // (the loader drops them),
 * so the file is plain JSON made by JSON.stringify: no answer can break its quoting.
 */
import { writeFileSync } from 'node:fs';
import { configSchema } from '../config/index.js';
import type { EntityType } from '../entities/index.js';
import { Refusal } from '../refusal.js';
import type { InitAnswers } from './answers.js';

const DEFAULTS = configSchema.parse({});

/** The commands init's file and message point to, for the feed types named. */
export function nextCommands(types: readonly EntityType[], configFlag = ''): { setup: string; doctor: string } {
  const list = types.join(',');
  return { setup: `mdlsync setup --types ${list}`, doctor: `mdlsync${configFlag} doctor --types ${list}` };
}

/** The config as an object, comments included, in the order it is read. */
export function initConfig(answers: InitAnswers): Record<string, unknown> {
  const { setup, doctor } = nextCommands(answers.types);
  const has = (t: EntityType) => answers.types.includes(t);
  const moodle: Record<string, unknown> = {
    '// url': "the Moodle site's address (MDLSYNC_URL overrides it)",
    url: answers.url,
    '// tokenFile':
      'the file that holds the web-service token, alone on one line, readable only by the account mdlsync runs as (chmod 600). ' +
      'The token itself never goes in this file; MDLSYNC_TOKEN overrides the file.',
    tokenFile: answers.tokenFile,
    '// maxInputVars':
      "the site's PHP max_input_vars (1000 is PHP's default, Moodle asks for 5000 on PHP 8): mdlsync sizes every call to it, so raise it here when the site's is higher",
    maxInputVars: DEFAULTS.moodle.maxInputVars,
  };
  if (has('persons')) {
    moodle['// languages'] = "the site's installed language packs: a person's lang outside this list is left out with a warning";
    moodle.languages = DEFAULTS.moodle.languages;
  }
  const config: Record<string, unknown> = {
    '//': [
      'mdlsync configuration, written by mdlsync init. A key that starts with // is a comment: mdlsync ignores it.',
      'README.md, section Configuration, describes every setting; any other key is an error. Relative paths start at this file.',
    ],
    '// feed types': [
      `This site syncs: ${answers.types.join(', ')}.`,
      `${setup} lists what the Moodle service and role need; ${doctor} checks the URL, the token and each of them.`,
    ],
    moodle,
    '// dataSource': 'the data source that owns what a row without DATA_SOURCE_KEY creates; --op refresh-ds compares one data source only',
    dataSource: answers.dataSource,
    '// ledger': 'what mdlsync owns (kept private: 0600, in a folder of its own); reports and archive: one folder per run, a copy of each input',
    ledger: DEFAULTS.ledger,
    reports: DEFAULTS.reports,
    archive: DEFAULTS.archive,
    '// guard': 'a refresh that would disable more than maxPercent % or more than maxCount of what it owns is refused, so is a store or refresh that would change one field of more than maxUpdatePercent % of at least updateMinOwned owned records (null: off); additionsOnly: [{from, to}] dates in which a refresh stores and holds every disable (--force overrides the limits, not a window)',
    guard: DEFAULTS.guard,
  };
  if (has('persons')) {
    config['// persons'] =
      'passwords: create-only sends a password only when the account is made (always: on every update); disable: what --op delete does (suspend, or delete: irreversible)';
    config.persons = { passwords: DEFAULTS.persons.passwords, disable: DEFAULTS.persons.disable };
  }
  if (has('courses')) {
    config['// courses'] = 'disable: what --op delete does to a course (hide, or delete: irreversible); dates without an offset are in courses.timezone (default: this machine\'s)';
    config.courses = { disable: DEFAULTS.courses.disable };
  }
  if (has('cohorts')) {
    config['// cohorts'] = 'disable: what --op delete does to a cohort (delete, or empty: remove its members and keep it)';
    config.cohorts = { disable: DEFAULTS.cohorts.disable };
  }
  return config;
}

export function initConfigText(answers: InitAnswers): string {
  return `${JSON.stringify(initConfig(answers), null, 2)}\n`;
}

/**
 * Writes the file; an existing one is kept unless `force`. The file holds no secret (only the token file's path),
 * so it gets the usual mode (umask), not 0600.
 */
export function writeInitConfig(path: string, answers: InitAnswers, opts: { force?: boolean } = {}): void {
  try {
    // 'wx' fails when the file exists: the check and the write are one step, so nothing is overwritten by a race.
    writeFileSync(path, initConfigText(answers), { flag: opts.force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw existsRefusal(path);
    throw new Refusal(`${path} cannot be written (${code ?? (err as Error).message}): run mdlsync init in a folder you can write to, or pass --config PATH.`);
  }
}

export function existsRefusal(path: string): Refusal {
  return new Refusal(`${path} already exists: mdlsync init leaves it as it is; pass --force to replace it, or --config PATH to write another file.`);
}
