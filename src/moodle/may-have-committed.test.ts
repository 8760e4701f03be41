/**
 * Which failed calls may have been saved by Moodle (and must be read back before their rows are reported), over
 * real HTTP on 127.0.0.1: anything after the request reached the site except Moodle's own refusals.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MoodleClient } from './client.js';
import { MoodleError, TransientError, mayHaveCommitted } from './errors.js';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const fn = new URLSearchParams(body).get('wsfunction') ?? '';
      const json = (text: string) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (fn === 'mail_fails') json('{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"Message was not sent.","message":"error/Message was not sent."}');
      else if (fn === 'refused') json('{"exception":"core\\\\exception\\\\invalid_parameter_exception","errorcode":"invalidparameter","message":"Invalid parameter value detected"}');
      else if (fn === 'http503' || fn === 'http429') {
        res.writeHead(fn === 'http503' ? 503 : 429, { 'content-type': 'text/html' });
        res.end('<html></html>');
      } else if (fn === 'stall') setTimeout(() => res.destroy(), 2000);
      else json('null');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failureOf(fn: string, opts: { url?: string; timeoutMs?: number } = {}): Promise<unknown> {
  const client = new MoodleClient({ url: opts.url ?? url, token: 't', timeoutMs: opts.timeoutMs ?? 10_000 });
  try {
    await client.call(fn, {});
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await client.close();
  }
}

describe('mayHaveCommitted', () => {
  it('an errorcode that is not a refusal (the welcome mail failing after the commit): yes', async () => {
    const err = await failureOf('mail_fails');
    expect(err).toBeInstanceOf(MoodleError);
    expect(mayHaveCommitted(err)).toBe(true);
  });

  it("one of Moodle's refusals: no (the call was checked or rolled back)", async () => {
    expect(mayHaveCommitted(await failureOf('refused'))).toBe(false);
  });

  it('a timeout after the request was sent, and a 5xx: yes', async () => {
    const timeout = await failureOf('stall', { timeoutMs: 300 });
    expect(timeout).toMatchObject({ reason: 'timeout', reachedSite: true });
    expect(mayHaveCommitted(timeout)).toBe(true);
    expect(mayHaveCommitted(await failureOf('http503'))).toBe(true);
  });

  it('a refused connection and a 429 never reached Moodle: no', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const refused = await failureOf('anything', { url: closed });
    expect(refused).toBeInstanceOf(TransientError);
    expect(mayHaveCommitted(refused)).toBe(false);
    expect(mayHaveCommitted(await failureOf('http429'))).toBe(false);
  });
});
