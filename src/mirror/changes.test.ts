/** The change log's records and the two kinds of onChange: a command (stdin, no shell) and an HTTP POST. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeLog, notifier, toRecord } from './changes.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-changes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const renamed = toRecord('P1', '2026-12-05T00:00:00.000Z', {
  object: 'module',
  action: 'updated',
  key: { id: 15 },
  record: { id: 15, course_id: 9, name: 'New name' },
  before: { name: 'Old name' },
});

describe('change records', () => {
  test('carry the id of single-key objects and the course they belong to', () => {
    expect(renamed).toEqual({ pass: 'P1', at: '2026-12-05T00:00:00.000Z', object: 'module', action: 'updated', id: 15, key: { id: 15 }, course_id: 9, record: { id: 15, course_id: 9, name: 'New name' }, before: { name: 'Old name' } });
    const member = toRecord('P1', 'T', { object: 'enrolment', action: 'created', key: { course_id: 9, user_id: 4 }, record: { course_id: 9, user_id: 4 } });
    expect(member).not.toHaveProperty('id');
    expect(member.course_id).toBe(9);
    expect(toRecord('P1', 'T', { object: 'course', action: 'deleted', key: { id: 9 }, record: { id: 9 } }).course_id).toBe(9);
  });

  test('are appended as JSON lines to each log, files made 0600', async () => {
    const a = join(dir, 'a', 'changes.jsonl');
    const log = new ChangeLog([a]);
    await log.append([renamed]);
    await log.append([renamed]);
    expect(readFileSync(a, 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual([renamed, renamed]);
    expect(statSync(a).mode & 0o777).toBe(0o600);
  });
});

describe('onChange', () => {
  let server: Server;
  const bodies: { type: string; body: string }[] = [];
  let status = 204;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (b) => (body += b));
      req.on('end', () => {
        bodies.push({ type: String(req.headers['content-type']), body });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  }));

  test('a command gets the change as JSON on stdin, without a shell (metacharacters stay arguments)', async () => {
    const out = join(dir, 'got.txt');
    const script = join(dir, 'hook.mjs');
    writeFileSync(script, `import { writeFileSync } from 'node:fs';\nlet d = '';\nprocess.stdin.on('data', (b) => (d += b));\nprocess.stdin.on('end', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify({ args: process.argv.slice(2), stdin: d, token: process.env.MDLSYNC_TOKEN ?? null })));\n`);
    process.env.MDLSYNC_TOKEN = 'secret-token-value';
    try {
      await expect(notifier({ command: [process.execPath, script, '$(touch x);', '*'], timeoutMs: 10_000 })(renamed)).resolves.toEqual({ ok: true });
    } finally {
      delete process.env.MDLSYNC_TOKEN;
    }
    const got = JSON.parse(readFileSync(out, 'utf8')) as { args: string[]; stdin: string; token: string | null };
    expect(got.args).toEqual(['$(touch x);', '*']);
    expect(JSON.parse(got.stdin)).toEqual(renamed);
    expect(got.token).toBeNull();
  });

  test('a command that fails, or cannot start, is a failed notification with a reason', async () => {
    await expect(notifier({ command: [process.execPath, '-e', 'process.exit(4)'], timeoutMs: 10_000 })(renamed)).resolves.toEqual({ ok: false, error: expect.stringMatching(/exited with 4/) });
    await expect(notifier({ command: [join(dir, 'no-such-command')], timeoutMs: 10_000 })(renamed)).resolves.toEqual({ ok: false, error: expect.stringMatching(/could not be started \(ENOENT\)/) });
  });

  test('a URL gets the change as a JSON POST body; a non-2xx answer is a failed notification', async () => {
    await expect(notifier({ url, timeoutMs: 10_000 })(renamed)).resolves.toEqual({ ok: true });
    expect(bodies.at(-1)).toEqual({ type: 'application/json', body: JSON.stringify(renamed) });
    status = 500;
    await expect(notifier({ url, timeoutMs: 10_000 })(renamed)).resolves.toEqual({ ok: false, error: expect.stringMatching(/answered HTTP 500/) });
  });
});
