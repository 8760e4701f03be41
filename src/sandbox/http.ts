/**
 * The sandbox's HTTP side, as Apache and PHP present a Moodle site: where the REST endpoint is, how a request
 * becomes PHP's parameters ($_GET and $_POST with their limits), the headers Moodle answers with, and starting and
 * stopping the listener on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';

export const REST_PATH = '/webservice/rest/server.php';
/** PHP's post_max_size default: a bigger body makes PHP drop all of $_POST. */
export const POST_MAX_SIZE = 8 * 1024 * 1024;

/** A complete answer: what the REST server produced, or the server's own error page. */
export interface Reply {
  status: number;
  contentType: string;
  body: string;
}

/** What a PHP fatal error (or a failing web server) answers: no Moodle error object, just a 500 page. */
export const SERVER_ERROR: Reply = {
  status: 500,
  contentType: 'text/html; charset=utf-8',
  body:
    '<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>' +
    '<body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>\n',
};

/** The request's whole body (read before anything else, as the web server does). */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseForm(s: string, maxInputVars: number): Record<string, unknown> {
  return qs.parse(s, {
    depth: 64,
    arrayLimit: 1_000_000,
    parameterLimit: maxInputVars,
    duplicates: 'last',
    allowPrototypes: false,
  }) as Record<string, unknown>;
}

/** The call's parameters as PHP hands them to Moodle: array_merge($_GET, $_POST). */
export function requestVars(req: http.IncomingMessage, url: URL, body: Buffer, maxInputVars: number):
  Record<string, unknown> {
  // PHP fills $_POST only for a form-encoded POST body (a JSON body leaves every parameter missing).
  const isForm = req.method === 'POST' &&
    (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
  // $_GET and $_POST are each cut at max_input_vars; array_merge($_GET, $_POST): POST wins.
  const get = parseForm(url.search.slice(1), maxInputVars);
  const post = isForm && body.length <= POST_MAX_SIZE ? parseForm(body.toString('utf8'), maxInputVars) : {};
  return { ...get, ...post };
}

/** Any path but the REST endpoint: the web server's own 404 page. */
export function sendNotFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end('<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>\n');
}

/** The reply with the headers Moodle's REST server sends (no caching, CORS open). */
export function send(res: http.ServerResponse, r: Reply): void {
  res.writeHead(r.status, {
    'Content-Type': r.contentType,
    'Content-Length': Buffer.byteLength(r.body),
    'Access-Control-Allow-Origin': '*',
    'Cache-Control': 'private, must-revalidate, pre-check=0, post-check=0, max-age=0',
    Expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
    Pragma: 'no-cache',
    'Accept-Ranges': 'none',
  });
  res.end(r.body);
}

/** Listens on 127.0.0.1 (port 0: any free one); resolves once it does, with the port it got. */
export async function listen(port: number, listener: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Stops listening and cuts the open connections (keep-alive ones would hold close() back). */
export function stopListening(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
