/** `mdlsync doctor --mirror`: the functions of a mirror pass are checked against the service too. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { MIRROR_FUNCTIONS, mirrorFunctions } from '../mirror/job.js';
import { FUNCTIONS } from '../sandbox/functions.js';
import { startSandbox, type SandboxHandle } from '../sandbox/server.js';
import { runDoctor } from './index.js';

let sb: SandboxHandle;
beforeAll(async () => {
  sb = await startSandbox({ functions: FUNCTIONS.map((f) => f.name).filter((n) => n !== 'core_course_get_updates_since') });
});
afterAll(() => sb.close());

test('a service without one of the mirror functions fails that one check; the others pass', async () => {
  const config = loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'mdlsync-doctor-mirror-')), env: { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token } });
  const { checks } = await runDoctor(config, [], [], { functions: mirrorFunctions(config) });
  const fns = checks.filter((c) => c.name.startsWith('function:'));
  expect(fns.map((c) => c.name.slice('function:'.length)).sort()).toEqual([...MIRROR_FUNCTIONS].sort());
  expect(fns.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['function:core_course_get_updates_since']);
  expect(mirrorFunctions({ ...config, mirror: { ...config.mirror, questionCategories: [{ categoryid: 2, contextid: 50 }] } })).toContain('core_question_get_random_question_summaries');
});
