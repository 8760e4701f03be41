/** The recorded Moodle cases (../shared/moodle-contract/), replayed through the real encoder by the wrapper tests. */
import { readFileSync, readdirSync } from 'node:fs';
import { encodeForm } from '../src/moodle/encode.js';
import { MoodleError, isMoodleErrorBody } from '../src/moodle/errors.js';
import type { MoodleCaller } from '../src/moodle/types.js';

export interface ContractCase {
  function: string;
  params: { encoded: string; object: Record<string, unknown> };
  response: unknown;
}
const CONTRACT_DIR = new URL('../../shared/moodle-contract/', import.meta.url);
export const contract = (name: string): ContractCase => JSON.parse(readFileSync(new URL(`${name}.json`, CONTRACT_DIR), 'utf8')) as ContractCase;

/** Every recorded case (file name without .json) of one of `functions`. */
export const recordedCasesOf = (functions: string[]): string[] =>
  readdirSync(CONTRACT_DIR)
    .filter((f) => /^\d+_.*\.json$/.test(f))
    .map((f) => f.slice(0, -5))
    .filter((name) => functions.includes(contract(name).function));

/** Encodes like MoodleClient (token TOKEN, as recorded) and answers the recorded reply, errors thrown as MoodleClient does. */
export function replay(rec: ContractCase): MoodleCaller & { bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    call: <T>(fn: string, params: Record<string, unknown>) => {
      bodies.push(encodeForm('TOKEN', fn, params));
      if (isMoodleErrorBody(rec.response)) return Promise.reject(new MoodleError(fn, rec.response));
      return Promise.resolve(structuredClone(rec.response) as T);
    },
  };
}
