/**
 * One entity, one place: adding an entity type touches only its folder under src/entities/ and the list in
 * src/entities/index.ts. The test copies src/ (and what the build needs) to a temporary folder, writes a toy entity
 * there — the sources in test/toy-entity/*.ts.txt become src/entities/toys/*.ts: toys are cohorts `toy:KEY` with their
 * own header EXTERNAL_TOY_KEY|NAME|DATA_SOURCE_KEY, applied through the existing moodle/ wrappers — adds its line
 * (and import) to the list, compiles the copy with the project's tsc (once) and runs the compiled CLI against the
 * sandbox: the type is found from the header (no --type), a store creates, a re-run changes nothing, a refresh
 * disables (here: deletes the cohort of) a toy the file lacks, behind the same guard as every type, and `doctor`
 * checks the toy's functions.
 *
 * The sources are .ts.txt so the project's own lint and tsc leave them alone: their imports only resolve inside
 * src/entities/toys/. Compiling the copy takes about as long as `npm run build` (10 s of CPU, ~30 s on a loaded
 * machine).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT, sisFile, workspace, type CliResult, type Workspace } from './helpers.js';

const TOY_SOURCES = join(ROOT, 'test', 'toy-entity');
const TOY_HEADER = ['EXTERNAL_TOY_KEY', 'NAME', 'DATA_SOURCE_KEY'];
const IMPORT_LINE = "import { toys } from './toys/index.js';";
const LIST_LINE = '  toys,';

let copy = '';
let ws: Workspace | null = null;

/** `mdlsync ARGS` of the compiled copy, in the workspace, against the sandbox. */
function toyCli(args: string[]): Promise<CliResult> {
  const w = ws!;
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(copy, 'bin', 'mdlsync.js'), ...args],
      { cwd: w.dir, env: { PATH: process.env.PATH ?? '', HOME: w.dir, MDLSYNC_URL: w.sandbox.url, MDLSYNC_TOKEN: w.sandbox.token }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Every file under dir, by its path relative to base, with its content. */
function files(dir: string, base: string, out = new Map<string, string>()): Map<string, string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) files(path, base, out);
    else out.set(relative(base, path), readFileSync(path, 'utf8'));
  }
  return out;
}

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), 'mdlsync-toy-'));
  cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
  cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'scripts', 'bundle.mjs'), join(copy, 'scripts', 'bundle.mjs'));
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(copy, f));
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');

  // The toy's folder …
  const folder = join(copy, 'src', 'entities', 'toys');
  mkdirSync(folder);
  for (const f of readdirSync(TOY_SOURCES)) cpSync(join(TOY_SOURCES, f), join(folder, f.replace(/\.txt$/, '')));
  // … and its line in the list (with the import that names it).
  const list = join(copy, 'src', 'entities', 'index.ts');
  const lines = readFileSync(list, 'utf8').split('\n');
  const lastImport = lines.findLastIndex((l) => l.startsWith('import '));
  const listEnd = lines.findIndex((l) => l.startsWith('] as const'));
  lines.splice(listEnd, 0, LIST_LINE);
  lines.splice(lastImport + 1, 0, IMPORT_LINE);
  writeFileSync(list, lines.join('\n'));

  // The project's compiler and build settings; a type error in the toy or a check it trips fails here.
  execFileSync(process.execPath, [join(copy, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: copy, stdio: 'pipe' });
  // … and the bundle bin/mdlsync.js runs, made as `npm run build` makes it.
  execFileSync(process.execPath, [join(copy, 'scripts', 'bundle.mjs')], { cwd: copy, stdio: 'pipe' });
  ws = await workspace();
}, 300_000);

afterAll(async () => {
  await ws?.close();
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('a toy entity type', () => {
  test('touches only its folder and the list in src/entities/index.ts', () => {
    const before = files(join(ROOT, 'src'), ROOT);
    const after = files(join(copy, 'src'), copy);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f)).sort();
    const toyFiles = readdirSync(TOY_SOURCES).map((f) => join('src', 'entities', 'toys', f.replace(/\.txt$/, '')));
    expect(changed).toEqual([join('src', 'entities', 'index.ts'), ...toyFiles].sort());
    // The list gains the toy's entry and its import, and nothing else changes in it.
    const listed = after.get(join('src', 'entities', 'index.ts'))!.split('\n');
    expect(listed.filter((l) => !before.get(join('src', 'entities', 'index.ts'))!.split('\n').includes(l))).toEqual([IMPORT_LINE, LIST_LINE]);
    expect(listed.filter((l) => l !== IMPORT_LINE && l !== LIST_LINE).join('\n')).toBe(before.get(join('src', 'entities', 'index.ts')));
  });

  test('runs end to end: found by its header, store creates, a re-run is unchanged, a refresh disables what the file lacks', async () => {
    const w = ws!;
    const rows = [
      ['T1', 'Teddy', 'SIS'],
      ['T2', 'Robot', 'SIS'],
      ['T3', 'Kite', 'SIS'],
    ];
    // No --type: the header tells.
    const first = await toyCli(['run', w.write('toys.txt', sisFile(TOY_HEADER, rows))]);
    expect(first.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'toys', op: 'store', planned: { create: 3 }, outcomes: { ok: 3, failed: 0 } });
    expect(w.sandbox.cohorts.byIdnumber('toy:T1')).toMatchObject({ name: 'Teddy' });
    expect(w.sandbox.cohorts.byIdnumber('toy:T3')).toMatchObject({ name: 'Kite' });

    w.sandbox.stats.reset();
    expect((await toyCli(['run', w.write('toys-again.txt', sisFile(TOY_HEADER, rows))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'toys', planned: { unchanged: 3 }, outcomes: { unchanged: 3 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    const renamed = [['T1', 'Teddy bear', 'SIS'], ...rows.slice(1)];
    expect((await toyCli(['run', w.write('toys-renamed.txt', sisFile(TOY_HEADER, renamed))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 1, unchanged: 2 }, outcomes: { ok: 1, unchanged: 2 } });
    expect(w.sandbox.cohorts.byIdnumber('toy:T1')).toMatchObject({ name: 'Teddy bear' });

    // A refresh without T3: the shared guard stops 1 of 3 (over 10 %) until --force.
    const refresh = sisFile(TOY_HEADER, renamed.slice(0, 2));
    expect((await toyCli(['run', w.write('toys-refresh.txt', refresh), '--op', 'refresh'])).code).toBe(3);
    expect(w.sandbox.cohorts.byIdnumber('toy:T3')).toBeDefined();
    expect((await toyCli(['run', w.write('toys-refresh2.txt', refresh), '--op', 'refresh', '--force'])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'toys', op: 'refresh', planned: { disable: 1, unchanged: 2 }, outcomes: { ok: 1, failed: 0 } });
    expect(w.sandbox.cohorts.byIdnumber('toy:T3')).toBeUndefined();
    expect(w.sandbox.cohorts.byIdnumber('toy:T1')).toBeDefined();
    const ledger = await toyCli(['ledger', 'show', '--status', 'disabled']);
    expect(ledger.stdout).toMatch(/^toys\tT3\t/m);
    expect(ledger.stdout).not.toMatch(/^toys\tT1\t/m);
  });

  test('doctor and --type know the toy type from the list', async () => {
    const doctor = await toyCli(['doctor', '--types', 'toys']);
    expect(doctor.code).toBe(0);
    for (const fn of ['core_webservice_get_site_info', 'core_cohort_create_cohorts', 'core_cohort_update_cohorts', 'core_cohort_delete_cohorts', 'core_cohort_get_cohorts']) {
      expect(doctor.stdout).toContain(`ok   function ${fn} in the service`);
    }
    const forced = await toyCli(['plan', ws!.write('toys-plan.txt', sisFile(TOY_HEADER, [['T9', 'Yo-yo', 'SIS']])), '--type', 'toys']);
    expect(forced.code).toBe(0);
    expect(ws!.lastSummary()).toMatchObject({ type: 'toys', dryRun: true, planned: { create: 1 } });
  });
});
