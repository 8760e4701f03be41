/**
 * Setting up Moodle: `mdlsync setup --write` writes the service's functions, the capabilities and the role file;
 * `doctor --json` checks them against the sandbox and prints one JSON object, with the fix for what fails.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entity, functionsOf } from '../src/entities/index.js';
import { allowed, listOf, parseXml, schemaProblems } from './role-schema.js';
import { workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

interface DoctorJson {
  checks: Array<{ name: string; status: string; message: string; hint?: string }>;
  problems: number;
}
const lines = (text: string): string[] => text.trim().split('\n');
const check = (d: DoctorJson, name: string) => d.checks.find((c) => c.name === name);

describe('mdlsync setup', () => {
  test('--write DIR: the functions, the capabilities and a role file with exactly those capabilities', async () => {
    ws = await workspace();
    const r = await ws.cli(['setup', '--types', 'persons,enrolments', '--write', 'moodle']);
    expect(r.code).toBe(0);
    const dir = join(ws.dir, 'moodle');
    const functions = lines(readFileSync(join(dir, 'functions.txt'), 'utf8'));
    expect(new Set(functions)).toEqual(new Set([...functionsOf('persons'), ...functionsOf('enrolments')]));
    const capabilities = lines(readFileSync(join(dir, 'capabilities.txt'), 'utf8'));
    expect(capabilities).toEqual([...new Set(['webservice/rest:use', ...entity('persons').capabilities, ...entity('enrolments').capabilities])].sort());
    const role = parseXml(readFileSync(join(dir, 'mdlsync-role.xml'), 'utf8'));
    expect(schemaProblems(role)).toEqual([]);
    expect(allowed(role)).toEqual(capabilities);
    expect(listOf(role, 'contextlevels')).toEqual(['system']);
    expect(listOf(role, 'allowassign')).toEqual(expect.arrayContaining(['student', 'editingteacher']));
    expect(readFileSync(join(dir, 'README.txt'), 'utf8')).toMatch(/Use role preset: import mdlsync-role\.xml/);
  });

  test('without --write: the steps, then the function and capability lists', async () => {
    ws = await workspace();
    const r = await ws.cli(['setup', '--types', 'cohorts', '--pictures']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Steps:\n1\. /);
    expect(r.stdout).toMatch(/Can upload files/);
    for (const f of [...functionsOf('cohorts'), 'core_user_update_picture']) expect(r.stdout).toContain(`\n  ${f}\n`);
    expect(r.stdout).toMatch(/\n {2}moodle\/cohort:manage\n/);
    expect(r.stdout).toMatch(/\n {2}moodle\/user:editprofile\n/);
    expect((await ws.cli(['setup', '--types', 'badges'])).code).toBe(1);
  });
});

describe('doctor --json', () => {
  test('a complete service: one JSON object on stdout, every check, no problem', async () => {
    ws = await workspace();
    const r = await ws.cli(['doctor', '--json', '--types', 'persons,enrolments']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as DoctorJson;
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(d.problems).toBe(0);
    expect(check(d, 'function:enrol_manual_enrol_users')).toMatchObject({ status: 'ok' });
    expect(check(d, 'capability:webservice/rest:use')).toMatchObject({ status: 'ok' });
    // The sandbox's token user is the site admin (site info userissiteadmin), who holds every capability.
    expect(check(d, 'capabilities')).toMatchObject({ status: 'ok', message: expect.stringMatching(/site administrator/) });
    expect(check(d, 'enrolment-method')).toMatchObject({ status: 'info', hint: expect.stringMatching(/Manual enrolments/) });
    expect(check(d, 'max-input-vars')).toMatchObject({ status: 'ok' });
    for (const c of d.checks) expect(Object.keys(c).every((k) => ['name', 'status', 'message', 'hint'].includes(k))).toBe(true);
  });

  test('a service missing a function: that check fails with where to add it, exit 3', async () => {
    ws = await workspace({ functions: ['core_webservice_get_site_info', 'core_user_create_users', 'core_user_update_users', 'core_user_get_users_by_field'] });
    const r = await ws.cli(['doctor', '--json']);
    expect(r.code).toBe(3);
    const d = JSON.parse(r.stdout) as DoctorJson;
    expect(d.problems).toBe(1);
    expect(d.checks.filter((c) => c.status === 'fail')).toEqual([
      { name: 'function:core_user_delete_users', status: 'fail', message: 'function core_user_delete_users in the service', hint: expect.stringMatching(/^add core_user_delete_users to the token's external service/) },
    ]);
  });

  test('a site that takes fewer form variables than moodle.maxInputVars: the probe says so, with the fix', async () => {
    ws = await workspace({ maxInputVars: 500 });
    const r = await ws.cli(['doctor', '--json']);
    expect(r.code).toBe(3);
    const d = JSON.parse(r.stdout) as DoctorJson;
    expect(check(d, 'max-input-vars')).toMatchObject({ status: 'fail', hint: expect.stringMatching(/moodle\.maxInputVars/) });
    expect(d.problems).toBe(1);
    // Lowered to what the site takes, the probe passes.
    ws.write('mdlsync.config.json', JSON.stringify({ moodle: { maxInputVars: 500 } }));
    const ok = JSON.parse((await ws.cli(['doctor', '--json'])).stdout) as DoctorJson;
    expect(check(ok, 'max-input-vars')).toMatchObject({ status: 'ok' });
    expect(ws.sandbox.stats.writeCalls).toBe(0);
  });
});
