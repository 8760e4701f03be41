/**
 * Every code a recorded real-Moodle case answers (contract/**\/*.json, errorcode and warningcode) has a hint of its
 * own, not the fallback for unknown codes; messages that say more give sharper hints; the summary counts failed rows
 * by code and hint, and the console shows the most frequent ones.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Outcome } from '../src/apply/types.js';
import { CODES, asMoodleErrorcode, isRowCode } from '../src/errors.js';
import { hasSpecificHint, hintFor, UNKNOWN_CODE_HINT } from '../src/hints.js';
import { MOODLE_CODES, PASSWORD_POLICY_HINT } from '../src/moodle/errorcodes.js';
import { addHints, countFailures } from '../src/report/failures.js';
import { failureLines } from '../src/report/console.js';
import type { SummaryBase } from '../src/report/types.js';

const CONTRACT = fileURLToPath(new URL('../contract', import.meta.url));

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsonFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
  );
}

/** Every errorcode / warningcode value anywhere in a recorded case, with the message next to it. */
function recordedCodes(): Map<string, { file: string; message: string }> {
  const found = new Map<string, { file: string; message: string }>();
  const visit = (v: unknown, file: string): void => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, file));
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const key of ['errorcode', 'warningcode']) {
        if (typeof o[key] === 'string' && !found.has(o[key])) found.set(o[key], { file, message: typeof o.message === 'string' ? o.message : '' });
      }
      Object.values(o).forEach((x) => visit(x, file));
    }
  };
  for (const file of jsonFiles(CONTRACT)) visit(JSON.parse(readFileSync(file, 'utf8')), file);
  return found;
}

describe('the recorded cases', () => {
  const codes = recordedCodes();

  test('hold the codes this test is about (the walk finds errorcodes and warningcodes)', () => {
    expect(codes.size).toBeGreaterThan(20);
    for (const c of ['invalidparameter', 'dmlwriteexception', 'invaliduserid', 'unknowncourseidnumber', '2']) expect(codes.has(c)).toBe(true);
  });

  test.each([...recordedCodes().keys()].map((c) => [c.length > 60 ? `${c.slice(0, 60)}…` : c, c]))('%s has a hint of its own', (_label, code) => {
    expect(hasSpecificHint(code)).toBe(true);
    const hint = hintFor(code, codes.get(code)!.message);
    expect(hint).not.toBe(UNKNOWN_CODE_HINT);
    expect(hint).toMatch(/\S/);
  });
});

describe('hintFor', () => {
  test('no code, no hint; an unknown code, the fallback that says how to find out', () => {
    expect(hintFor(undefined)).toBeNull();
    expect(hintFor('')).toBeNull();
    expect(hintFor('nosuchcodeanywhere')).toBe(UNKNOWN_CODE_HINT);
    expect(hasSpecificHint('nosuchcodeanywhere')).toBe(false);
    expect(UNKNOWN_CODE_HINT).toMatch(/debugging/i);
  });

  test("mdlsync's own codes keep their table's hint; Moodle's codes theirs", () => {
    expect(hintFor('duplicate-key')).toBe(CODES['duplicate-key'].hint);
    expect(hintFor('transient')).toBe(CODES.transient.hint);
    expect(hintFor('invalidtoken')).toBe(MOODLE_CODES.invalidtoken.hint);
    expect(hintFor('invalidtoken')).toMatch(/Manage tokens/);
  });

  test('no Moodle code shadows or repeats one of mdlsync (the two tables are one namespace)', () => {
    for (const code of Object.keys(MOODLE_CODES)) expect(Object.hasOwn(CODES, code)).toBe(false);
  });

  test("a password policy's HTML errorcode gets the password policy hint", () => {
    const code = '<div>Passwords must be at least 8 characters long.</div><div>Passwords must have at least 1 digit(s).</div>';
    expect(hintFor(code)).toBe(PASSWORD_POLICY_HINT);
    expect(hintFor('<div>The password must have at least 1 special character(s) such as *, -, or #.</div>')).toBe(PASSWORD_POLICY_HINT);
  });

  test.each([
    ['invalidparameter', 'Invalid parameter value detected — Email address already exists: ctalice@example.com', /allowaccountssameemail.*Common settings/],
    ['invalidparameter', 'Invalid parameter value detected — Username already exists: ctalice', /username belongs to another Moodle account/],
    ['invalidparameter', 'Invalid parameter value detected — Email address is invalid: not-an-email', /finds the email invalid/],
    ['invalidparameter', 'Invalid parameter value detected — The field firstname cannot be blank', /name Moodle requires is empty/],
    ['invalidparameter', 'Invalid parameter value detected — Only enrolled users may be members of groups', /enrol the person/],
    ['invalidparameter', 'Invalid parameter value detected — Group with the same name already exists in the course', /already has this name/],
    ['invalidparameter', 'Invalid parameter value detected — Can not assign roleid=5 in contextid=', /Allow role assignments/],
    ['invalidparameter', 'Invalid parameter value detected — users => Invalid parameter value detected: username => Invalid parameter value detected: Invalid external api parameter: the value is "CTCarol"', /capitals, spaces/],
    ['invalidparameter', 'Invalid parameter value detected — users => Invalid parameter value detected: auth => Invalid parameter value detected: Invalid external api parameter: the value is "nosuchauth"', /auth method/],
    ['invalidparameter', 'Invalid parameter value detected — record already exists: idnumber=CT-COH1', /another Moodle cohort/],
    ['invalidrecord', "Can't find data record in database table course. — SELECT id,category FROM {course} WHERE id = ?", /Moodle course is not there/],
    ['invalidrecord', "Can't find data record in database table external_functions. — SELECT * FROM {external_functions}", /function does not exist on this Moodle/],
    ['accessexception', 'Access control exception — Access to the function core_course_search_courses() is not allowed.', /not in the token's service/],
    ['accessexception', 'Access control exception — Refused web service access for suspended username: wsuser', /user is suspended/],
    ['accessexception', 'Access control exception — Invalid token - token expired - check validuntil time for the token', /token has expired/],
    ['dmlwriteexception', 'Error writing to database — ERROR: value too long for type character varying(100)', /longer than Moodle's database column/],
    ['2', 'user username=nosuchuser not exists', /user is not in Moodle/],
    ['transient', 'core_user_create_users: no answer within moodle.timeoutMs (300000 ms); the call may still complete on the site', /moodle\.timeoutMs/],
    ['transient', 'core_user_create_users: HTTP 503', /HTTP 5xx/],
    ['protocol', 'core_webservice_get_site_info: HTTP 404 (is this the Moodle site root?)', /front page/],
    ['invalid-encoding', 'p.txt is UTF-16 little-endian (it starts with a UTF-16 byte-order mark): save it as UTF-8', /^(?!.*latin1).*save it as UTF-8/],
  ])('%s with "%s": the sharper hint', (code, message, expected) => {
    const hint = hintFor(code, message)!;
    expect(hint).toMatch(expected);
    expect(hint).not.toBe(hintFor(code));
  });

  test("production sites: invalidparameter's message alone gives the generic hint that lists the likely causes", () => {
    const hint = hintFor('invalidparameter', 'Invalid parameter value detected');
    expect(hint).toBe(MOODLE_CODES.invalidparameter.hint);
    expect(hint).toMatch(/username or email already used/);
    expect(hint).toMatch(/debugging/);
  });
});

describe('the summary and the console', () => {
  const failed = (code: string, message: string): Outcome => ({ line: 2, key: 'k', action: 'create', outcome: 'failed', errorcode: isRowCode(code) ? code : asMoodleErrorcode(code), message });
  const rows: Outcome[] = [
    failed('invalidparameter', 'Invalid parameter value detected'),
    failed('invalidparameter', 'Invalid parameter value detected'),
    failed('invalidparameter', 'Invalid parameter value detected — Email address already exists: a@b.c'),
    failed('duplicate-key', 'twice'),
    { line: 3, key: 'ok', action: 'create', outcome: 'ok' },
  ];

  test('failures: by code and hint, most first', () => {
    expect(countFailures(rows)).toEqual([
      { code: 'invalidparameter', count: 2, hint: MOODLE_CODES.invalidparameter.hint },
      { code: 'duplicate-key', count: 1, hint: CODES['duplicate-key'].hint },
      { code: 'invalidparameter', count: 1, hint: expect.stringContaining('allowaccountssameemail') },
    ]);
    expect(countFailures([])).toEqual([]);
  });

  test("addHints: failures of the rows, and the hint of a whole-file error's Moodle code", () => {
    const s = { error: { code: asMoodleErrorcode('invalidtoken'), message: 'Moodle refused the web-service token (invalidtoken)' } } as SummaryBase;
    addHints(s, undefined);
    expect(s.error!.hint).toBe(MOODLE_CODES.invalidtoken.hint);
    expect(s.failures).toBeUndefined();
    addHints(s, rows);
    expect(s.failures).toHaveLength(3);
  });

  test('the console: the error hint, then at most five failed codes and how many rows the rest hold', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ code: `code${i}`, count: 10 - i, hint: `hint ${i}` }));
    const lines = failureLines({ error: { code: asMoodleErrorcode('invalidtoken'), message: 'x', hint: 'make a token' }, failures: many });
    expect(lines).toEqual([
      '  error: invalidtoken — make a token',
      '  failed: code0 ×10 — hint 0',
      '  failed: code1 ×9 — hint 1',
      '  failed: code2 ×8 — hint 2',
      '  failed: code3 ×7 — hint 3',
      '  failed: code4 ×6 — hint 4',
      '  failed: 9 more row(s) with other codes (summary.json failures, rows.csv)',
    ]);
    expect(failureLines({})).toEqual([]);
  });

  test("the console cuts a password policy's HTML code to one short line", () => {
    const [line] = failureLines({ failures: [{ code: `<div>${'Passwords must be long. '.repeat(5)}</div>`, count: 1, hint: PASSWORD_POLICY_HINT }] });
    expect(line).toMatch(/^ {2}failed: <div>Passwords must.{0,40}… ×1 — the password does not meet/);
  });
});
