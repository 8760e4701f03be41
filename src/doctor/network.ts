/**
 * doctor's checks of the way to the site: certificate verification (never off), the private CA, the proxy the
 * environment names, the rate limit and the circuit breaker, so an admin sees what the runs will do before one runs.
 */
import type { Config } from '../config/index.js';
import type { DoctorCheck } from './types.js';

export function networkChecks(config: Config, env: NodeJS.ProcessEnv): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  // Node honours it process-wide: mdlsync's own calls still verify (rejectUnauthorized is set on them), but whoever
  // set it meant to switch verification off, and anything else in the process would obey it.
  if (env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    checks.push({
      name: 'tls-verification',
      status: 'fail',
      message: 'NODE_TLS_REJECT_UNAUTHORIZED=0 is set: it asks Node to accept any certificate (mdlsync still verifies the Moodle site\'s)',
      hint: "unset NODE_TLS_REJECT_UNAUTHORIZED; for a site with a private certificate authority, pass that CA's certificate with --ca FILE (or moodle.ca)",
    });
  } else {
    checks.push({ name: 'tls-verification', status: 'ok', message: `certificates are verified${config.moodle.ca ? ` (public roots and the private CA ${config.moodle.ca})` : ' (public roots)'}` });
  }
  const proxy = proxyFor(config.moodle.url, env);
  if (proxy) checks.push({ name: 'proxy', status: 'info', message: proxy });
  const limits = [
    config.moodle.maxRequestsPerSecond !== undefined ? `at most ${config.moodle.maxRequestsPerSecond} calls a second` : 'no rate limit (moodle.maxRequestsPerSecond)',
    `at most ${config.moodle.concurrency} calls at once`,
    `a run stops after ${config.moodle.breakerFailures} transient failures in a row`,
  ];
  checks.push({ name: 'site-limits', status: 'info', message: limits.join('; ') });
  return checks;
}

/** The proxy the environment names for the site (as undici's EnvHttpProxyAgent reads it), in words; null: none. */
function proxyFor(url: string | undefined, env: NodeJS.ProcessEnv): string | null {
  if (!url) return null;
  const site = new URL(url);
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY;
  const proxy = site.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY ?? httpProxy) : httpProxy;
  if (!proxy) return null;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  const port = Number(site.port) || (site.protocol === 'https:' ? 443 : 80);
  const host = site.hostname.toLowerCase();
  const bypass = noProxy === '*' || noProxy.split(/[,\s]/).filter(Boolean).some((entry) => {
    const m = /^(.+):(\d+)$/.exec(entry);
    const name = (m ? m[1] : entry).replace(/^\*?\./, '').toLowerCase();
    if (m && Number(m[2]) !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
  return bypass ? `a proxy is set, but NO_PROXY names ${host}: calls go straight to the site` : `calls to the site go through the proxy ${withoutPassword(proxy)}`;
}

function withoutPassword(proxy: string): string {
  try {
    const u = new URL(proxy);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return proxy;
  }
}
