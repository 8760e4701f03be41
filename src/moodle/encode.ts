/** PHP-style form encoding of web-service parameters (users[0][customfields][0][type]=…), done by qs. */
import qs from 'qs';

/**
 * Booleans become 1/0 (PARAM_BOOL refuses "true"/"false"); undefined and null are left out, because an
 * omitted optional field is not the same as an empty one (PARAM_INT refuses "").
 */
function normalise(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined && v !== null).map(normalise);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const n = normalise(v);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return value;
}

/** encodeURIComponent's safe set (! ' ( ) * kept), as the recorded requests have it; qs falls back for lone surrogates. */
const encoder = (str: string, defaultEncoder: qs.defaultEncoder, charset: string): string => {
  try {
    return encodeURIComponent(str);
  } catch {
    return defaultEncoder(str, defaultEncoder, charset);
  }
};

/** The POST body: control parameters first, so that a max_input_vars cut never drops the token or the function. */
export function encodeForm(token: string, wsfunction: string, params: Record<string, unknown>): string {
  const body = { wstoken: token, wsfunction, moodlewsrestformat: 'json', ...(normalise(params) as Record<string, unknown>) };
  return qs.stringify(body, { arrayFormat: 'indices', encoder });
}

/** How many name=value pairs `params` becomes (PHP's max_input_vars counts each leaf; control parameters excluded). */
export function countFormVars(params: Record<string, unknown>): number {
  const count = (v: unknown): number => {
    if (v === undefined) return 0;
    if (Array.isArray(v)) return v.reduce((n: number, x) => n + count(x), 0);
    if (typeof v === 'object' && v !== null) return Object.values(v).reduce((n: number, x) => n + count(x), 0);
    return 1;
  };
  return count(normalise(params));
}
