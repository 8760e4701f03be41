import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { networkChecks } from './network.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function configWith(moodle: Record<string, unknown>, url = 'https://moodle.example.edu') {
  const dir = mkdtempSync(join(tmpdir(), 'mdlsync-doctor-net-'));
  writeFileSync(join(dir, 'ca.pem'), PEM);
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { url, token: 't', ...moodle } }));
  return loadConfig({ cwd: dir, env: {} });
}

describe('doctor: the way to the site', () => {
  test('NODE_TLS_REJECT_UNAUTHORIZED=0 is a failure, with what to do instead', () => {
    const checks = networkChecks(configWith({}), { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(checks[0]).toMatchObject({ name: 'tls-verification', status: 'fail', hint: expect.stringMatching(/unset NODE_TLS_REJECT_UNAUTHORIZED.*--ca FILE/) });
  });

  test('without it, verification is ok and names the private CA when there is one', () => {
    const config = configWith({ ca: 'ca.pem' });
    const [tls] = networkChecks(config, {});
    expect(tls).toEqual({ name: 'tls-verification', status: 'ok', message: `certificates are verified (public roots and the private CA ${config.moodle.ca})` });
    expect(config.moodle.ca).toMatch(/\/ca\.pem$/);
  });

  test('the proxy the environment names is shown, its password hidden; NO_PROXY naming the site says the calls go straight', () => {
    const env = { HTTPS_PROXY: 'http://user:secret@proxy.example.edu:3128' };
    expect(networkChecks(configWith({}), env).find((c) => c.name === 'proxy')).toEqual({
      name: 'proxy',
      status: 'info',
      message: 'calls to the site go through the proxy http://user:***@proxy.example.edu:3128/',
    });
    expect(networkChecks(configWith({}), { ...env, NO_PROXY: 'localhost,.example.edu' }).find((c) => c.name === 'proxy')?.message).toMatch(/NO_PROXY names moodle\.example\.edu: calls go straight/);
    // An http:// site ignores HTTPS_PROXY.
    expect(networkChecks(configWith({}, 'http://moodle.example.edu'), env).find((c) => c.name === 'proxy')).toBeUndefined();
  });

  test('the rate limit, the connection cap and the breaker are stated', () => {
    const limits = networkChecks(configWith({ maxRequestsPerSecond: 5, concurrency: 3, breakerFailures: 7 }), {}).find((c) => c.name === 'site-limits');
    expect(limits?.message).toBe('at most 5 calls a second; at most 3 calls at once; a run stops after 7 transient failures in a row');
  });
});
