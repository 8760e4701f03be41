import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { REDACTED, addSecrets, redactText, redactValue } from './redact.js';

describe('the one redaction', () => {
  test('a registered secret is replaced wherever it appears; a secret containing another is replaced whole', () => {
    addSecrets('0123456789abcdef', '0123456789abcdef-and-more');
    expect(redactText('token 0123456789abcdef-and-more, then 0123456789abcdef.')).toBe(`token ${REDACTED}, then ${REDACTED}.`);
  });

  test('empty and very short values are not secrets (they would blank out ordinary text)', () => {
    addSecrets('', undefined, null, 'abc');
    expect(redactText('abc abc')).toBe('abc abc');
  });

  test('structured values: secret keys at any level, registered secrets in every string, other values kept', () => {
    addSecrets('tok-secret-42');
    const out = redactValue({ message: 'sent tok-secret-42', n: 3, params: { users: [{ password: 'P@ss1', name: 'x' }] }, wstoken: 'zzz' });
    expect(out).toEqual({ message: `sent ${REDACTED}`, n: 3, params: { users: [{ password: REDACTED, name: 'x' }] }, wstoken: REDACTED });
  });

  test('extra values are redacted for one call without being registered', () => {
    expect(redactText('one-off-secret', ['one-off-secret'])).toBe(REDACTED);
    expect(redactText('one-off-secret')).toBe('one-off-secret');
  });

  test('loading the config registers every token it reads: tokenFile, config, environment, flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-redact-'));
    writeFileSync(join(dir, 'token'), 'token-from-file-0001\n');
    writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { url: 'http://127.0.0.1:1', tokenFile: 'token' } }));
    loadConfig({ cwd: dir, env: {}, overrides: {} });
    loadConfig({ cwd: dir, env: { MDLSYNC_TOKEN: 'token-from-env-0002' }, overrides: { token: 'token-from-flag-0003' } });
    writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { url: 'http://127.0.0.1:1', token: 'token-in-config-0004' } }));
    loadConfig({ cwd: dir, env: {} });
    const text = 'token-from-file-0001 token-from-env-0002 token-from-flag-0003 token-in-config-0004';
    expect(redactText(text)).toBe([REDACTED, REDACTED, REDACTED, REDACTED].join(' '));
  });
});
