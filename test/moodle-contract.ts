/**
 * The recorded Moodle cases (the repository's contract/ folder, refreshed by scripts/refresh-contract.sh), replayed through the real encoder by the wrapper tests;
 * and a canned caller for the behaviour beyond the recordings.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { expect } from '@jest/globals';
import { request } from 'undici';
import { encodeForm } from '../src/moodle/encode.js';
import { MoodleError, isMoodleErrorBody } from '../src/moodle/errors.js';
import type { MoodleCaller } from '../src/moodle/types.js';
import { REST_PATH } from '../src/sandbox/server.js';

export interface ContractCase {
  function: string;
  params: { encoded: string; object: Record<string, unknown> };
  response: unknown;
}
/** A recorded call as the sandbox's replay tests read it: the request as sent (P: what a test reads of its object) and Moodle's HTTP answer. */
export interface RecordedCall<P extends object = object> {
  function: string;
  params: { encoded: string } & P;
  status: number;
  content_type: string;
  response: unknown;
}

const CONTRACT_DIR = new URL('../contract/', import.meta.url);
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

/** Calls the wrapper under test with the recorded request object. */
export type ContractInvoke = (c: MoodleCaller, o: Record<string, unknown>) => Promise<unknown>;
/** What the wrapper returns for a recorded (non-error) reply. */
export type ContractExpected = (response: unknown) => unknown;
/** One recorded case a wrapper test replays: name, the call, what it should return (default: the reply itself). */
export type ContractCaseOf = [name: string, invoke: ContractInvoke, expected?: ContractExpected];

export const same: ContractExpected = (r) => r;
export const nothing: ContractExpected = () => undefined;
export const warningsOf: ContractExpected = (r) => (r as { warnings: unknown[] }).warnings;

/**
 * Replays one recorded case: the wrapper must send the recorded body byte for byte and understand the recorded reply
 * (a Moodle error body is thrown as MoodleError with its errorcode; anything else resolves to expected(reply)).
 */
export async function expectReplay(name: string, invoke: ContractInvoke, expected: ContractExpected = same): Promise<void> {
  const rec = contract(name);
  const c = replay(rec);
  const run = invoke(c, structuredClone(rec.params.object));
  if (isMoodleErrorBody(rec.response)) {
    await expect(run).rejects.toBeInstanceOf(MoodleError);
    await expect(run).rejects.toMatchObject({ wsfunction: rec.function, errorcode: rec.response.errorcode });
  } else {
    await expect(run).resolves.toEqual(expected(rec.response));
  }
  expect(c.bodies).toEqual([rec.params.encoded]);
}

/** The leaf pairs of a recorded body, less its 3 control pairs (wstoken, wsfunction, moodlewsrestformat). */
export const recordedLeaves = (name: string): number => contract(name).params.encoded.split('&').length - 3;

/** A per-record leaf counter summed over the records under `key` of a recorded request. */
export const countedLeaves = <R>(name: string, key: string, leaves: (record: R) => number): number =>
  (contract(name).params.object[key] as R[]).reduce((n, r) => n + leaves(r), 0);

/** Answers each call with the next canned reply and records what was asked. */
export function cannedCaller(...replies: unknown[]): MoodleCaller & { calls: [string, Record<string, unknown>][] } {
  const calls: [string, Record<string, unknown>][] = [];
  return {
    calls,
    call: <T>(fn: string, params: Record<string, unknown>) => {
      calls.push([fn, params]);
      return Promise.resolve(replies.shift() as T);
    },
  };
}

/** Posts a raw form body to a sandbox's REST endpoint, as a recording did; answers status, content type and text. */
export async function postRaw(sb: { url: string }, body: string): Promise<{ status: number; contentType: string; text: string }> {
  const res = await request(sb.url + REST_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.statusCode, contentType: String(res.headers['content-type']), text: await res.body.text() };
}

/**
 * A recorded request body made ready for a sandbox: its token, and each pair `swap` knows a sandbox value for (ids the
 * sandbox gave differently) replaced; every other pair byte for byte as recorded.
 */
export function rewriteRecorded(encoded: string, token: string, swap: (name: string, value: string) => string | number | undefined): string {
  return encoded
    .split('&')
    .map((pair) => {
      const [k, v = ''] = pair.split('=');
      const name = decodeURIComponent(k);
      if (name === 'wstoken') return `wstoken=${encodeURIComponent(token)}`;
      const swapped = swap(name, decodeURIComponent(v));
      return swapped === undefined ? pair : `${k}=${encodeURIComponent(String(swapped))}`;
    })
    .join('&');
}
