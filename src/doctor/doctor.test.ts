import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { functionsOf } from '../entities/index.js';
import { runDoctor } from './index.js';

/** A site answering every call with `reply(wsfunction)`. */
function site(reply: (fn: string) => unknown): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const fn = new URLSearchParams(`${req.url?.split('?')[1] ?? ''}&${body}`).get('wsfunction') ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply(fn)));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

const configFor = (url: string) => loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'mdlsync-doctor-')), env: { MDLSYNC_URL: url, MDLSYNC_TOKEN: 'doctor-test-token' } });

describe('runDoctor', () => {
  let moodle: { server: Server; url: string };
  let notMoodle: { server: Server; url: string };
  let admin: { server: Server; url: string };
  beforeAll(async () => {
    const functions = functionsOf('persons').map((name) => ({ name }));
    moodle = await site((fn) => (fn === 'core_webservice_get_site_info' ? { sitename: 'Test', release: '4.5', username: 'ws', userid: 2, functions } : fn === 'core_user_get_users_by_field' ? [] : {}));
    admin = await site((fn) => (fn === 'core_webservice_get_site_info' ? { sitename: 'Test', release: '4.5', username: 'admin', userid: 2, userissiteadmin: true, functions } : []));
    notMoodle = await site(() => ({}));
  });
  afterAll(async () => {
    await new Promise((r) => moodle.server.close(r));
    await new Promise((r) => notMoodle.server.close(r));
    await new Promise((r) => admin.server.close(r));
  });

  test('one structured result per check; an ok check carries no hint', async () => {
    const { checks, problems } = await runDoctor(configFor(moodle.url), ['persons']);
    expect(problems).toBe(0);
    expect(checks.map((c) => c.name)).toEqual(['moodle-url', 'tls-verification', 'site-limits', 'token', ...functionsOf('persons').map((f) => `function:${f}`),
      'capability:webservice/rest:use', 'capabilities', 'max-input-vars', 'other-types', 'other-exports', 'ledger', 'folder:reports', 'folder:archive', 'log-file']);
    expect(checks.find((c) => c.name === 'token')).toEqual({ name: 'token', status: 'ok', message: 'token accepted: site "Test", Moodle 4.5, user ws' });
    expect(checks.filter((c) => c.status !== 'info').every((c) => c.status === 'ok' && c.hint === undefined)).toBe(true);
  });

  test('capabilities: a user who is no site administrator gets the list to check and the role file as the fix', async () => {
    const { checks } = await runDoctor(configFor(moodle.url), ['persons', 'cohorts']);
    const caps = checks.find((c) => c.name === 'capabilities');
    expect(caps).toMatchObject({ status: 'info', message: expect.stringMatching(/^not testable through web services/), hint: expect.stringMatching(/mdlsync setup --write DIR .*mdlsync-role\.xml/) });
    for (const c of ['moodle/user:create', 'moodle/cohort:manage']) expect(caps?.message).toContain(c);
    expect(caps?.message).not.toContain('webservice/rest:use');
    const asAdmin = await runDoctor(configFor(admin.url), ['persons']);
    expect(asAdmin.checks.find((c) => c.name === 'capabilities')).toMatchObject({ status: 'ok', message: expect.stringMatching(/site administrator/) });
  });

  test('--exports: the functions of each export named are checked; a missing one fails with where to add it', async () => {
    const { checks, problems } = await runDoctor(configFor(moodle.url), ['persons'], ['grades']);
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual([
      'function:gradereport_user_get_grade_items', 'function:core_course_get_categories', 'function:core_course_get_courses_by_field',
    ]);
    expect(problems).toBe(3);
    expect(checks.find((c) => c.name === 'function:gradereport_user_get_grade_items')).toMatchObject({
      status: 'fail', hint: expect.stringMatching(/add gradereport_user_get_grade_items to the token's external service/),
    });
    expect(checks.find((c) => c.name === 'other-exports')).toMatchObject({ status: 'info', message: 'the service also has every function for: (no export)' });
  });

  test('a failing check says what is wrong and what to do; the local checks still run', async () => {
    const { checks, problems } = await runDoctor(configFor(notMoodle.url), ['persons']);
    expect(problems).toBe(1);
    const token = checks.find((c) => c.name === 'token');
    expect(token).toMatchObject({ status: 'fail', message: expect.stringMatching(/JSON that is not Moodle's site information/), hint: expect.stringMatching(/check moodle\.url/) });
    expect(checks.map((c) => c.name)).toEqual(['moodle-url', 'tls-verification', 'site-limits', 'token', 'ledger', 'folder:reports', 'folder:archive', 'log-file']);
  });
});
