import { describe, expect, test } from '@jest/globals';
import { AbortError } from './apply/limiter.js';
import { codeOf } from './apply/engine.js';
import { LocalRowError } from './apply/pack.js';
import { ConfigError } from './config/index.js';
import { CODES, EXIT, MdlsyncError, exitCodeOf, failureInfo, hintOf, isErrorCode, isRowCode, type ErrorFamily } from './errors.js';
import { FeedFileError } from './feed/types.js';
import { LedgerError } from './ledger/index.js';
import { MoodleError, ProtocolError, TransientError } from './moodle/index.js';
import { Refusal } from './refusal.js';
import { EXIT as RUN_EXIT } from './run.js';

const moodle = new MoodleError('core_user_create_users', { exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter' });

describe('one error family', () => {
  test.each<[string, Error, string, ErrorFamily]>([
    ['FeedFileError', new FeedFileError('empty-file', 'x is empty'), 'empty-file', 'feed'],
    ['ConfigError', new ConfigError('no Moodle URL'), 'invalid-config', 'config'],
    ['Refusal', new Refusal('The reports folder is a file'), 'refused', 'config'],
    ['MoodleError', moodle, 'moodle-error', 'moodle'],
    ['TransientError', new TransientError('timeout', 'no answer'), 'transient', 'transport'],
    ['ProtocolError', new ProtocolError('HTTP 403', 403), 'protocol', 'transport'],
    ['AbortError', new AbortError(), 'aborted', 'transport'],
    ['LedgerError', new LedgerError('ledger-too-new', 'newer'), 'ledger-too-new', 'ledger'],
    ['LocalRowError', new LocalRowError('missing-value', 'name is required'), 'missing-value', 'row'],
  ])('%s is an MdlsyncError (and an Error) with a code of its family', (name, err, code, family) => {
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(MdlsyncError);
    expect(err.name).toBe(name);
    const e = err as MdlsyncError;
    expect({ code: e.code, family: e.family, hint: e.hint }).toEqual({ code, family, hint: CODES[e.code].hint });
  });

  test("the error classes keep their own fields: Moodle's errorcode, the transient reason, the HTTP status", () => {
    expect(moodle.errorcode).toBe('invalidparameter');
    expect(moodle.message).toBe('Invalid parameter');
    expect(new TransientError('network', 'refused', undefined, false)).toMatchObject({ reason: 'network', reachedSite: false, message: 'refused' });
    expect(new ProtocolError('HTTP 404', 404)).toMatchObject({ status: 404, message: 'HTTP 404' });
    expect(new FeedFileError('unknown-header', 'unknown column "X"')).toMatchObject({ code: 'unknown-header', message: 'unknown column "X"' });
  });

  test('the exit codes are the CLI\'s', () => {
    expect(EXIT).toEqual(RUN_EXIT);
  });

  test('thrown up to the CLI: a config error exits 1, a refusal 3, anything else is unexpected and exits 1', () => {
    expect(failureInfo(new ConfigError('bad'))).toMatchObject({ code: 'invalid-config', exit: 1, expected: true });
    expect(failureInfo(new Refusal('no'))).toMatchObject({ code: 'refused', exit: 3, expected: true });
    expect(failureInfo(new TransientError('timeout', 'slow'))).toMatchObject({ code: 'transient', family: 'transport', exit: 1, expected: false });
    expect(failureInfo(new FeedFileError('unreadable', 'cannot parse'))).toMatchObject({ code: 'unreadable', exit: 1, expected: false });
    expect(failureInfo(new LocalRowError('internal', 'x'))).toMatchObject({ code: 'internal', exit: 1, expected: false });
    expect(failureInfo(new Error('bug'))).toMatchObject({ code: null, family: null, exit: 1, expected: false });
    expect(failureInfo('a string')).toMatchObject({ code: null, exit: 1 });
    expect(exitCodeOf(new Refusal('no'))).toBe(3);
    expect(hintOf(new LedgerError('ledger-too-new', 'newer'))).toBe(CODES['ledger-too-new'].hint);
    expect(hintOf(new Error('bug'))).toMatch(/--log-level debug/);
  });

  test("codeOf gives every thrown value a row's code (Moodle's errorcode for Moodle's refusals)", () => {
    expect(codeOf(new AbortError())).toBe('aborted');
    expect(codeOf(moodle)).toBe('invalidparameter');
    expect(codeOf(new TransientError('timeout', 'slow'))).toBe('transient');
    expect(codeOf(new ProtocolError('short'))).toBe('protocol');
    expect(codeOf(new Error('bug'))).toBe('error');
    for (const c of ['aborted', 'transient', 'protocol', 'error']) expect(isRowCode(c)).toBe(true);
  });

  test('the table: every code has a family, an exit code of the CLI and a one-line hint; rows exit 2', () => {
    for (const [code, spec] of Object.entries(CODES) as [string, { family: ErrorFamily; exit: number; hint: string; row?: true }][]) {
      expect(isErrorCode(code)).toBe(true);
      expect(Object.values(EXIT)).toContain(spec.exit);
      expect(spec.hint).toMatch(/^[^\n]{10,200}$/);
      if (spec.family === 'row') expect({ code, exit: spec.exit }).toEqual({ code, exit: EXIT.failedRows });
      expect(isRowCode(code)).toBe(spec.family === 'row' || spec.row === true);
    }
    expect(isErrorCode('invalidparameter')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isRowCode('empty-file')).toBe(false);
    expect(isRowCode('invalid-encoding')).toBe(true);
  });
});
