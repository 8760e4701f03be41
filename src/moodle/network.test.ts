/** The client on the network: certificates always verified (a private CA added to the public roots), proxies, the rate limit. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { OPENSSL_FOUND, forwardProxy, makeCertificates, type TestCertificates } from '../../test/network.js';
import { MoodleClient } from './client.js';
import { TlsError, isTransient } from './errors.js';
import { RateLimiter } from './rate.js';

const TOKEN = 'network-test-token-0123';
const SITE_INFO = JSON.stringify({ sitename: 'TLS', functions: [] });

function answering(server: http.Server | https.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(String((server.address() as AddressInfo).port))));
}

let certs: TestCertificates;
let site: https.Server;
let siteUrl: string;

beforeAll(async () => {
  if (!OPENSSL_FOUND) return;
  certs = makeCertificates();
  site = https.createServer({ key: certs.key, cert: certs.cert }, (_req, res) => res.end(SITE_INFO));
  site.on('tlsClientError', () => undefined);
  siteUrl = `https://127.0.0.1:${await answering(site)}`;
});
afterAll(() => new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve())));

async function siteName(client: MoodleClient): Promise<string> {
  try {
    return (await client.call<{ sitename: string }>('core_webservice_get_site_info', {})).sitename;
  } finally {
    await client.close();
  }
}

(OPENSSL_FOUND ? describe : describe.skip)('certificates', () => {
  test('a certificate of a private CA fails without --ca: a tls error naming --ca, not a transient one', async () => {
    const err = await siteName(new MoodleClient({ url: siteUrl, token: TOKEN })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(isTransient(err)).toBe(false);
    expect((err as TlsError).code).toBe('tls');
    expect((err as TlsError).tlsCode).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect((err as Error).message).toMatch(/the site's certificate could not be verified \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\): if the site uses a private certificate authority, pass its certificate with --ca FILE \(or set moodle\.ca\)$/);
  });

  test('with the CA it works', async () => {
    expect(await siteName(new MoodleClient({ url: siteUrl, token: TOKEN, ca: certs.caPem }))).toBe('TLS');
  });

  // NODE_TLS_REJECT_UNAUTHORIZED=0 is tested on the CLI (test/network.e2e.test.ts): Node's tls reads the real
  // process.env, which a test here cannot change.

  test('another CA does not stand in for the one that signed the site: the sentence says so', async () => {
    const other = makeCertificates();
    const err = await siteName(new MoodleClient({ url: siteUrl, token: TOKEN, ca: other.caPem })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/the certificate authority given with --ca \(moodle\.ca\) did not sign it either/);
  });
});

(OPENSSL_FOUND ? describe : describe.skip)('proxies from the environment', () => {
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('HTTPS_PROXY: the call tunnels through the proxy and the site is still verified against the private CA', async () => {
    const proxy = await forwardProxy();
    process.env.HTTPS_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    try {
      expect(await siteName(new MoodleClient({ url: siteUrl, token: TOKEN, ca: certs.caPem }))).toBe('TLS');
      expect(proxy.tunnels).toEqual([new URL(siteUrl).host]);
      // Through the tunnel, without the CA: the same tls error (the proxy wraps it).
      await expect(siteName(new MoodleClient({ url: siteUrl, token: TOKEN }))).rejects.toBeInstanceOf(TlsError);
      process.env.NO_PROXY = '127.0.0.1';
      const tunnels = proxy.tunnels.length;
      expect(await siteName(new MoodleClient({ url: siteUrl, token: TOKEN, ca: certs.caPem }))).toBe('TLS');
      expect(proxy.tunnels).toHaveLength(tunnels);
    } finally {
      delete process.env.HTTPS_PROXY;
      delete process.env.NO_PROXY;
      await proxy.close();
    }
  });
});

describe('the rate limit', () => {
  test('every call and upload takes a token first', async () => {
    const plain = http.createServer((_req, res) => res.end('[]'));
    const url = `http://127.0.0.1:${await answering(plain)}`;
    const clock = { t: 0, sleeps: [] as number[], now: () => clock.t, sleep: (ms: number) => { clock.sleeps.push(ms); clock.t += ms; return Promise.resolve(); } };
    const client = new MoodleClient({ url, token: TOKEN, rate: new RateLimiter(2, clock) });
    try {
      await client.call('core_webservice_get_site_info', {});
      await client.call('core_webservice_get_site_info', {});
      await client.upload([{ name: 'a.txt', content: Buffer.from('a') }]);
    } finally {
      await client.close();
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
    // Three starts at 2 a second: the second and third waited half a second each (on the injected clock).
    expect(clock.sleeps).toEqual([500, 500]);
  });
});
