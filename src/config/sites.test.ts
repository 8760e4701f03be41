import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configForSite, configForTarget, loadConfig, requireMoodle, requireSiteChosen, siteNames, type Config } from './index.js';
import { redactText } from '../report/redact.js';

function dirWith(config: unknown, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdlsync-sites-'));
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify(config));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const TWO_SITES = {
  moodle: { batchSize: 40, timeoutMs: 1000 },
  sites: {
    north: { url: 'https://north.example', tokenFile: 'north.token', moodle: { batchSize: 10 } },
    'south-2': { url: 'https://south.example', token: 'southtoken', dataSource: 'SOUTH', reports: 'south-reports' },
  },
};

describe('the ledger setting', () => {
  test('a file is resolved against the config file, with the default schema and its folder as state folder', () => {
    const dir = dirWith({ ledger: 'state/ledger.db' });
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c).toMatchObject({ ledger: join(dir, 'state/ledger.db'), ledgerSchema: 'mdlsync', stateDir: join(dir, 'state'), site: null, sites: {} });
    expect(c.mirror.database).toBe(join(dir, 'state', 'mirror.sqlite'));
  });

  test('a URL is kept exactly as given, never path-resolved; its password becomes a secret', () => {
    const url = 'postgres://sync:Pa55-ledger-word@db.example:5432/moodle';
    const dir = dirWith({ ledger: url });
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c).toMatchObject({ ledger: url, ledgerSchema: 'mdlsync', stateDir: join(dir, '.mdlsync') });
    expect(c.mirror.database).toBe(join(dir, '.mdlsync', 'mirror.sqlite'));
    expect(redactText(`connecting to ${url}`)).not.toContain('Pa55-ledger-word');
  });

  test('{url, schema}; postgresql:// too', () => {
    const url = 'postgresql://sync@db.example/moodle';
    const c = loadConfig({ cwd: dirWith({ ledger: { url, schema: 'school_a' } }), env: {} });
    expect(c).toMatchObject({ ledger: url, ledgerSchema: 'school_a' });
  });

  test('--ledger takes a URL as given, or a file relative to the config file; it keeps the configured schema', () => {
    const dir = dirWith({ ledger: { url: 'postgres://a@one.example/x', schema: 'kept' } });
    expect(loadConfig({ cwd: dir, env: {}, overrides: { ledger: 'postgres://b@two.example/y' } })).toMatchObject({ ledger: 'postgres://b@two.example/y', ledgerSchema: 'kept' });
    expect(loadConfig({ cwd: dir, env: {}, overrides: { ledger: 'l.db' } }).ledger).toBe(join(dir, 'l.db'));
  });

  test('a schema that is no PostgreSQL name, or an object whose url is not postgres://, is refused naming the key', () => {
    expect(() => loadConfig({ cwd: dirWith({ ledger: { url: 'postgres://x@h/d', schema: 'Bad-Name' } }), env: {} })).toThrow(/ledger/);
    expect(() => loadConfig({ cwd: dirWith({ ledger: { url: 'mysql://x@h/d' } }), env: {} })).toThrow(/ledger/);
  });
});

describe('sites', () => {
  test('without a choice, a config with several sites and no top-level URL keeps the top level, and needing Moodle fails naming the sites and --site', () => {
    const dir = dirWith(TWO_SITES, { 'north.token': 'northtoken\n' });
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.site).toBeNull();
    expect(siteNames(c)).toEqual(['north', 'south-2']);
    const err = thrown(() => requireMoodle(c));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/2 sites \(north, south-2\).*--site NAME.*MDLSYNC_SITE/);
    // The ledger commands need a site too: the top level's ledger is no site's.
    expect(thrown(() => requireSiteChosen(c)).message).toMatch(/2 sites \(north, south-2\).*--site NAME/);
    expect(() => requireSiteChosen(loadConfig({ cwd: dir, env: {}, overrides: { site: 'north' } }))).not.toThrow();
  });

  test('--site (or MDLSYNC_SITE) chooses one: its values over the top level, moodle options merged field by field', () => {
    const dir = dirWith(TWO_SITES, { 'north.token': 'northtoken\n' });
    const north = loadConfig({ cwd: dir, env: {}, overrides: { site: 'north' } });
    expect(north.site).toBe('north');
    expect(requireMoodle(north)).toEqual({ url: 'https://north.example', token: 'northtoken' });
    expect(north.moodle).toMatchObject({ batchSize: 10, timeoutMs: 1000, concurrency: 4 });
    const south = loadConfig({ cwd: dir, env: { MDLSYNC_SITE: 'south-2' } });
    expect(south).toMatchObject({ site: 'south-2', dataSource: 'SOUTH', reports: join(dir, 'south-reports'), archive: join(dir, 'archive', 'south-2') });
    expect(south.moodle).toMatchObject({ url: 'https://south.example', token: 'southtoken', batchSize: 40 });
    // The flag wins over the environment.
    expect(loadConfig({ cwd: dir, env: { MDLSYNC_SITE: 'south-2' }, overrides: { site: 'north' } }).site).toBe('north');
  });

  test('each site gets its own ledger namespace: sites/NAME/ledger.db beside a SQLite ledger, reports and archive in NAME folders', () => {
    const dir = dirWith(TWO_SITES, { 'north.token': 't' });
    const c = loadConfig({ cwd: dir, env: {} });
    const north = configForSite(c, 'north');
    expect(north).toMatchObject({
      site: 'north',
      ledger: join(dir, '.mdlsync', 'sites', 'north', 'ledger.db'),
      stateDir: join(dir, '.mdlsync', 'sites', 'north'),
      reports: join(dir, 'reports', 'north'),
      archive: join(dir, 'archive', 'north'),
      dataSource: null,
    });
    expect(north.mirror.database).toBe(join(dir, '.mdlsync', 'sites', 'north', 'mirror.sqlite'));
    expect(configForSite(c, 'south-2').ledger).toBe(join(dir, '.mdlsync', 'sites', 'south-2', 'ledger.db'));
    // The top level is unchanged.
    expect(c.ledger).toBe(join(dir, '.mdlsync', 'ledger.db'));
  });

  test('on a PostgreSQL ledger, a site is the same URL in the schema SCHEMA_NAME (mdlsync_NAME by default, dashes as underscores); its mirror stays local', () => {
    const url = 'postgres://sync:Secret-pg-pass@db.example/mdl';
    const dir = dirWith({ ...TWO_SITES, ledger: url }, { 'north.token': 't' });
    const c = loadConfig({ cwd: dir, env: {} });
    expect(configForSite(c, 'north')).toMatchObject({ ledger: url, ledgerSchema: 'mdlsync_north', stateDir: join(dir, '.mdlsync', 'sites', 'north') });
    expect(configForSite(c, 'south-2')).toMatchObject({ ledger: url, ledgerSchema: 'mdlsync_south_2' });
    expect(configForSite(c, 'south-2').mirror.database).toBe(join(dir, '.mdlsync', 'sites', 'south-2', 'mirror.sqlite'));
    // A schema of the top level's choosing prefixes its sites' schemas.
    const own = loadConfig({ cwd: dirWith({ ...TWO_SITES, ledger: { url, schema: 'sync' } }, { 'north.token': 't' }), env: {} });
    expect(configForSite(own, 'south-2')).toMatchObject({ ledger: url, ledgerSchema: 'sync_south_2' });
  });

  test('a site that names its own ledger keeps it (a file relative to the config file, or a URL with its own schema)', () => {
    const dir = dirWith({
      sites: {
        a: { url: 'https://a.example', token: 't', ledger: 'a/ledger.db' },
        b: { url: 'https://b.example', token: 't', ledger: { url: 'postgres://x@h/d', schema: 'bee' } },
      },
    });
    const c = loadConfig({ cwd: dir, env: {} });
    expect(configForSite(c, 'a')).toMatchObject({ ledger: join(dir, 'a/ledger.db'), stateDir: join(dir, 'a') });
    expect(configForSite(c, 'b')).toMatchObject({ ledger: 'postgres://x@h/d', ledgerSchema: 'bee' });
  });

  test("a ledger URL's password is never in an error about the config", () => {
    const bad = [
      { ledger: { url: 'postgres://u:Never-Shown-1@h/d', schema: 'Bad-x' } },
      { ledger: { url: 'postgres://u:Never-Shown-1@h/d', extra: 1 } },
      { ledger: 'postgres://u:Never-Shown-1@h/d', moodle: { batchSize: 0 } },
      { sites: { a: { url: 'https://a.example', ledger: { url: 'postgres://u:Never-Shown-1@h/d', schema: '9x' } } } },
    ];
    for (const config of bad) {
      const err = thrown(() => loadConfig({ cwd: dirWith(config), env: {} }));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toMatch(/ledger|moodle/);
      expect(err.message).not.toContain('Never-Shown-1');
    }
  });

  test('two sites on one ledger namespace are refused, without the password', () => {
    const url = 'postgres://sync:Hidden-pw-77@db.example/mdl';
    const dir = dirWith({ ledger: url, sites: { 'a-b': { url: 'https://a.example' }, a_b: { url: 'https://b.example' } } });
    const err = thrown(() => loadConfig({ cwd: dir, env: {} }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/sites a-b and a_b use the same ledger.*schema mdlsync_a_b/);
    expect(err.message).not.toContain('Hidden-pw-77');
    const own = dirWith({ sites: { a: { url: 'https://a.example', ledger: 'one.db' }, b: { url: 'https://b.example', ledger: 'one.db' } } });
    expect(() => loadConfig({ cwd: own, env: {} })).toThrow(/sites a and b use the same ledger/);
  });

  test('an unknown site is an error listing the known ones; --site without sites says so', () => {
    const dir = dirWith(TWO_SITES, { 'north.token': 't' });
    expect(() => loadConfig({ cwd: dir, env: {}, overrides: { site: 'east' } })).toThrow(/no site "east".*its sites are north, south-2/);
    expect(() => configForSite(loadConfig({ cwd: dir, env: {} }), 'east')).toThrow(ConfigError);
    expect(() => configForSite(loadConfig({ cwd: dir, env: {} }), 'constructor')).toThrow(/no site "constructor"/);
    expect(() => loadConfig({ cwd: dirWith({}), env: {}, overrides: { site: 'east' } })).toThrow(/has no "sites"/);
  });

  test('a site name must be a folder and schema name', () => {
    // Starting with a letter: a folder named 2026-11-23 in ARCHIVE would be pruned as a day's.
    for (const bad of ['North', 'a b', 'a/b', 'é', '2026-11-23', '-a']) {
      expect(() => loadConfig({ cwd: dirWith({ sites: { [bad]: { url: 'https://x.example' } } }), env: {} })).toThrow(/sites/);
    }
  });

  test('the only site of a config without a top-level URL is used without --site; with a top-level URL the top level is', () => {
    const one = { sites: { solo: { url: 'https://solo.example', token: 't' } } };
    expect(loadConfig({ cwd: dirWith(one), env: {} }).site).toBe('solo');
    expect(loadConfig({ cwd: dirWith({ ...one, moodle: { url: 'https://top.example' } }), env: {} }).site).toBeNull();
  });

  test("a site's values win over the environment, flags over the chosen site's; a site without a token takes the environment's", () => {
    const dir = dirWith({ sites: { a: { url: 'https://a.example' }, b: { url: 'https://b.example', token: 'btoken' } } });
    const env = { MDLSYNC_URL: 'https://env.example', MDLSYNC_TOKEN: 'envtoken' };
    expect(requireMoodle(loadConfig({ cwd: dir, env, overrides: { site: 'a' } }))).toEqual({ url: 'https://a.example', token: 'envtoken' });
    expect(requireMoodle(loadConfig({ cwd: dir, env, overrides: { site: 'b' } }))).toEqual({ url: 'https://b.example', token: 'btoken' });
    const flagged = loadConfig({ cwd: dir, env, overrides: { site: 'b', url: 'https://flag.example', reports: 'r', ledger: 'mine.db', batchSize: 7 } });
    expect(flagged).toMatchObject({ moodle: { url: 'https://flag.example', batchSize: 7 }, reports: join(dir, 'r'), ledger: join(dir, 'mine.db'), stateDir: dir });
    // The other sites keep their own values and inherit what the flags set on the top level.
    expect(configForSite(flagged, 'a')).toMatchObject({ moodle: { url: 'https://a.example', batchSize: 7 }, reports: join(dir, 'r', 'a'), ledger: join(dir, 'sites', 'a', 'ledger.db') });
  });

  test("a site's token file is read relative to the config file; one that cannot be read is an error naming it", () => {
    const dir = dirWith({ sites: { a: { url: 'https://a.example', tokenFile: 'missing.token' } } });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/sites\.a\.tokenFile .*missing\.token cannot be read/);
  });

  test("a wrong site value is refused naming its path", () => {
    expect(() => loadConfig({ cwd: dirWith({ sites: { a: { url: 'https://a.example', moodle: { batchSize: 0 } } } }), env: {} })).toThrow(/sites\.a\.moodle\.batchSize/);
    expect(() => loadConfig({ cwd: dirWith({ sites: { a: { url: 'https://a.example', moodle: { colour: 1 } } } }), env: {} })).toThrow(/sites\.a\.moodle/);
    expect(() => loadConfig({ cwd: dirWith({ sites: { a: { url: 'https://a.example', color: 1 } } }), env: {} })).toThrow(/sites\.a/);
  });

  test('watch rules and jobs name existing sites only', () => {
    const base = { sites: { a: { url: 'https://a.example', token: 't' } } };
    expect(() => loadConfig({ cwd: dirWith({ ...base, watch: { rules: [{ match: '*.csv', op: 'store', site: 'b' }] } }), env: {} })).toThrow(/watch\.rules\.0\.site: unknown site "b" \(sites: a\)/);
    expect(() => loadConfig({ cwd: dirWith({ ...base, jobs: [{ name: 'j', cron: '* * * * *', file: 'x.csv', site: 'b' }] }), env: {} })).toThrow(/jobs\.0\.site: unknown site "b"/);
    const ok = loadConfig({ cwd: dirWith({ ...base, jobs: [{ name: 'j', cron: '* * * * *', file: 'x.csv', site: 'a' }] }), env: {} });
    expect(ok.jobs?.[0].site).toBe('a');
  });

  test('configForTarget: a rule without a site runs with the config loaded; with one, with that site', () => {
    const dir = dirWith(TWO_SITES, { 'north.token': 't' });
    const c: Config = loadConfig({ cwd: dir, env: {}, overrides: { site: 'north' } });
    expect(configForTarget(c, undefined)).toBe(c);
    expect(configForTarget(c, 'north')).toBe(c);
    expect(configForTarget(c, 'south-2').site).toBe('south-2');
  });
});
