import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, requireMoodle, siteConnection } from './index.js';

function dirWith(config?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdlsync-config-'));
  if (config !== undefined) writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify(config));
  return dir;
}

describe('loadConfig', () => {
  test('defaults without a file, paths resolved against cwd', () => {
    const dir = dirWith();
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.moodle).toMatchObject({ maxInputVars: 1000, batchSize: 50, concurrency: 4 });
    expect(c.persons).toMatchObject({ passwords: 'create-only', disable: 'suspend' });
    expect(c.guard).toEqual({ maxPercent: 10, maxCount: 1000, maxUpdatePercent: 25, updateMinOwned: 100, additionsOnly: [] });
    expect(c.ledger).toBe(join(dir, '.mdlsync/ledger.db'));
  });

  test('environment overrides the file, flags override both', () => {
    const dir = dirWith({ moodle: { url: 'http://file.example', token: 'filetoken' } });
    const env = { MDLSYNC_URL: 'http://env.example', MDLSYNC_TOKEN: 'envtoken' };
    expect(requireMoodle(loadConfig({ cwd: dir, env }))).toEqual({ url: 'http://env.example', token: 'envtoken' });
    expect(loadConfig({ cwd: dir, env, overrides: { url: 'http://flag.example', batchSize: 10 } })).toMatchObject({
      moodle: { url: 'http://flag.example', batchSize: 10 },
    });
  });

  test('tokenFile is read relative to the config file', () => {
    const dir = dirWith({ moodle: { url: 'http://x.example', tokenFile: 'token.txt' } });
    writeFileSync(join(dir, 'token.txt'), 'abc123\n');
    expect(requireMoodle(loadConfig({ cwd: dir, env: {} })).token).toBe('abc123');
  });

  test('an unknown key or a wrong value is an error naming it', () => {
    expect(() => loadConfig({ cwd: dirWith({ moodel: {} }), env: {} })).toThrow(/moodel/);
    expect(() => loadConfig({ cwd: dirWith({ persons: { passwords: 'never' } }), env: {} })).toThrow(/persons\.passwords/);
    expect(() => loadConfig({ cwd: dirWith(), env: {}, path: 'missing.json' })).toThrow(ConfigError);
  });

  test('guard: maxUpdatePercent may be null (no update guard); additions-only windows are readable dates, in order', () => {
    const windows = [{ from: '2026-08-15', to: '2026-09-15T18:00+02:00' }];
    expect(loadConfig({ cwd: dirWith({ guard: { maxUpdatePercent: null, additionsOnly: windows } }), env: {} }).guard).toMatchObject({ maxUpdatePercent: null, additionsOnly: windows });
    expect(() => loadConfig({ cwd: dirWith({ guard: { additionsOnly: [{ from: '15.08.2026', to: '2026-09-15' }] } }), env: {} })).toThrow(/guard\.additionsOnly.*give dates as YYYY-MM-DD/s);
    expect(() => loadConfig({ cwd: dirWith({ guard: { additionsOnly: [{ from: '2026-09-15', to: '2026-08-15' }] } }), env: {} })).toThrow(/ends before it starts/);
    expect(() => loadConfig({ cwd: dirWith({ guard: { additionsOnly: [{ from: '2026-08-15' }] } }), env: {} })).toThrow(/guard\.additionsOnly/);
    expect(() => loadConfig({ cwd: dirWith({ guard: { maxUpdatePercent: 101 } }), env: {} })).toThrow(/guard\.maxUpdatePercent/);
  });

  test('a key that starts with // is a comment at any depth, in lists too; it also comments a setting out', () => {
    const dir = dirWith({
      '//': ['what this file is', 'and why'],
      moodle: { '// url': 'the site', url: 'http://x.example', '//maxInputVars': 5000 },
      jobs: [{ '//': 'nightly', name: 'n', cron: '0 2 * * *', file: 'p.txt' }],
    });
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.moodle.url).toBe('http://x.example');
    expect(c.moodle.maxInputVars).toBe(1000);
    expect(c.jobs?.[0]).toMatchObject({ name: 'n', file: join(dir, 'p.txt') });
    // Only the // prefix: a key that merely contains it is still an unknown key.
    expect(() => loadConfig({ cwd: dirWith({ moodle: { 'url//': 'x' } }), env: {} })).toThrow(/url\/\//);
  });

  test('a roleMap entry that shadows a Moodle role shortname of the site is an error naming the entry', () => {
    const shadow = () => loadConfig({ cwd: dirWith({ enrolments: { roleMap: { Teacher: 'editingteacher', S: 'student' } } }), env: {} });
    expect(shadow).toThrow(ConfigError);
    expect(shadow).toThrow(/enrolments\.roleMap: the entry "Teacher" → "editingteacher" shadows the Moodle role shortname "teacher"/);
    // Shortnames come from enrolments.roleIds: a site whose roleIds lack "teacher" may map that name.
    expect(() => loadConfig({ cwd: dirWith({ enrolments: { roleMap: { Teacher: 'editingteacher' }, roleIds: { editingteacher: 3, student: 5 } } }), env: {} })).not.toThrow();
    // An entry naming the same role is harmless; the defaults shadow nothing.
    expect(() => loadConfig({ cwd: dirWith({ enrolments: { roleMap: { Student: 'student' } } }), env: {} })).not.toThrow();
    expect(loadConfig({ cwd: dirWith(), env: {} }).enrolments.roleMap).not.toHaveProperty('Teacher');
  });

  test('moodle.languages: the installed language packs, en by default; a bad code is an error naming the key', () => {
    expect(loadConfig({ cwd: dirWith(), env: {} }).moodle.languages).toEqual(['en']);
    expect(loadConfig({ cwd: dirWith({ moodle: { languages: ['en', 'es', 'pt_br'] } }), env: {} }).moodle.languages).toEqual(['en', 'es', 'pt_br']);
    expect(() => loadConfig({ cwd: dirWith({ moodle: { languages: ['en', 'es mx'] } }), env: {} })).toThrow(/moodle\.languages/);
    expect(() => loadConfig({ cwd: dirWith({ moodle: { languages: [] } }), env: {} })).toThrow(/moodle\.languages/);
  });

  test('a missing URL or token says how to set it', () => {
    expect(() => requireMoodle(loadConfig({ cwd: dirWith(), env: {} }))).toThrow(/MDLSYNC_URL/);
    expect(() => requireMoodle(loadConfig({ cwd: dirWith(), env: { MDLSYNC_URL: 'http://x.example' } }))).toThrow(/MDLSYNC_TOKEN/);
  });
});

describe('the network settings', () => {
  test('defaults: no private CA, no rate limit, the breaker after 20 transient failures in a row', () => {
    const config = loadConfig({ cwd: dirWith({}), env: {} });
    expect(config.moodle).toMatchObject({ breakerFailures: 20 });
    expect(config.moodle.ca).toBeUndefined();
    expect(config.moodle.maxRequestsPerSecond).toBeUndefined();
  });

  test('moodle.ca is relative to the config file, --ca to the working directory; the file must hold a PEM certificate', () => {
    const dir = dirWith({ moodle: { ca: 'certs/ca.pem' } });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/the CA file .*certs\/ca\.pem \(--ca \/ moodle\.ca\) cannot be read \(ENOENT\)/);
    writeFileSync(join(dir, 'not.pem'), 'hello');
    expect(() => loadConfig({ cwd: dir, env: {}, overrides: { ca: 'not.pem' } })).toThrow(ConfigError);
    expect(() => loadConfig({ cwd: dir, env: {}, overrides: { ca: 'not.pem' } })).toThrow(/holds no PEM certificate/);
    writeFileSync(join(dir, 'ok.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(loadConfig({ cwd: dir, env: {}, overrides: { ca: 'ok.pem' } }).moodle.ca).toBe(join(dir, 'ok.pem'));
  });

  test('--max-rps overrides moodle.maxRequestsPerSecond; a rate that is not above 0 is refused', () => {
    expect(loadConfig({ cwd: dirWith({ moodle: { maxRequestsPerSecond: 4 } }), env: {}, overrides: { maxRequestsPerSecond: 2.5 } }).moodle.maxRequestsPerSecond).toBe(2.5);
    expect(() => loadConfig({ cwd: dirWith({ moodle: { maxRequestsPerSecond: 0 } }), env: {} })).toThrow(/moodle\.maxRequestsPerSecond/);
    expect(() => loadConfig({ cwd: dirWith({ moodle: { breakerFailures: 0 } }), env: {} })).toThrow(/moodle\.breakerFailures/);
  });

  test("a Moodle client's options carry the CA's PEM text and the rate limit; none of them without the settings", () => {
    const dir = dirWith({ moodle: { url: 'https://moodle.example.edu', token: 'tok-123456', ca: 'ca.pem', maxRequestsPerSecond: 3, timeoutMs: 1000 } });
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(siteConnection(loadConfig({ cwd: dir, env: {} }))).toEqual({
      url: 'https://moodle.example.edu',
      token: 'tok-123456',
      timeoutMs: 1000,
      ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      maxRequestsPerSecond: 3,
    });
    const plain = siteConnection(loadConfig({ cwd: dirWith({ moodle: { url: 'https://moodle.example.edu', token: 'tok-123456' } }), env: {} }));
    expect(Object.keys(plain).sort()).toEqual(['timeoutMs', 'token', 'url']);
  });
});
