/** `mdlsync doctor --types pictures` against the sandbox: the functions of mdlsync pictures and the upload flag, each with its fix. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { startSandbox, type SandboxHandle } from '../sandbox/server.js';
import { FUNCTIONS } from '../sandbox/functions.js';
import { runDoctor } from './index.js';

let sb: SandboxHandle | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});
const configFor = (s: SandboxHandle) => loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'mdlsync-doctor-')), env: { MDLSYNC_URL: s.url, MDLSYNC_TOKEN: s.token } });

describe('doctor: pictures', () => {
  test('a service with uploads and update_picture passes', async () => {
    sb = await startSandbox();
    const { checks, problems } = await runDoctor(configFor(sb), ['persons'], [], { pictures: true });
    expect(problems).toBe(0);
    expect(checks.find((c) => c.name === 'uploads')).toMatchObject({ status: 'ok', message: 'file uploads allowed by the service (site info uploadfiles = 1)' });
    expect(checks.find((c) => c.name === 'function:core_user_update_picture')).toMatchObject({ status: 'ok' });
  });

  test('no "Can upload files" and no core_user_update_picture: two failures, each with its fix', async () => {
    sb = await startSandbox({ uploadFiles: false, functions: FUNCTIONS.map((f) => f.name).filter((n) => n !== 'core_user_update_picture') });
    const { checks, problems } = await runDoctor(configFor(sb), ['persons'], [], { pictures: true });
    expect(problems).toBe(2);
    expect(checks.find((c) => c.name === 'uploads')).toMatchObject({ status: 'fail', message: expect.stringMatching(/not allowed .*uploadfiles = 0/), hint: expect.stringMatching(/tick "Can upload files"/) });
    expect(checks.find((c) => c.name === 'function:core_user_update_picture')).toMatchObject({ status: 'fail', hint: expect.stringMatching(/add core_user_update_picture/) });
  });

  test('without pictures asked for, neither is checked', async () => {
    sb = await startSandbox({ uploadFiles: false });
    const { checks } = await runDoctor(configFor(sb), ['persons']);
    expect(checks.some((c) => c.name === 'uploads' || c.name === 'function:core_user_update_picture')).toBe(false);
  });
});
