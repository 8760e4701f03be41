/** The mirror's config: defaults, the database beside the ledger or a URL, onChange's two forms, mirror jobs. */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './index.js';

function load(config: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'mdlsync-mirror-config-'));
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify(config));
  return { dir, config: () => loadConfig({ cwd: dir, env: {} }) };
}

describe('mirror config', () => {
  test('defaults: mirror.sqlite beside the ledger, 20 membership courses a pass, editingteacher and manager as editors', () => {
    const { dir, config } = load({ ledger: 'state/ledger.db' });
    expect(config().mirror).toEqual({
      database: join(dir, 'state', 'mirror.sqlite'),
      membershipCoursesPerPass: 20,
      editorRoles: ['editingteacher', 'manager'],
      questionCategories: [],
      users: 'one-call',
      clockMarginSeconds: 300,
    });
  });

  test('a postgres:// URL is kept as it is; a file is relative to the config', () => {
    expect(load({ mirror: { database: 'postgres://u:pw@db.example/mirror' } }).config().mirror.database).toBe('postgres://u:pw@db.example/mirror');
    const { dir, config } = load({ mirror: { database: 'm/copy.sqlite' } });
    expect(config().mirror.database).toBe(join(dir, 'm', 'copy.sqlite'));
  });

  test('onChange is a command (an argument list) or an http(s) URL, nothing else', () => {
    expect(load({ mirror: { onChange: { command: ['/usr/bin/notify', '--course'] } } }).config().mirror.onChange).toEqual({ command: ['/usr/bin/notify', '--course'], timeoutMs: 30_000 });
    expect(load({ mirror: { onChange: { url: 'https://hooks.example/x' } } }).config().mirror.onChange).toEqual({ url: 'https://hooks.example/x', timeoutMs: 30_000 });
    expect(() => load({ mirror: { onChange: { command: 'notify --course' } } }).config()).toThrow(/mirror\.onChange/);
    expect(() => load({ mirror: { onChange: { url: 'ftp://hooks.example/x' } } }).config()).toThrow(/mirror\.onChange/);
  });

  test('a mirror job needs no file; a file job still needs exactly one of file or glob', () => {
    const jobs = load({ jobs: [{ name: 'm', cron: '0 0 * * * *', mirror: true, full: true }] }).config().jobs;
    expect(jobs?.[0]).toMatchObject({ name: 'm', mirror: true, full: true });
    expect(() => load({ jobs: [{ name: 'm', cron: '0 0 * * * *', mirror: true, file: 'x.csv' }] }).config()).toThrow(/a mirror job reads Moodle, not a file/);
    expect(() => load({ jobs: [{ name: 'f', cron: '0 0 * * * *' }] }).config()).toThrow(/exactly one of "file" or "glob"/);
  });
});
