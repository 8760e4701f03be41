/**
 * Moodle's parameter machinery, reproduced: clean_param() for the PARAM_* types the user functions use,
 * validate_param(), external_api::validate_parameters() / clean_returnvalue() over external descriptions,
 * the descriptions core_external shares between functions (warnings, format fields, files), and the REST server's
 * XML serialisation of a result.
 */
import { invalidParameter, invalidResponse, MoodleException } from './errors.js';

export type ParamType =
  | 'int'
  /** PARAM_FLOAT: numbers pass as they are, numeric strings become numbers. */
  | 'float'
  | 'bool'
  | 'raw'
  /** PARAM_RAW for a value PHP may hold as an int: clean_param() returns it unchanged, so ints stay ints. */
  | 'rawvalue'
  | 'raw_trimmed'
  | 'alpha'
  | 'alphanum'
  | 'alphanumext'
  | 'safedir'
  | 'notags'
  | 'text'
  | 'username'
  | 'plugin'
  | 'auth'
  | 'lang'
  | 'theme'
  | 'timezone'
  | 'url';

export const VALUE_REQUIRED = 1;
export const VALUE_OPTIONAL = 2;
export const VALUE_DEFAULT = 0;
type Required = typeof VALUE_REQUIRED | typeof VALUE_OPTIONAL | typeof VALUE_DEFAULT;

export interface ValueDesc {
  kind: 'value';
  type: ParamType;
  required: Required;
  default?: unknown;
  /** NULL_ALLOWED: a null return value is passed through as null. */
  allowNull?: boolean;
}
export interface SingleDesc {
  kind: 'single';
  keys: [string, Desc][];
  required: Required;
  default?: unknown;
}
export interface MultipleDesc {
  kind: 'multiple';
  content: Desc;
  required: Required;
  default?: unknown;
}
export type Desc = ValueDesc | SingleDesc | MultipleDesc;

export function value(type: ParamType, required: Required = VALUE_REQUIRED, def?: unknown): ValueDesc {
  return { kind: 'value', type, required, default: def };
}
/** A value the function may return as null (Moodle's NULL_ALLOWED). */
export function nullable(d: ValueDesc): ValueDesc {
  return { ...d, allowNull: true };
}
export function single(keys: Record<string, Desc>, required: Required = VALUE_REQUIRED, def?: unknown): SingleDesc {
  return { kind: 'single', keys: Object.entries(keys), required, default: def };
}
export function multiple(content: Desc, required: Required = VALUE_REQUIRED, def?: unknown): MultipleDesc {
  return { kind: 'multiple', content, required, default: def };
}

/** external_warnings(): the warnings list many functions return. */
export const warningsDesc = multiple(
  single({
    item: value('text', VALUE_OPTIONAL),
    itemid: value('int', VALUE_OPTIONAL),
    warningcode: value('alphanum'),
    message: value('raw'),
  }),
  VALUE_OPTIONAL,
);

/** external_format_value(): a text's format field (FORMAT_HTML unless the function says otherwise). */
export const formatParam = (def = 1) => value('int', VALUE_DEFAULT, def);

/** One file of external_files(), the summaryfiles and overviewfiles lists of course structures. */
export const fileDesc = single({
  filename: value('raw', VALUE_OPTIONAL), filepath: value('raw', VALUE_OPTIONAL), filesize: value('int', VALUE_OPTIONAL),
  fileurl: value('url', VALUE_OPTIONAL), timemodified: value('int', VALUE_OPTIONAL), mimetype: value('raw', VALUE_OPTIONAL),
  isexternalfile: value('bool', VALUE_OPTIONAL), repositorytype: value('plugin', VALUE_OPTIONAL),
});

/** Plugins installed on a standard Moodle 4.5 site. */
export const INSTALLED_AUTHS = [
  'cas', 'db', 'email', 'ldap', 'lti', 'manual', 'mnet', 'nologin', 'none', 'oauth2', 'shibboleth', 'webservice',
];
export const INSTALLED_THEMES = ['boost', 'classic'];
export const INSTALLED_LANGS = ['en'];
export const CALENDAR_TYPES = ['gregorian'];

const PHP_TRIM_CHARS = ' \t\n\r\0\x0B';
/** PHP trim() with its default character list (space, tab, newlines, NUL, vertical tab). */
export function phpTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PHP_TRIM_CHARS.includes(s[a])) a++;
  while (b > a && PHP_TRIM_CHARS.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

/** PHP's strip_tags(): a '<' not followed by whitespace opens a tag that lasts to its '>' (quotes respected). */
export function stripTags(s: string): string {
  let out = '';
  let depth = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\0') continue;
    if (depth === 0) {
      if (c === '<') {
        const next = s[i + 1];
        if (next === undefined || /\s/.test(next)) {
          out += c;
        } else {
          depth = 1;
        }
      } else {
        out += c;
      }
      continue;
    }
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '<') {
      depth++;
    } else if (c === '>') {
      depth--;
    }
  }
  return out;
}

/** PHP (int) cast of a string, as PARAM_INT cleaning does: leading numeric prefix, else 0. */
export function phpIntval(s: string): number {
  const m = /^[ \t\n\r\v\f]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  return Math.trunc(n);
}

/** PHP 8 is_numeric() on a string (leading and trailing whitespace allowed). */
export function phpIsNumeric(s: string): boolean {
  return /^[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ \t\n\r\v\f]*$/.test(s);
}

/** PHP 8 loose `$a == $b` for the string/int pairs get_users_by_field compares. */
export function phpLooseEquals(a: string, b: string | number): boolean {
  if (typeof b === 'number') return phpIsNumeric(a) ? Number(a) === b : a === String(b);
  if (phpIsNumeric(a) && phpIsNumeric(b)) return Number(a) === Number(b);
  return a === b;
}

function isValidPluginName(s: string): boolean {
  return /^[a-z](?:[a-z0-9_](?!__))*[a-z0-9]+$/.test(s);
}

const TIMEZONE_PATTERN =
  /^(([+-]?(0?[0-9](\.[5|0])?|1[0-3](\.0)?|1[0-2]\.5))|(99)|[a-zA-Z0-9]+(\/?[a-zA-Z_-])+)$/;

/** clean_param() for one scalar. */
export function cleanParam(input: string | number | boolean, type: ParamType): string | number {
  const s = typeof input === 'boolean' ? (input ? '1' : '') : String(input);
  switch (type) {
    case 'int':
      return typeof input === 'number' ? Math.trunc(input) : phpIntval(s);
    case 'float':
      return typeof input === 'number' ? input : phpIsNumeric(s) ? Number(s) : 0;
    case 'bool': {
      const t = s.toLowerCase();
      if (t === 'on' || t === 'yes' || t === 'true') return 1;
      if (t === 'off' || t === 'no' || t === 'false') return 0;
      return s === '' || s === '0' ? 0 : 1;
    }
    case 'raw':
    case 'url':
      return s;
    case 'rawvalue':
      return typeof input === 'number' ? input : s;
    case 'raw_trimmed':
      return phpTrim(s);
    case 'alpha':
      return s.replace(/[^a-zA-Z]/g, '');
    case 'alphanum':
      return s.replace(/[^a-zA-Z0-9]/g, '');
    case 'alphanumext':
    case 'safedir':
      return s.replace(/[^a-zA-Z0-9_-]/g, '');
    case 'notags':
    case 'text':
      return stripTags(s);
    case 'username':
      // extendedusernamechars off (the default): lower case, then only a-z 0-9 - . @ _ survive.
      return phpTrim(s).toLowerCase().replace(/ /g, '').replace(/[^-.@_a-z0-9]/g, '');
    case 'plugin':
      return isValidPluginName(s) ? s : '';
    case 'auth': {
      const p = isValidPluginName(s) ? s : '';
      return p && INSTALLED_AUTHS.includes(p) ? p : '';
    }
    case 'lang': {
      const p = s.replace(/[^a-zA-Z0-9_-]/g, '');
      return INSTALLED_LANGS.includes(p) ? p : '';
    }
    case 'theme': {
      const p = isValidPluginName(s) ? s : '';
      return p && INSTALLED_THEMES.includes(p) ? p : '';
    }
    case 'timezone':
      return TIMEZONE_PATTERN.test(s) ? s : '';
  }
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null;
}

/** PHP print_r() of a scalar, for "Only arrays accepted" messages. */
function printR(v: unknown): string {
  if (v === true) return '1';
  if (v === false || v === null || v === undefined) return '';
  return String(v);
}

/** validate_param(): the cleaned value must equal the sent one exactly. */
function validateParam(v: string | number | boolean, type: ParamType, debuginfo: string): string | number {
  const cleaned = cleanParam(v, type);
  const sent = typeof v === 'boolean' ? (v ? '1' : '') : String(v);
  if (sent !== String(cleaned)) throw invalidParameter(debuginfo);
  return cleaned;
}

/** Entries of a PHP array built from a form (qs gives arrays for index keys, objects otherwise). */
function entries(v: Record<string, unknown> | unknown[]): [string, unknown][] {
  return Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
}

/** external_api::validate_parameters(). */
export function validateParameters(desc: Desc, params: unknown): unknown {
  if (desc.kind === 'value') {
    if (isContainer(params)) throw invalidParameter('Scalar type expected, array or object received.');
    // validate_param() with NULL_ALLOWED (external_value's default): a null default stays null. A form never sends null.
    if (params === null) return null;
    const p = params as string | number | boolean;
    if (desc.type === 'bool' && (typeof p === 'boolean' || p === 0 || p === 1 || p === '0' || p === '1')) {
      return p === true || p === 1 || p === '1';
    }
    const debuginfo =
      `Invalid external api parameter: the value is "${printR(p)}", the server was expecting "${desc.type}" type`;
    const cleaned = validateParam(p, desc.type, debuginfo);
    return desc.type === 'bool' ? cleaned === 1 : cleaned;
  }
  if (desc.kind === 'single') {
    if (!isContainer(params)) throw invalidParameter(`Only arrays accepted. The bad value is: '${printR(params)}'`);
    const rest = new Map(entries(params));
    const result: Record<string, unknown> = {};
    for (const [key, sub] of desc.keys) {
      if (!rest.has(key)) {
        if (sub.required === VALUE_REQUIRED) throw invalidParameter(`Missing required key in single structure: ${key}`);
        if (sub.required === VALUE_DEFAULT) result[key] = wrap(key, () => validateParameters(sub, sub.default));
      } else {
        result[key] = wrap(key, () => validateParameters(sub, rest.get(key)));
      }
      rest.delete(key);
    }
    if (rest.size > 0) {
      throw invalidParameter(`Unexpected keys (${[...rest.keys()].join(', ')}) detected in parameter array.`);
    }
    return result;
  }
  if (!isContainer(params)) throw invalidParameter(`Only arrays accepted. The bad value is: '${printR(params)}'`);
  return entries(params).map(([, v]) => validateParameters(desc.content, v));
}

/** The path prefix Moodle builds while unwinding: "key => <message>: <debuginfo>". */
function wrap<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MoodleException && e.errorcode === 'invalidparameter') {
      throw invalidParameter(`${key} => ${e.message}: ${e.debuginfo ?? ''}`);
    }
    throw e;
  }
}

function wrapResponse<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MoodleException && e.errorcode === 'invalidresponse') {
      throw invalidResponse(`${key} => ${e.message}: ${e.debuginfo ?? ''}`);
    }
    throw e;
  }
}

function phpType(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'double';
  if (typeof v === 'boolean') return 'boolean';
  if (v === null || v === undefined) return 'NULL';
  return 'string';
}

/** external_api::clean_returnvalue(): unknown keys dropped, scalars type-checked and converted. */
export function cleanReturnValue(desc: Desc, response: unknown): unknown {
  if (desc.kind === 'value') {
    if (desc.allowNull && response === null) return null;
    if (isContainer(response)) throw invalidResponse('Scalar type expected, array or object received.');
    const r = response as string | number | boolean;
    if (desc.type === 'bool' && (typeof r === 'boolean' || r === 0 || r === 1 || r === '0' || r === '1')) {
      return r === true || r === 1 || r === '1';
    }
    const debuginfo = `Invalid external api response: the value is "${printR(r)}" of PHP type "${phpType(r)}", ` +
      `the server was expecting "${desc.type}" type`;
    try {
      const cleaned = validateParam(r, desc.type, debuginfo);
      return desc.type === 'bool' ? cleaned === 1 : cleaned;
    } catch (e) {
      if (e instanceof MoodleException) throw invalidResponse(e.debuginfo ?? '');
      throw e;
    }
  }
  if (desc.kind === 'single') {
    if (!isContainer(response)) {
      throw invalidResponse(`Only arrays/objects accepted. The bad value is: '${printR(response)}'`);
    }
    const map = new Map(entries(response));
    const result: Record<string, unknown> = {};
    for (const [key, sub] of desc.keys) {
      if (!map.has(key) || map.get(key) === undefined) {
        if (sub.required === VALUE_REQUIRED) {
          throw invalidResponse(`Error in response - Missing following required key in a single structure: ${key}`);
        }
        if (sub.kind === 'value' && sub.required === VALUE_DEFAULT) {
          result[key] = wrapResponse(key, () => cleanReturnValue(sub, sub.default));
        }
      } else {
        result[key] = wrapResponse(key, () => cleanReturnValue(sub, map.get(key)));
      }
    }
    return result;
  }
  if (!isContainer(response)) throw invalidResponse(`Only arrays accepted. The bad value is: '${printR(response)}'`);
  return entries(response).map(([, v]) => cleanReturnValue(desc.content, v));
}

export function htmlspecialchars(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** webservice_rest_server::xmlize_result(): every described key is written, missing ones as null. */
export function xmlize(returns: unknown, desc: Desc | null): string {
  if (desc === null) return '';
  if (desc.kind === 'value') {
    if (returns === null || returns === undefined) return '<VALUE null="null"/>\n';
    const v = typeof returns === 'boolean' ? (returns ? 1 : 0) : returns;
    return `<VALUE>${htmlspecialchars(String(v))}</VALUE>\n`;
  }
  if (desc.kind === 'multiple') {
    let out = '<MULTIPLE>\n';
    if (Array.isArray(returns)) for (const v of returns) out += xmlize(v, desc.content);
    return out + '</MULTIPLE>\n';
  }
  const obj = (isContainer(returns) ? returns : {}) as Record<string, unknown>;
  let out = '<SINGLE>\n';
  for (const [key, sub] of desc.keys) out += `<KEY name="${key}">${xmlize(obj[key] ?? null, sub)}</KEY>\n`;
  return out + '</SINGLE>\n';
}
