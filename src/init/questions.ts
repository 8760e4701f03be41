/**
 * `mdlsync init`'s questions: each answer the flags did not give is asked, checked as the config loader will check
 * it, and asked again (with the reason) until it is right. The asking itself is a function, so the terminal
 * (node:readline/promises in the CLI) stays out of here.
 */
import { ConfigError } from '../config/index.js';
import { ENTITY_TYPES } from '../entities/index.js';
import {
  DEFAULT_DATA_SOURCE,
  DEFAULT_TYPES,
  checkDataSource,
  checkTokenFile,
  checkTypes,
  checkUrl,
  type Checked,
  type InitAnswers,
} from './answers.js';

/** Shows one prompt and resolves with the line typed. */
export type Ask = (prompt: string) => Promise<string>;
/** Prints one line (a reason to ask again, a warning). */
export type Say = (line: string) => void;

interface Question<T> {
  /** A line shown once before the first prompt: what the answer is for. */
  help?: string;
  prompt: string;
  /** Taken on an empty answer; shown in brackets. */
  default?: string;
  check: (input: string) => Checked<T>;
}

/** The flag that gives each answer, for scripts and for the sentence naming what is missing. */
const ANSWER_FLAGS: Record<keyof InitAnswers, string> = {
  url: '--url',
  tokenFile: '--token-file',
  dataSource: '--datasource',
  types: '--types',
};

/** The answers that have a default (--yes takes it); the URL and the token file have none. */
export const ANSWER_DEFAULTS: Partial<Record<keyof InitAnswers, string>> = {
  dataSource: DEFAULT_DATA_SOURCE,
  types: DEFAULT_TYPES.join(','),
};

async function askUntilValid<T>(ask: Ask, say: Say, q: Question<T>): Promise<T> {
  if (q.help) say(q.help);
  for (;;) {
    const typed = (await ask(q.default ? `${q.prompt} [${q.default}]: ` : `${q.prompt}: `)).trim();
    const checked = q.check(typed === '' && q.default ? q.default : typed);
    if (checked.ok) return checked.value;
    say(`  ${checked.error}`);
  }
}

const CHECKS: { [K in keyof InitAnswers]: (input: string) => Checked<InitAnswers[K]> } = {
  url: checkUrl,
  tokenFile: checkTokenFile,
  dataSource: checkDataSource,
  types: checkTypes,
};

/**
 * The answers the flags give, checked (a bad one: ConfigError naming its flag); with `useDefaults` (--yes) the
 * defaults fill the rest. `missing`: the flags of what is still unanswered, in the order init asks.
 */
export function answersFromFlags(
  flags: Partial<Record<keyof InitAnswers, string>>,
  useDefaults: boolean,
): { given: Partial<InitAnswers>; missing: string[] } {
  const given: Partial<InitAnswers> = {};
  const missing: string[] = [];
  for (const key of Object.keys(ANSWER_FLAGS) as (keyof InitAnswers)[]) {
    const input = flags[key] ?? (useDefaults ? ANSWER_DEFAULTS[key] : undefined);
    if (input === undefined) {
      missing.push(ANSWER_FLAGS[key]);
      continue;
    }
    const checked = CHECKS[key](input);
    if (!checked.ok) throw new ConfigError(`${ANSWER_FLAGS[key]}: ${checked.error}`);
    (given as Record<string, unknown>)[key] = checked.value;
  }
  return { given, missing };
}

/** Asks what `given` lacks, one question at a time. */
export async function askAnswers(given: Partial<InitAnswers>, io: { ask: Ask; say: Say }): Promise<InitAnswers> {
  const { ask, say } = io;
  const url = given.url ?? (await askUntilValid(ask, say, { prompt: 'Moodle site URL', check: checkUrl }));
  const tokenFile =
    given.tokenFile ??
    (await askUntilValid(ask, say, {
      help: 'The web-service token stays in a file of its own (chmod 600): only that file\'s path goes in the config.',
      prompt: 'Token file',
      check: checkTokenFile,
    }));
  const dataSource =
    given.dataSource ??
    (await askUntilValid(ask, say, {
      help: 'The data source key marks what mdlsync creates as this SIS\'s (--op refresh-ds compares one data source).',
      prompt: 'Data source key',
      default: ANSWER_DEFAULTS.dataSource,
      check: checkDataSource,
    }));
  const types =
    given.types ??
    (await askUntilValid(ask, say, {
      help: `Feed types: ${ENTITY_TYPES.join(', ')}.`,
      prompt: 'Feed types you sync, comma-separated',
      default: ANSWER_DEFAULTS.types,
      check: checkTypes,
    }));
  return { url, tokenFile, dataSource, types };
}
