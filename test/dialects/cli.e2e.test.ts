/** `mdlsync dialects` and what a run says about a file no format reads, through the real CLI. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS } from '../../src/dialects/index.js';
import { runCli, workspace, type Workspace } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-dialects-'));
let ws: Workspace | null = null;
afterAll(async () => {
  await ws?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mdlsync dialects', () => {
  test('lists every dialect with its files and the entities they become', async () => {
    const r = await runCli(['dialects'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mdlsync: mdlsync's own headers/m);
    for (const d of DIALECTS) {
      expect(r.stdout).toContain(`${d.name}: ${d.title} — ${d.source}`);
      for (const k of d.kinds) expect(r.stdout).toContain(`  ${d.name}/${k.name}: ${k.title}`);
    }
  });

  test("NAME lists the dialect's columns with what each becomes; an unknown name is refused with the known ones", async () => {
    const r = await runCli(['dialects', 'enrol-flatfile'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('    course idnumber: the course, by idnumber (EXTERNAL_COURSE_KEY)');
    const bad = await runCli(['dialects', 'webct'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mdlsync: no dialect "webct": mdlsync reads mdlsync, /);
    expect(bad.stderr).not.toContain('unexpected');
  });

  test('a file no format reads is refused whole, naming what its columns ask for in mdlsync terms', async () => {
    ws = await workspace();
    writeFileSync(join(ws.dir, 'odd.csv'), 'username,firstname,lastname,delete\nu1,Ann,Lee,1\n');
    const r = await ws.cli(['run', join(ws.dir, 'odd.csv')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/unknown column "delete".*"delete": to delete, run with --op delete, or give an ACTION column with "del"/);
    expect(ws.sandbox.users.byUsername('u1')).toBeUndefined();
  });

  test('plan of a file that fans out writes nothing and says the later parts were planned against the site as it is', async () => {
    await ws?.close();
    ws = await workspace();
    writeFileSync(join(ws.dir, 'users.csv'), 'username,firstname,lastname,email,cohort1\nnew1,Ann,Lee,ann@example.org,Y1\n');
    ws.sandbox.stats.reset();
    const r = await ws.cli(['plan', join(ws.dir, 'users.csv')]);
    expect(r.code).toBe(0);
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ status: 'dry-run', format: { dialect: 'moodle-uploaduser', entities: ['persons', 'cohorts', 'cohort-members'] } });
    expect(r.stdout).toContain('The cohorts, cohort-members rows were planned as the site is now: those naming what the persons rows would create show as unknown');
  });

  test('a refresh of a file that fans out checks each part against the guard: a refused later part writes nothing of its own and says the parts before it were applied', async () => {
    await ws?.close();
    ws = await workspace();
    const people = Array.from({ length: 20 }, (_, i) => `u${i + 1},First${i + 1},Last,u${i + 1}@example.org`);
    writeFileSync(join(ws.dir, 'all.csv'), `username,firstname,lastname,email,cohort1\n${people.map((p) => `${p},Y1`).join('\n')}\n`);
    expect((await ws.cli(['run', join(ws.dir, 'all.csv')])).code).toBe(0);
    expect(ws.sandbox.cohorts.cohortMembers('Y1')).toHaveLength(20);

    // The same people without their cohort: the persons part is unchanged, the cohort members part would remove all 20.
    writeFileSync(join(ws.dir, 'none.csv'), `username,firstname,lastname,email,cohort1\n${people.map((p) => `${p},`).join('\n')}\n`);
    const r = await ws.cli(['run', '--op', 'refresh', join(ws.dir, 'none.csv')]);
    // Part of the file went through: exit 2 (incomplete), like a refresh whose disables were held back.
    expect(r.code).toBe(2);
    expect(ws.lastSummary()).toMatchObject({ status: 'failed-rows' });
    expect(ws.sandbox.cohorts.cohortMembers('Y1')).toHaveLength(20);
    const s = ws.lastSummary() as unknown as { parts: { type: string; guard: { refused: boolean } | null }[] };
    expect(s.parts.map((p) => [p.type, p.guard?.refused ?? false])).toEqual([
      ['persons', false],
      ['cohorts', false],
      ['cohort-members', true],
    ]);
    expect(r.stdout).toMatch(/Refused for its cohort-members rows, nothing of them was written \(the persons and cohorts rows before it were applied\)/);
  });
});
