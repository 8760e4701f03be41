import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MoodleClient } from './client.js';
import { MoodleError, ProtocolError, TransientError, isTransient } from './errors.js';

const TOKEN = 'f00dfacecafe1234deadbeef5678abcd';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: URLSearchParams;
}

/** Each request's wsfunction picks the canned behaviour. */
const behaviours: Record<string, (res: ServerResponse, req: IncomingMessage) => void> = {
  ok_list: (res) => json(res, 200, '[{"id":17,"username":"ctalice"}]'),
  null_body: (res) => json(res, 200, 'null'),
  error_debug: (res) =>
    json(
      res,
      200,
      JSON.stringify({
        exception: 'core\\exception\\invalid_parameter_exception',
        errorcode: 'invalidparameter',
        message: 'Invalid parameter value detected',
        debuginfo: 'Username already exists: ctalice',
      }),
    ),
  error_nodebug: (res) =>
    json(res, 200, JSON.stringify({ exception: 'core\\exception\\moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' })),
  error_echo_token: (res) =>
    json(res, 200, JSON.stringify({ exception: 'x', errorcode: 'accessexception', message: `token ${TOKEN} refused`, debuginfo: `again ${TOKEN}` })),
  dml_write: (res) => json(res, 200, JSON.stringify({ exception: 'dml_write_exception', errorcode: 'dmlwriteexception', message: 'Error writing to database' })),
  html_500: (res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end('<html><head><title>Fatal error</title></head><body>Allowed memory size exhausted</body></html>');
  },
  html_200: (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><head><title>Site maintenance</title></head></html>');
  },
  empty_403: (res) => {
    res.writeHead(403);
    res.end();
  },
  not_found_404: (res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<html>Not found</html>');
  },
  redirect_away: (res) => {
    // A site (or something in front of it) sending the client elsewhere: 307 would repeat the POST, token and all.
    res.writeHead(307, { location: '/stolen' });
    res.end();
  },
  reset: (_res, req) => req.socket.destroy(),
  hang: () => undefined,
};

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const body = new URLSearchParams(raw);
      seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
      const fn = body.get('wsfunction') ?? '';
      (behaviours[fn] ?? behaviours.ok_list)(res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Runs a call expected to fail and returns the error; checks the token is nowhere in it. */
async function failure(fn: string, opts: { timeoutMs?: number; url?: string } = {}): Promise<Error> {
  const client = new MoodleClient({ url: opts.url ?? base, token: TOKEN, timeoutMs: opts.timeoutMs ?? 5000 });
  try {
    await client.call(fn, { values: ['a'] });
  } catch (err) {
    const e = err as Error;
    expect(e.message).not.toContain(TOKEN);
    expect(String(e)).not.toContain(TOKEN);
    expect(JSON.stringify(e)).not.toContain(TOKEN);
    expect(e.stack ?? '').not.toContain(TOKEN);
    return e;
  } finally {
    await client.close();
  }
  throw new Error('expected the call to fail');
}

describe('MoodleClient', () => {
  it('POSTs a form body with the token and format to the REST endpoint under the site path, and counts calls', async () => {
    const client = new MoodleClient({ url: `${base}/moodle/`, token: TOKEN });
    const users = await client.call<{ id: number }[]>('ok_list', { field: 'username', values: ['ctalice'] });
    await client.call('ok_list', {});
    await client.call('null_body', {});
    await client.close();
    expect(users).toEqual([{ id: 17, username: 'ctalice' }]);
    const req = seen.at(-3)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/moodle/webservice/rest/server.php');
    expect(req.contentType).toBe('application/x-www-form-urlencoded');
    expect([...req.body.keys()].slice(0, 3)).toEqual(['wstoken', 'wsfunction', 'moodlewsrestformat']);
    expect(req.body.get('wstoken')).toBe(TOKEN);
    expect(req.body.get('moodlewsrestformat')).toBe('json');
    expect(req.body.get('values[0]')).toBe('ctalice');
    expect(client.stats).toEqual({ calls: 3, byFunction: { ok_list: 2, null_body: 1 } });
  });

  it('never follows a redirect: the token goes to the configured endpoint only', async () => {
    const e = await failure('redirect_away');
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toMatch(/HTTP 307/);
    expect(seen.filter((r) => r.url === '/stolen')).toEqual([]);
  });

  it('accepts the endpoint URL itself as the site URL', async () => {
    const client = new MoodleClient({ url: `${base}/webservice/rest/server.php`, token: TOKEN });
    await client.call('ok_list', {});
    await client.close();
    expect(seen.at(-1)!.url).toBe('/webservice/rest/server.php');
  });

  it('returns null for the body `null`', async () => {
    const client = new MoodleClient({ url: base, token: TOKEN });
    await expect(client.call('null_body', { userids: [1] })).resolves.toBeNull();
    await client.close();
  });

  it('maps an error object with debuginfo to MoodleError, debuginfo appended to the message', async () => {
    const e = await failure('error_debug');
    expect(e).toBeInstanceOf(MoodleError);
    const m = e as MoodleError;
    expect(m.wsfunction).toBe('error_debug');
    expect(m.errorcode).toBe('invalidparameter');
    expect(m.exception).toBe('core\\exception\\invalid_parameter_exception');
    expect(m.debuginfo).toBe('Username already exists: ctalice');
    expect(m.message).toBe('Invalid parameter value detected — Username already exists: ctalice');
    expect(isTransient(m)).toBe(false);
  });

  it('maps an error object without debuginfo (production site) to MoodleError with the plain message', async () => {
    const m = (await failure('error_nodebug')) as MoodleError;
    expect(m).toBeInstanceOf(MoodleError);
    expect(m.errorcode).toBe('invalidtoken');
    expect(m.message).toBe('Invalid token - token not found');
    expect(m.debuginfo).toBeUndefined();
  });

  it('scrubs the token even when the site echoes it', async () => {
    const m = (await failure('error_echo_token')) as MoodleError;
    expect(m.message).toBe('token [token] refused — again [token]');
  });

  it('treats database and maintenance errors as transient', async () => {
    const m = await failure('dml_write');
    expect(m).toBeInstanceOf(MoodleError);
    expect(isTransient(m)).toBe(true);
  });

  it('maps an HTML 500 to a transient http-status error', async () => {
    const e = await failure('html_500');
    expect(e).toBeInstanceOf(TransientError);
    expect((e as TransientError).reason).toBe('http-status');
    expect((e as TransientError).status).toBe(500);
    expect(isTransient(e)).toBe(true);
  });

  it('maps an HTML 200 to a transient not-json error naming the page', async () => {
    const e = (await failure('html_200')) as TransientError;
    expect(e).toBeInstanceOf(TransientError);
    expect(e.reason).toBe('not-json');
    expect(e.message).toContain('Site maintenance');
  });

  it('maps 403 with an empty body to a non-transient "web services disabled" error', async () => {
    const e = await failure('empty_403');
    expect(e).toBeInstanceOf(ProtocolError);
    expect(isTransient(e)).toBe(false);
    expect(e.message).toMatch(/web services or the REST protocol are disabled/);
  });

  it('maps a 404 to a non-transient error', async () => {
    const e = await failure('not_found_404');
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toMatch(/HTTP 404/);
  });

  it('maps a reset connection to a transient network error', async () => {
    const e = (await failure('reset')) as TransientError;
    expect(e).toBeInstanceOf(TransientError);
    expect(e.reason).toBe('network');
  });

  it('maps a refused connection to a transient network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = (await failure('ok_list', { url: `http://127.0.0.1:${port}` })) as TransientError;
    expect(e).toBeInstanceOf(TransientError);
    expect(e.reason).toBe('network');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('maps a site that does not answer in time to a transient timeout', async () => {
    const e = (await failure('hang', { timeoutMs: 300 })) as TransientError;
    expect(e).toBeInstanceOf(TransientError);
    expect(e.reason).toBe('timeout');
  });

  it('refuses a non-http URL', () => {
    expect(() => new MoodleClient({ url: 'ftp://example.org', token: TOKEN })).toThrow(/http/);
  });
});
