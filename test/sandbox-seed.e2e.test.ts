/**
 * `mdlsync sandbox --seed demo`: the command starts with the demo school in the site, which the web service then
 * lists (courses, their content); an unknown school name is refused before anything starts.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CLI, runCli } from './helpers.js';

describe('mdlsync sandbox --seed', () => {
  test('demo: twelve courses with their modules, listed by the web service', async () => {
    const child = spawn(process.execPath, [CLI, 'sandbox', '--seed', 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((done) => lines.once('line', done));
      const url = /listening on (\S+)/.exec(first)![1];
      const call = async (fn: string, params: string) => {
        const res = await fetch(`${url}/webservice/rest/server.php`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `wstoken=sandbox-token&wsfunction=${fn}&moodlewsrestformat=json&${params}`,
        });
        return (await res.json()) as unknown;
      };
      const found = (await call('core_course_search_courses', 'criterianame=search&criteriavalue=C0001')) as
        { total: number; courses: { id: number; shortname: string; contacts: unknown[] }[] };
      expect(found.total).toBe(1);
      expect(found.courses[0]).toMatchObject({ shortname: 'C0001', contacts: [{ fullname: expect.any(String) }] });
      const sections = (await call('core_course_get_contents', `courseid=${found.courses[0].id}`)) as { modules: unknown[] }[];
      expect(sections.flatMap((s) => s.modules).length).toBe(6);
      expect(((await call('core_course_get_courses', '')) as unknown[]).length).toBe(13);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((done) => child.once('exit', done))).toBe(0);
  });

  test('an unknown school is refused', async () => {
    const r = await runCli(['sandbox', '--seed', 'huge'], { cwd: process.cwd() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/demo, bench/);
  });
});
