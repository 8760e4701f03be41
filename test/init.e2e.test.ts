/**
 * `mdlsync init` as an admin meets it: typed answers in a real terminal (tmux, on a private socket), and flags alone
 * from a script (no terminal). Every written file is loaded with the real config loader.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, requireMoodle } from '../src/config/index.js';
import { startSandbox } from '../src/sandbox/server.js';
import { CLI, ROOT, runCli } from './helpers.js';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'mdlsync-init-e2e-'));
}

const TMUX_FOUND = spawnSync('tmux', ['-V']).status === 0;
if (!TMUX_FOUND) {
  // Visible in the test output, never a silent pass: .ci/install-tools.sh installs tmux where CI runs.
  process.stderr.write('SKIPPED: tmux is not installed, so mdlsync init is not tested in a terminal (apt-get install tmux)\n');
}

/** One tmux server of its own (its socket in a temp folder), so parallel tests and a user's tmux never meet it. */
class Terminal {
  private readonly socket: string;
  constructor(readonly dir: string) {
    this.socket = join(folder(), 'tmux.sock');
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: this.dir, TERM: 'xterm' } });
  }

  /** Runs `mdlsync ARGS` in a 120×40 terminal; the pane stays open after it ends to show EXIT=code. */
  start(args: string): void {
    const command = `'${process.execPath}' '${CLI}' ${args}; echo "EXIT=$?"; exec sleep 600`;
    this.tmux('new-session', '-d', '-x', '120', '-y', '40', '-c', this.dir, command);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-J');
  }

  /** Waits (checking every 100 ms, up to 20 s) until the screen matches. */
  async waitFor(pattern: RegExp): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      await sleep(100);
    }
    throw new Error(`the terminal never showed ${pattern}; it shows:\n${this.screen()}`);
  }

  /** Types the text literally (no key names), then Enter. */
  type(text: string): void {
    if (text) this.tmux('send-keys', '-l', text);
    this.tmux('send-keys', 'Enter');
  }

  key(name: string): void {
    this.tmux('send-keys', name);
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
  }
}

const terminals: Terminal[] = [];
afterAll(() => {
  for (const t of terminals) t.close();
});

function terminalIn(dir: string): Terminal {
  const t = new Terminal(dir);
  terminals.push(t);
  return t;
}

(TMUX_FOUND ? describe : describe.skip)('mdlsync init in a terminal', () => {
  test('asks four questions, asks again after a bad answer, writes a file the loader reads, then says what to do next', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'token'), 'secret-token-value\n', { mode: 0o600 });
    const term = terminalIn(dir);
    term.start('init');
    await term.waitFor(/4 question\(s\), then mdlsync init writes .*mdlsync\.config\.json/);
    await term.waitFor(/Moodle site URL:\s*$/m);
    term.type('moodle.example.edu');
    await term.waitFor(/"moodle\.example\.edu" is not a web address/);
    term.type('https://moodle.example.edu');
    await term.waitFor(/only that file's path goes in the config\.\nToken file:\s*$/m);
    term.type('token');
    await term.waitFor(/Data source key \[SIS\]:\s*$/m);
    term.type('   ');
    await term.waitFor(/Feed types: categories, courses, persons,.*\nFeed types you sync, comma-separated \[persons\]:\s*$/m);
    term.type('persons,badges');
    await term.waitFor(/unknown feed type badges/);
    term.type('persons, enrolments');
    const screen = await term.waitFor(/EXIT=\d+/);

    expect(screen).toMatch(/EXIT=0/);
    expect(screen).toMatch(/Wrote .*mdlsync\.config\.json \(feed types: persons, enrolments\)/);
    expect(screen).toMatch(/1\. mdlsync setup --types persons,enrolments +lists what the Moodle site needs/);
    expect(screen).toMatch(/2\. mdlsync doctor --types persons,enrolments +checks the URL, the token/);
    // The token file is private already: no step asks to fix it.
    expect(screen).not.toMatch(/does not exist yet|is not private/);

    const text = readFileSync(join(dir, 'mdlsync.config.json'), 'utf8');
    expect(text).not.toContain('secret-token-value');
    const config = loadConfig({ cwd: dir, env: {} });
    expect(requireMoodle(config)).toEqual({ url: 'https://moodle.example.edu', token: 'secret-token-value' });
    expect(config.dataSource).toBe('SIS');
  });

  test('Ctrl-C stops it without writing; a token file readable by others is the first step to fix', async () => {
    const dir = folder();
    const stopped = terminalIn(dir);
    stopped.start('init --datasource HR');
    await stopped.waitFor(/3 question\(s\)/);
    await stopped.waitFor(/Moodle site URL:\s*$/m);
    stopped.type('https://moodle.example.edu');
    await stopped.waitFor(/Token file:\s*$/m);
    stopped.key('C-c');
    expect(await stopped.waitFor(/EXIT=\d+/)).toMatch(/init stopped: .*mdlsync\.config\.json was not written\.\s+EXIT=1/);
    expect(existsSync(join(dir, 'mdlsync.config.json'))).toBe(false);

    writeFileSync(join(dir, 'token'), 'x', { mode: 0o644 });
    const open = terminalIn(dir);
    open.start('init --url https://moodle.example.edu --datasource HR --types persons');
    await open.waitFor(/Token file:\s*$/m);
    open.type('token');
    const screen = await open.waitFor(/EXIT=\d+/);
    expect(screen).toMatch(/EXIT=0/);
    expect(screen).toMatch(/1\. .*token is not private \(mode 0644\): chmod 600 .*token/);
    expect(loadConfig({ cwd: dir, env: {} }).dataSource).toBe('HR');
  });
});

describe('mdlsync init from flags (no terminal)', () => {
  const sandboxes: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const s of sandboxes) await s.close();
  });

  test('with every answer given it asks nothing; the file it writes runs a feed against the sandbox', async () => {
    const sandbox = await startSandbox();
    sandboxes.push(sandbox);
    const dir = folder();
    writeFileSync(join(dir, 'moodle.token'), `${sandbox.token}\n`, { mode: 0o600 });
    const r = await runCli(['init', '--url', sandbox.url, '--token-file', 'moodle.token', '--datasource', 'SIS.2026', '--types', 'persons'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).not.toMatch(/question|Moodle site URL|Token file|Data source key|Feed types you sync/);
    expect(r.stdout).toMatch(/Next:\n {2}1\. mdlsync setup --types persons/);

    // The config alone (no MDLSYNC_* in the environment) reaches the site: the URL and the token file are right.
    const run = await runCli(['run', join(ROOT, 'fixtures', 'persons.txt')], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/create/);
    expect(loadConfig({ cwd: dir, env: {} }).dataSource).toBe('SIS.2026');
  });

  test('--yes takes the defaults; what has none is named by its flag (exit 1), nothing is written', async () => {
    const dir = folder();
    const missing = await runCli(['init', '--token-file', 't'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mdlsync: init needs --url, --datasource, --types: without a terminal it cannot ask/);
    const yes = await runCli(['init', '--yes', '--datasource', 'HR'], { cwd: dir });
    expect(yes.code).toBe(1);
    expect(yes.stderr).toMatch(/init needs --url, --token-file: with --yes it asks nothing/);
    const bad = await runCli(['init', '--yes', '--url', 'moodle.example.edu', '--token-file', 't'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--url: "moodle\.example\.edu" is not a web address/);
    expect(existsSync(join(dir, 'mdlsync.config.json'))).toBe(false);

    const ok = await runCli(['init', '--non-interactive', '--url', 'https://moodle.example.edu', '--token-file', 't'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/1\. .*t does not exist yet: put the token in it/);
    writeFileSync(join(dir, 't'), 'x', { mode: 0o600 });
    expect(loadConfig({ cwd: dir, env: {} })).toMatchObject({ dataSource: 'SIS', moodle: { url: 'https://moodle.example.edu' } });
  });

  test('an existing config is refused before anything is asked (exit 3) and kept; --force replaces it; --config names another file', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'mdlsync.config.json'), '{"dataSource": "mine"}');
    const args = ['--url', 'https://moodle.example.edu', '--token-file', 't', '--yes'];
    const refused = await runCli(['init', ...args], { cwd: dir });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/mdlsync\.config\.json already exists: .*pass --force to replace it/);
    // Refused before the missing answers are even looked at.
    expect((await runCli(['init'], { cwd: dir })).code).toBe(3);
    expect(readFileSync(join(dir, 'mdlsync.config.json'), 'utf8')).toBe('{"dataSource": "mine"}');

    expect((await runCli(['init', ...args, '--force'], { cwd: dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'mdlsync.config.json'), 'utf8')).dataSource).toBe('SIS');

    const other = await runCli(['--config', 'site-b.json', 'init', ...args, '--datasource', 'B'], { cwd: dir });
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/mdlsync --config site-b\.json doctor --types persons/);
    writeFileSync(join(dir, 't'), 'x', { mode: 0o600 });
    expect(loadConfig({ cwd: dir, env: {}, path: 'site-b.json' }).dataSource).toBe('B');
    rmSync(dir, { recursive: true, force: true });
  });
});
