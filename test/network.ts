/**
 * The network around a site, for tests: a throwaway certificate authority and a server certificate for 127.0.0.1
 * (openssl CLI), an HTTPS front that forwards to a sandbox, and a forward proxy (CONNECT and absolute-URI requests)
 * that records what went through it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The openssl CLI makes the certificates; without it the tests that need them say SKIPPED (never a silent pass). */
export const OPENSSL_FOUND = spawnSync('openssl', ['version']).status === 0;
if (!OPENSSL_FOUND) {
  process.stderr.write('SKIPPED: openssl is not installed, so the private-CA (--ca) tests do not run (apt-get install openssl)\n');
}

export interface TestCertificates {
  /** The CA's certificate (PEM) and its file. */
  caPem: string;
  caFile: string;
  /** The server's key and certificate (for 127.0.0.1, signed by the CA). */
  key: string;
  cert: string;
}

/** A CA and a server certificate for 127.0.0.1 it signed, in a fresh folder (EC keys: fast to make). */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'mdlsync-certs-'));
  const at = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=mdlsync test CA']);
  openssl(['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.pem'), '-days', '2', '-extfile', at('server.ext')]);
  return { caPem: readFileSync(at('ca.pem'), 'utf8'), caFile: at('ca.pem'), key: readFileSync(at('server.key'), 'utf8'), cert: readFileSync(at('server.pem'), 'utf8') };
}

export interface Front {
  url: string;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 that forwards every request to `target` (an http:// sandbox), as a TLS terminator does. */
export async function httpsFront(target: string, certs: TestCertificates): Promise<Front> {
  const to = new URL(target);
  const server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    const upstream = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  // A client that refuses the certificate ends the handshake: not this server's problem.
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  return { url: `https://127.0.0.1:${port}`, close: () => closeServer(server) };
}

export interface Proxy {
  url: string;
  /** host:port of each tunnel opened (CONNECT) and each origin of a forwarded request, in order. */
  readonly tunnels: string[];
  readonly forwarded: string[];
  close(): Promise<void>;
}

/** A forward proxy on 127.0.0.1: CONNECT tunnels (https://, and undici's http:// too) and absolute-URI requests. */
export async function forwardProxy(): Promise<Proxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '');
    forwarded.push(url.host);
    const upstream = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':');
    tunnels.push(`${host}:${port}`);
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    forwarded,
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
