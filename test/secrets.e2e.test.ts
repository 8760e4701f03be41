/**
 * What mdlsync must never show and never damage, end to end through the CLI: the web-service token (planted in a
 * feed's content, a file name and an error message) and reports/mdlsync.log (appended, never through a symlink).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startWatchCli, waitFor } from './automation-helpers.js';
import { SIS_HEADER, persons, sisFile, workspace, type CliResult, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

/** Every file under `dir`, recursively (symbolic links are listed, not followed). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

describe('the token is redacted at every output', () => {
  test('a token planted in a feed, a file name and a row error appears in no output: console, log, reports, reason files', async () => {
    // A real Moodle token is 32 hex characters; a random one cannot match anything by chance.
    const token = randomBytes(16).toString('hex');
    ws = await workspace({ token });
    const outputs: { what: string; result: CliResult }[] = [];
    const cli = async (what: string, args: string[]) => {
      const result = await ws!.cli(args);
      outputs.push({ what, result });
      return result;
    };

    // 1. A feed whose whole content is the token: refused, its header quoted in the error sentence.
    const tokenOnly = ws.write('pasted.txt', token + '\n');
    expect((await cli('token as content', ['run', tokenOnly])).code).toBe(3);

    // 2. The token in the file name and in a row whose error message quotes the cell.
    const header = [...SIS_HEADER, 'ROW_STATUS'];
    const rows = persons(2).map((r) => [...r, 'enabled']);
    rows[1][6] = token;
    const input = sisFile(header, rows);
    const named = ws.write(`persons-${token}.txt`, input);
    expect((await cli('token in name and row, plan', ['plan', named])).code).toBe(0);
    const run = await cli('token in name and row, run', ['run', named]);
    expect(run.code).toBe(2);
    const tryback = ws.lastSummary().tryback;
    expect(tryback).toBeTruthy();

    // 3. The watch folder rejects a feed whose header holds the token, with a reason file.
    const pastedHeader = `EXTERNAL_PERSON_KEY|${token}\n`;
    const drop = join(ws.dir, 'drop');
    mkdirSync(drop);
    const watcher = await startWatchCli(ws, ['drop', '--stability-ms', '200'], token);
    try {
      writeFileSync(join(drop, 'persons.store.pasted.csv'), pastedHeader);
      await waitFor('the reason file', () => existsSync(join(drop, 'rejected', 'persons.store.pasted.csv.reason.txt'))).catch((err: Error) => {
        throw new Error(`${err.message}; the watcher said:\n${watcher.stderr()}`);
      });
    } finally {
      watcher.child.kill('SIGTERM');
    }
    const watched: CliResult = { code: (await watcher.exited) ?? -1, stdout: watcher.stdout(), stderr: watcher.stderr() };
    outputs.push({ what: 'watch', result: watched });
    // The reason names what went wrong (the column it does not know), only without the token.
    expect(readFileSync(join(drop, 'rejected', 'persons.store.pasted.csv.reason.txt'), 'utf8')).toMatch(/unknown column "\[redacted\]"/);

    // Every console output: stdout and stderr of each command.
    for (const { what, result } of outputs) {
      expect({ what, stdout: result.stdout.includes(token), stderr: result.stderr.includes(token) }).toEqual({ what, stdout: false, stderr: false });
    }
    // The final sentence still says what went wrong.
    expect(outputs[0].result.stdout).toMatch(/from the header "\[redacted\]"/);

    // Every file under reports/ (the log included) and every reason file: neither their content nor their name.
    const reports = join(ws.dir, 'reports');
    const files = [...filesUnder(reports), ...filesUnder(join(drop, 'rejected')).filter((f) => f.endsWith('.reason.txt'))];
    expect(files).toContain(join(reports, 'mdlsync.log'));
    expect(files.filter((f) => f.endsWith('summary.json')).length).toBeGreaterThanOrEqual(3);
    expect(files.some((f) => f.endsWith('rows.csv'))).toBe(true);
    expect(files.some((f) => f.endsWith('plan.csv'))).toBe(true);
    // report.html of each run and plan goes through the same redaction, and never shows the rows' passwords either.
    const pages = files.filter((f) => f.endsWith('report.html'));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const passwords = rows.map((r) => r[2]);
    expect(passwords.every((p) => input.includes(p))).toBe(true);
    expect(pages.flatMap((f) => passwords.filter((p) => readFileSync(f, 'utf8').includes(p)).map((p) => `${relative(ws!.dir, f)}: ${p}`))).toEqual([]);
    const inputLines = new Set(input.split('\n'));
    const leaks: string[] = [];
    for (const file of files) {
      if (relative(reports, file).includes(token)) leaks.push(`name: ${relative(ws.dir, file)}`);
      for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
        // The tryback holds the failed rows exactly as received (like the archive, mode 0600); its comments are ours.
        if (file === tryback && inputLines.has(line)) continue;
        if (line.includes(token)) leaks.push(`${relative(ws.dir, file)}: ${line.slice(0, 120)}`);
      }
    }
    expect(leaks).toEqual([]);
    // The failed row is still in the tryback, byte for byte, after a comment that names its error.
    expect(readFileSync(tryback!, 'utf8')).toMatch(/# line 3: invalid-value: column ROW_STATUS has "(?:\[redacted\]|\(value not shown\))".*\n.*\|/);
    expect(readFileSync(tryback!, 'utf8')).toContain(input.split('\n')[2]);

    // The archive keeps each input as received (it is the input, mode 0600); only its name is ours, and redacted.
    const archived = filesUnder(join(ws.dir, 'archive'));
    expect(archived.filter((f) => f.includes(token))).toEqual([]);
    expect(archived.map((f) => readFileSync(f, 'utf8')).sort()).toEqual([token + '\n', pastedHeader, input].sort());
  }, 60_000);
});

describe('secrets mdlsync cannot know yet', () => {
  test('a config file that is not valid JSON around an unquoted token: the error names the file, not the text', async () => {
    ws = await workspace();
    // Starting with a letter: JSON.parse then fails on the token's first character and quotes what follows.
    const token = 'ab' + randomBytes(15).toString('hex');
    // A common slip: the token pasted without quotes. JSON.parse quotes the text around the error, i.e. the token.
    writeFileSync(join(ws.dir, 'mdlsync.config.json'), `{ "moodle": { "url": "${ws.sandbox.url}", "token": ${token} } }\n`);
    const r = await ws.cli(['doctor'], { MDLSYNC_TOKEN: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mdlsync\.config\.json is not valid JSON/);
    expect(r.stderr).not.toContain(token.slice(0, 6));
  }, 30_000);
});

describe('reports/mdlsync.log', () => {
  test('two commands writing it at once: earlier content kept, both commands\' lines whole, no NUL bytes', async () => {
    ws = await workspace();
    const log = join(ws.dir, 'reports', 'mdlsync.log');
    mkdirSync(join(ws.dir, 'reports'));
    const earlier = JSON.stringify({ level: 'info', message: 'a line from an earlier command' }) + '\n';
    writeFileSync(log, earlier);
    const a = ws.write('a.txt', sisFile(SIS_HEADER, persons(30, { prefix: 'a' })));
    const b = ws.write('b.txt', sisFile(SIS_HEADER, persons(30, { prefix: 'b' })));
    const [ra, rb] = await Promise.all([ws.cli(['plan', a, '--log-level', 'debug']), ws.cli(['plan', b, '--log-level', 'debug'])]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const runIdOf = (r: CliResult) => /^plan (\S+):/m.exec(r.stdout)?.[1] ?? 'none';

    const text = readFileSync(log, 'utf8');
    expect(text.includes('\0')).toBe(false);
    expect(text.startsWith(earlier)).toBe(true);
    // Every line is a whole JSON entry: no line was cut into or overwritten by the other writer.
    const entries = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { message: string });
    for (const r of [ra, rb]) {
      const id = runIdOf(r);
      expect(entries.filter((e) => e.message.startsWith(`run ${id}:`))).toHaveLength(1);
      expect(entries.some((e) => e.message.startsWith('Dry run: nothing was written') && e.message.includes(id))).toBe(true);
    }
    // A later command appends again.
    expect((await ws.cli(['plan', a])).code).toBe(0);
    expect(readFileSync(log, 'utf8').startsWith(text)).toBe(true);
  }, 60_000);

  test('a symlink planted at the log path is refused with a clear message; its target is untouched', async () => {
    ws = await workspace();
    mkdirSync(join(ws.dir, 'reports'));
    const log = join(ws.dir, 'reports', 'mdlsync.log');
    const victim = ws.write('victim.conf', 'precious = yes\n');
    symlinkSync(victim, log);
    const file = ws.write('a.txt', sisFile(SIS_HEADER, persons(2)));
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the log file .*mdlsync\.log is a symbolic link: .*remove or rename it/);
    expect(readFileSync(victim, 'utf8')).toBe('precious = yes\n');
    expect(lstatSync(log).isSymbolicLink()).toBe(true);
    expect(ws.sandbox.stats.writeCalls).toBe(0);

    // A dangling link is not followed either: nothing is created where it points.
    const nowhere = join(ws.dir, 'created-through-link.log');
    const dangling = join(ws.dir, 'other-reports', 'mdlsync.log');
    mkdirSync(join(ws.dir, 'other-reports'));
    symlinkSync(nowhere, dangling);
    expect((await ws.cli(['run', file, '--reports', 'other-reports'])).code).toBe(1);
    expect(existsSync(nowhere)).toBe(false);

    // doctor names it too, as a problem to fix.
    const doctor = await ws.cli(['doctor']);
    expect(doctor.code).toBe(3);
    expect(doctor.stdout).toMatch(/FAIL log file .*mdlsync\.log is a symbolic link\n\s+→ remove or rename/);
  }, 60_000);
});
