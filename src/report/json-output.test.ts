import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../config/index.js';
import { Refusal } from '../refusal.js';
import { errorDocument, redactedJson, runsDocument, usageErrorDocument } from './json-output.js';
import { REDACTED, addSecrets } from './redact.js';
import type { RunSummary } from './types.js';

describe('the JSON documents of --json', () => {
  test('redactedJson: every string redacted at any depth; C1 controls and line separators escaped, the value unchanged', () => {
    addSecrets('json-output-secret-1');
    const value = { message: 'token json-output-secret-1', nested: [{ file: '/x/json-output-secret-1.txt' }], csi: 'a\u009b31mb', sep: 'c\u2028d', n: 3 };
    const text = redactedJson(value, 2);
    expect(text).not.toContain('json-output-secret-1');
    expect(text).not.toMatch(/[\u0080-\u009f\u2028]/);
    expect(text).toContain('\\u009b');
    expect(JSON.parse(text)).toEqual({ ...value, message: `token ${REDACTED}`, nested: [{ file: `/x/${REDACTED}.txt` }] });
  });

  test('a runs document has the same keys for one file or several', () => {
    const summary = { runId: 'R1', exitCode: 2 } as unknown as RunSummary;
    expect(Object.keys(runsDocument([summary], [], 2))).toEqual(['exitCode', 'runs', 'notes']);
    expect(runsDocument([summary, summary], ['a note'], 2)).toEqual({ exitCode: 2, runs: [summary, summary], notes: ['a note'] });
  });

  test('error documents: code, sentence, hint and exit code from the code table; an unexpected error has code null', () => {
    expect(errorDocument(new ConfigError('config file x does not exist'))).toEqual({
      exitCode: 1,
      error: { code: 'invalid-config', message: 'config file x does not exist', hint: expect.stringMatching(/fix the setting/) },
    });
    expect(errorDocument(new Refusal('The reports folder r is a file, not a folder.'))).toMatchObject({ exitCode: 3, error: { code: 'refused' } });
    expect(errorDocument(new TypeError('x is undefined'))).toEqual({
      exitCode: 1,
      error: { code: null, message: expect.stringMatching(/^unexpected error: x is undefined\. Run again with --log-level debug/), hint: expect.any(String) },
    });
    expect(usageErrorDocument("error: unknown option '--x'")).toEqual({ exitCode: 1, error: { code: 'usage', message: "unknown option '--x'", hint: expect.any(String) } });
  });
});
