import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/index.js';
import { Refusal } from '../refusal.js';
import { checkDataSource, checkTokenFile, checkTypes, checkUrl, tokenFileWarning, type InitAnswers } from './answers.js';
import { initConfig, initConfigText, writeInitConfig } from './config-file.js';
import { answersFromFlags, askAnswers } from './questions.js';

const ANSWERS: InitAnswers = { url: 'https://moodle.example.edu', tokenFile: 'token', dataSource: 'SIS.2026', types: ['courses', 'persons'] };

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'mdlsync-init-'));
}

describe('the config init writes', () => {
  test('loads with the real loader: the answers, the token read from the file, the defaults', () => {
    const dir = folder();
    writeFileSync(join(dir, 'token'), 'the-token-itself\n', { mode: 0o600 });
    writeInitConfig(join(dir, 'mdlsync.config.json'), ANSWERS);
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config.moodle).toMatchObject({ url: ANSWERS.url, tokenFile: 'token', token: 'the-token-itself', maxInputVars: 1000 });
    expect(config.dataSource).toBe('SIS.2026');
    expect(config.ledger).toBe(join(dir, '.mdlsync/ledger.db'));
    expect(config.persons).toMatchObject({ passwords: 'create-only', disable: 'suspend' });
    expect(config.courses.disable).toBe('hide');
  });

  test('a comment before each setting it writes; the feed types and the commands for them in a comment', () => {
    const config = initConfig(ANSWERS);
    const settings = Object.keys(config).filter((k) => !k.startsWith('//'));
    // moodle's comments are inside it, one per setting; reports and archive share the ledger's.
    expect(settings.filter((k) => !(`// ${k}` in config))).toEqual(['moodle', 'reports', 'archive']);
    const moodle = config.moodle as Record<string, unknown>;
    expect(Object.keys(moodle).filter((k) => !k.startsWith('//') && !(`// ${k}` in moodle))).toEqual([]);
    expect(JSON.stringify(config['// feed types'])).toContain('mdlsync doctor --types courses,persons');
  });

  test('sections follow the feed types: no persons settings for a courses-only site, cohorts for cohorts', () => {
    expect(initConfig({ ...ANSWERS, types: ['courses'] })).not.toHaveProperty('persons');
    expect(initConfig({ ...ANSWERS, types: ['courses'] }).moodle).not.toHaveProperty('languages');
    expect(initConfig({ ...ANSWERS, types: ['cohorts'] })).toMatchObject({ cohorts: { disable: 'delete' } });
  });

  test('an answer with quotes or backslashes stays one JSON string', () => {
    const text = initConfigText({ ...ANSWERS, tokenFile: 'C:\\mdlsync\\"token".txt', dataSource: 'SIS "A"' });
    expect(JSON.parse(text)).toMatchObject({ moodle: { tokenFile: 'C:\\mdlsync\\"token".txt' }, dataSource: 'SIS "A"' });
  });

  test('an existing file is kept unless force; the file gets the usual mode (it holds no secret)', () => {
    const dir = folder();
    const path = join(dir, 'mdlsync.config.json');
    writeFileSync(path, '{"dataSource": "mine"}');
    expect(() => writeInitConfig(path, ANSWERS)).toThrow(Refusal);
    expect(() => writeInitConfig(path, ANSWERS)).toThrow(/already exists.*--force/);
    expect(readFileSync(path, 'utf8')).toBe('{"dataSource": "mine"}');
    writeInitConfig(path, ANSWERS, { force: true });
    expect(JSON.parse(readFileSync(path, 'utf8')).dataSource).toBe('SIS.2026');

    const fresh = join(dir, 'other.json');
    writeInitConfig(fresh, ANSWERS);
    writeFileSync(join(dir, 'plain.txt'), 'x');
    expect(statSync(fresh).mode & 0o777).toBe(statSync(join(dir, 'plain.txt')).mode & 0o777);
  });

  test('a folder that cannot be written is one sentence naming the path', () => {
    expect(() => writeInitConfig(join(folder(), 'no', 'such', 'mdlsync.config.json'), ANSWERS)).toThrow(/cannot be written \(ENOENT\)/);
  });
});

describe('answers are checked as the config loader checks them', () => {
  test('URL: http(s) only, trimmed', () => {
    expect(checkUrl(' https://moodle.example.edu/ ')).toEqual({ ok: true, value: 'https://moodle.example.edu/' });
    expect(checkUrl('http://127.0.0.1:8080').ok).toBe(true);
    for (const bad of ['', 'moodle.example.edu', 'ftp://moodle.example.edu', 'https://', 'https://exa mple.edu']) {
      expect(checkUrl(bad)).toMatchObject({ ok: false, error: expect.stringContaining('not a web address') });
    }
  });

  test('data source: not empty; token file: a path', () => {
    expect(checkDataSource(' SIS ')).toEqual({ ok: true, value: 'SIS' });
    expect(checkDataSource('  ').ok).toBe(false);
    expect(checkTokenFile('').ok).toBe(false);
    expect(checkTokenFile('/etc/mdlsync/token')).toEqual({ ok: true, value: '/etc/mdlsync/token' });
  });

  test('feed types: known ones, each once, in run order', () => {
    expect(checkTypes('persons, courses,persons')).toEqual({ ok: true, value: ['courses', 'persons'] });
    expect(checkTypes('persons,badges')).toMatchObject({ ok: false, error: expect.stringContaining('unknown feed type badges') });
    expect(checkTypes(' , ').ok).toBe(false);
  });

  test('token file: missing, a folder or readable by others is a warning with the fix; 0600 is none', () => {
    const dir = folder();
    expect(tokenFileWarning('token', dir)).toMatch(/does not exist yet.*chmod 600/);
    mkdirSync(join(dir, 'sub'));
    expect(tokenFileWarning('sub', dir)).toMatch(/is not a file/);
    writeFileSync(join(dir, 'token'), 't');
    chmodSync(join(dir, 'token'), 0o644);
    expect(tokenFileWarning('token', dir, 'linux')).toMatch(/is not private \(mode 0644\): chmod 600/);
    expect(tokenFileWarning('token', dir, 'win32')).toBeNull();
    chmodSync(join(dir, 'token'), 0o600);
    expect(tokenFileWarning(join(dir, 'token'), '/elsewhere', 'linux')).toBeNull();
  });
});

describe('flags and questions', () => {
  test('flags: what is missing is named by its flag; --yes fills what has a default; a bad flag is a ConfigError naming it', () => {
    expect(answersFromFlags({}, false).missing).toEqual(['--url', '--token-file', '--datasource', '--types']);
    expect(answersFromFlags({}, true)).toEqual({ given: { dataSource: 'SIS', types: ['persons'] }, missing: ['--url', '--token-file'] });
    expect(answersFromFlags({ url: 'https://m.example', tokenFile: 't', dataSource: 'X', types: 'observers' }, false)).toEqual({
      given: { url: 'https://m.example', tokenFile: 't', dataSource: 'X', types: ['observers'] },
      missing: [],
    });
    expect(() => answersFromFlags({ url: 'm.example' }, false)).toThrow(ConfigError);
    expect(() => answersFromFlags({ types: 'badges' }, true)).toThrow(/^--types: unknown feed type badges/);
  });

  test('a bad answer is asked again with the reason; an empty one takes the default; given answers are not asked', async () => {
    const typed = ['moodle.example.edu', 'https://moodle.example.edu', '', 'token', '', 'persons,badges', 'groups'];
    const prompts: string[] = [];
    const said: string[] = [];
    const answers = await askAnswers(
      {},
      {
        ask: async (p) => {
          prompts.push(p);
          return typed.shift() ?? '';
        },
        say: (line) => said.push(line),
      },
    );
    expect(answers).toEqual({ url: 'https://moodle.example.edu', tokenFile: 'token', dataSource: 'SIS', types: ['groups'] });
    expect(prompts).toEqual([
      'Moodle site URL: ',
      'Moodle site URL: ',
      'Token file: ',
      'Token file: ',
      'Data source key [SIS]: ',
      'Feed types you sync, comma-separated [persons]: ',
      'Feed types you sync, comma-separated [persons]: ',
    ]);
    expect(said.filter((l) => l.startsWith('  '))).toEqual([
      expect.stringContaining('"moodle.example.edu" is not a web address'),
      expect.stringContaining('give the path of a file'),
      expect.stringContaining('unknown feed type badges'),
    ]);

    const none: string[] = [];
    await askAnswers({ url: 'https://m.example', tokenFile: 't', dataSource: 'X' }, { ask: async (p) => (none.push(p), ''), say: () => {} });
    expect(none).toEqual(['Feed types you sync, comma-separated [persons]: ']);
  });
});
