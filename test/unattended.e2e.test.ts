/**
 * Unattended use through the real CLI against the sandbox: `run|plan --json` print one JSON document on stdout (the
 * summaries equal to their summary.json, or an error document), and `--log-format json` turns the console log into
 * JSON lines on stderr for log shippers, secrets scrubbed as in the text lines.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipOf } from './zip.js';
import { SIS_HEADER, persons, sisFile, workspace, type CliResult, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

type Summary = Record<string, unknown> & { runId: string; reportDir: string; exitCode: number; status: string };
interface RunsDocument {
  exitCode: number;
  runs: Summary[];
  notes: string[];
}
interface ErrorDocument {
  exitCode: number;
  error: { code: string | null; message: string; hint: string };
}

/** stdout as one JSON document: JSON.parse of the whole of it fails when anything else was printed there. */
function documentOf<T>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch (err) {
    throw new Error(`stdout is not one JSON document (${(err as Error).message}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

function summaryOnDisk(s: Summary): unknown {
  return JSON.parse(readFileSync(join(s.reportDir, 'summary.json'), 'utf8'));
}

/** Every line of stderr parsed as JSON (a line that is not JSON fails the test, naming it). */
function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`a stderr line is not JSON: ${l}`);
      }
    });
}


describe('run and plan --json', () => {
  test('one file: stdout is one document whose run equals summary.json, with the exit code; no text summary', async () => {
    ws = await workspace();
    const r = await ws.cli(['run', ws.write('persons.txt', sisFile(SIS_HEADER, persons(3))), '--json']);
    expect(r.code).toBe(0);
    const doc = documentOf<RunsDocument>(r);
    expect(Object.keys(doc)).toEqual(['exitCode', 'runs', 'notes']);
    expect(doc).toMatchObject({ exitCode: 0, notes: [] });
    expect(doc.runs).toHaveLength(1);
    expect(doc.runs[0]).toMatchObject({ status: 'ok', type: 'persons', dryRun: false, outcomes: { ok: 3, failed: 0 } });
    expect(doc.runs[0]).toEqual(summaryOnDisk(doc.runs[0]));
    // The log lines still reach stderr (text by default).
    expect(r.stderr).toMatch(/^info: run \d{8}T/m);
  });

  test('two files: one document, the runs in dependency order, each equal to its summary.json, the worst exit code', async () => {
    ws = await workspace();
    const rows = persons(2);
    rows[1][1] = ''; // USER_ID missing: a failed row, exit 2
    const bad = ws.write('persons-bad.txt', sisFile(SIS_HEADER, rows));
    const categories = ws.write('categories.txt', 'EXTERNAL_CATEGORY_KEY|NAME\nCAT1|Science\n');
    const r = await ws.cli(['run', bad, categories, '--json']);
    expect(r.code).toBe(2);
    const doc = documentOf<RunsDocument>(r);
    expect(doc.exitCode).toBe(2);
    expect(doc.runs.map((s) => [s.type, s.exitCode])).toEqual([
      ['categories', 0],
      ['persons', 2],
    ]);
    for (const s of doc.runs) expect(s).toEqual(summaryOnDisk(s));
    expect(doc.runs[1].tryback).toEqual(expect.stringContaining('tryback'));
  });

  test('plan --json: the dry run summary (plan counts, guard), equal to its summary.json', async () => {
    ws = await workspace();
    const r = await ws.cli(['plan', ws.write('persons.txt', sisFile(SIS_HEADER, persons(4))), '--json', '-q']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = documentOf<RunsDocument>(r);
    expect(doc.runs[0]).toMatchObject({ status: 'dry-run', dryRun: true, planned: { create: 4 } });
    expect(doc.runs[0]).toEqual(summaryOnDisk(doc.runs[0]));
  });

  test('a refresh the guard refuses: exit 3 and a document whose run says refused and why', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('all.txt', sisFile(SIS_HEADER, persons(50))), '-q'])).code).toBe(0);
    const r = await ws.cli(['run', ws.write('one.txt', sisFile(SIS_HEADER, persons(1))), '--op', 'refresh', '--json']);
    expect(r.code).toBe(3);
    const doc = documentOf<RunsDocument>(r);
    expect(doc.exitCode).toBe(3);
    expect(doc.runs[0]).toMatchObject({ status: 'refused', exitCode: 3, guard: { refused: true } });
    expect(doc.runs[0].message).toMatch(/refresh would disable 49 of 50/);
    expect(doc.runs[0]).toEqual(summaryOnDisk(doc.runs[0]));
  });

  test("a zip's notes go into the document, not onto stdout as text", async () => {
    ws = await workspace();
    const accounts = 'account_id,parent_account_id,name,status\nA001,,Humanities,active\n';
    const terms = 'term_id,name,status,start_date,end_date\nT001,Fall2026,active,,\n';
    const r = await ws.cli(['run', ws.write('sis.zip', await zipOf({ 'accounts.csv': accounts, 'terms.csv': terms })), '--json']);
    expect(r.code).toBe(0);
    const doc = documentOf<RunsDocument>(r);
    expect(doc.notes).toEqual([expect.stringMatching(/^sis\.zip: terms\.csv left out: Moodle has no terms/)]);
    expect(doc.runs.map((s) => s.type)).toEqual(['categories']);
    expect(r.stderr).toContain('note: sis.zip: terms.csv left out');
  });
});

describe('errors before any summary, with --json', () => {
  test('a config error: exit 1, an error document on stdout, the sentence on stderr', async () => {
    ws = await workspace();
    ws.write('mdlsync.config.json', JSON.stringify({ moodel: {} }));
    const r = await ws.cli(['run', ws.write('persons.txt', sisFile(SIS_HEADER, persons(1))), '--json']);
    expect(r.code).toBe(1);
    const doc = documentOf<ErrorDocument>(r);
    expect(Object.keys(doc)).toEqual(['exitCode', 'error']);
    expect(doc).toMatchObject({ exitCode: 1, error: { code: 'invalid-config', message: expect.stringMatching(/moodel/), hint: expect.stringMatching(/fix the setting/) } });
    expect(r.stderr).toMatch(/^mdlsync: .*moodel/m);
  });

  test('a command refused before it starts (the reports folder is a file): exit 3, code refused', async () => {
    ws = await workspace();
    writeFileSync(join(ws.dir, 'not-a-folder'), 'x');
    const r = await ws.cli(['plan', ws.write('persons.txt', sisFile(SIS_HEADER, persons(1))), '--reports', 'not-a-folder', '--json']);
    expect(r.code).toBe(3);
    expect(documentOf<ErrorDocument>(r)).toMatchObject({ exitCode: 3, error: { code: 'refused', message: expect.stringMatching(/is a file, not a folder/) } });
  });

  test('a usage error (unknown flag): exit 1, code usage; without --json stdout stays empty', async () => {
    ws = await workspace();
    const r = await ws.cli(['run', 'persons.txt', '--json', '--no-such-flag']);
    expect(r.code).toBe(1);
    expect(documentOf<ErrorDocument>(r)).toMatchObject({ exitCode: 1, error: { code: 'usage', message: "unknown option '--no-such-flag'" } });
    const plain = await ws.cli(['run', 'persons.txt', '--no-such-flag']);
    expect(plain).toMatchObject({ code: 1, stdout: '' });
  });
});

describe('--log-format json', () => {
  test('every stderr line is a JSON object with timestamp, level, message and the run id; the token never shows', async () => {
    const token = randomBytes(16).toString('hex');
    ws = await workspace({ token });
    // The token in the file name reaches the opening log line, which must show [redacted] instead.
    const file = ws.write(`persons-${token}.txt`, sisFile(SIS_HEADER, persons(2)));
    const r = await ws.cli(['run', file, '--log-format', 'json']);
    expect(r.code).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(token);
    const lines = jsonLines(r.stderr);
    const runId = ws.lastSummary().runId;
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) {
      expect(Object.keys(l).slice(0, 4)).toEqual(['timestamp', 'level', 'message', 'runId']);
      expect(l).toMatchObject({ level: expect.stringMatching(/^(info|warn|error|debug)$/), runId });
      expect(Number.isNaN(Date.parse(l.timestamp as string))).toBe(false);
    }
    expect(lines[0].message).toBe(`run ${runId}: store ${file.replace(token, '[redacted]')}`);
    // The text summary stays on stdout; the log file's lines carry the run id too.
    expect(r.stdout).toMatch(/^run \d{8}T/);
    const logged = readFileSync(join(ws.dir, 'reports', 'mdlsync.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.runId === runId).length).toBe(lines.length);
  });

  test('text stays the default; logFormat in the config turns JSON lines on for every command; --log-format text wins', async () => {
    ws = await workspace();
    const file = ws.write('persons.txt', sisFile(SIS_HEADER, persons(1)));
    const text = await ws.cli(['plan', file]);
    expect(text.stderr).toMatch(/^info: run /);
    ws.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, logFormat: 'json' }));
    expect(jsonLines((await ws.cli(['plan', file])).stderr)[0]).toMatchObject({ level: 'info', message: expect.stringMatching(/^run /) });
    expect((await ws.cli(['plan', file, '--log-format=text'])).stderr).toMatch(/^info: run /);
  });

  test('errors are JSON lines too: a config error, and an unknown flag commander refuses', async () => {
    ws = await workspace();
    ws.write('mdlsync.config.json', JSON.stringify({ moodel: {} }));
    const config = await ws.cli(['run', 'persons.txt', '--log-format', 'json']);
    expect(config.code).toBe(1);
    expect(jsonLines(config.stderr)).toEqual([{ timestamp: expect.any(String), level: 'error', message: expect.stringMatching(/moodel/), code: 'invalid-config', hint: expect.any(String) }]);
    const usage = await ws.cli(['--log-format', 'json', 'plan', 'persons.txt', '--no-such-flag']);
    expect(usage.code).toBe(1);
    expect(jsonLines(usage.stderr)).toEqual([{ timestamp: expect.any(String), level: 'error', message: "unknown option '--no-such-flag'", code: 'usage', hint: expect.any(String) }]);
  });
});
