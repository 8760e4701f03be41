/** The sandbox's own machinery: faults, state file, max_input_vars, the worker queue, and user behaviour. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { REST_PATH, SandboxHandle, SandboxOptions, startSandbox } from './server.js';

const open: SandboxHandle[] = [];
async function sandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const sb = await startSandbox(opts);
  open.push(sb);
  return sb;
}
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

async function raw(sb: SandboxHandle, body: string, query = '') {
  const res = await request(sb.url + REST_PATH + query, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
}

/** Form-encodes PHP-style nested params: {users: [{username: 'a'}]} → users[0][username]=a. */
function encode(params: Record<string, unknown>): string {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(`${prefix}[${k}]`, x);
    } else {
      out.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(v))}`);
    }
  };
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && typeof v === 'object') {
      for (const [k2, x] of Object.entries(v)) walk(`${k}[${k2}]`, x);
    } else {
      out.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
    }
  }
  return out.join('&');
}

async function call(sb: SandboxHandle, fn: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const r = await raw(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${encode(params)}`);
  return JSON.parse(r.text);
}

const user = (n: string, extra: Record<string, unknown> = {}) => ({
  username: n,
  password: 'Passw0rd!',
  firstname: 'F' + n,
  lastname: 'L' + n,
  email: `${n}@example.com`,
  ...extra,
});

describe('faults', () => {
  test('http500 answers an HTML 500 and applies nothing', async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: 'http500', fn: 'core_user_create_users' });
    const r = await raw(sb, `wstoken=${sb.token}&wsfunction=core_user_create_users&moodlewsrestformat=json&` +
      encode({ users: [user('u1')] }));
    expect(r.status).toBe(500);
    expect(r.type).toContain('text/html');
    expect(sb.users.byUsername('u1')).toBeUndefined();
    // times defaults to 1: the next call goes through.
    expect(await call(sb, 'core_user_create_users', { users: [user('u1')] })).toEqual([{ id: 3, username: 'u1' }]);
  });

  test('drop destroys the socket and applies nothing', async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: 'drop' });
    await expect(call(sb, 'core_user_create_users', { users: [user('u1')] })).rejects.toThrow();
    expect(sb.users.byUsername('u1')).toBeUndefined();
  });

  test('commit-then-drop applies the call, then destroys the socket', async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: 'commit-then-drop', fn: 'core_user_create_users', times: 2 });
    await expect(call(sb, 'core_user_create_users', { users: [user('u1')] })).rejects.toThrow();
    expect(sb.users.byUsername('u1')?.id).toBe(3);
    await expect(call(sb, 'core_user_create_users', { users: [user('u2')] })).rejects.toThrow();
    expect(sb.users.byUsername('u2')).toBeDefined();
    expect(await call(sb, 'core_user_create_users', { users: [user('u3')] })).toEqual([{ id: 5, username: 'u3' }]);
  });

  test('latency delays the answer; a fault for another function does not fire', async () => {
    const sb = await sandbox();
    sb.faults.add({ kind: 'latency', ms: 300, fn: 'core_user_get_users' });
    await call(sb, 'core_webservice_get_site_info');
    expect(sb.stats.byFunction.core_webservice_get_site_info).toBe(1);
    expect(sb.stats.paidMs).toBe(0);
    const r = (await call(sb, 'core_user_get_users', { criteria: [{ key: 'username', value: 'admin' }] })) as {
      users: unknown[];
    };
    // The delay charged, not a clock read: the fault added exactly its latency.
    expect(sb.stats.paidMs).toBe(300);
    expect(r.users).toHaveLength(1);
    sb.faults.add({ kind: 'http500' });
    sb.faults.clear();
    expect((await raw(sb, `wstoken=${sb.token}&wsfunction=core_webservice_get_site_info`)).status).toBe(200);
  });
});

describe('random faults', () => {
  const siteInfo = (sb: SandboxHandle) => raw(sb, `wstoken=${sb.token}&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json`);
  /** The status of each of n calls in turn. */
  async function statuses(sb: SandboxHandle, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await siteInfo(sb)).status);
    return out;
  }

  test('strike about the share of calls asked, the same calls for the same seed, and stop on clear()', async () => {
    const a = await sandbox();
    a.faults.randomly({ rate: 0.1, faults: [{ kind: 'http500' }], seed: 7 });
    const first = await statuses(a, 300);
    const failed = first.filter((s) => s === 500).length;
    expect(failed).toBe(a.faults.randomHits);
    // 10 % of 300 is 30; a fair generator stays well inside these bounds.
    expect(failed).toBeGreaterThan(10);
    expect(failed).toBeLessThan(60);
    expect(first.filter((s) => s !== 500 && s !== 200)).toEqual([]);

    const b = await sandbox();
    b.faults.randomly({ rate: 0.1, faults: [{ kind: 'http500' }], seed: 7 });
    expect(await statuses(b, 300)).toEqual(first);

    a.faults.clear();
    expect(await statuses(a, 50)).toEqual(Array(50).fill(200));
  });

  test('a queued fault goes first; a random fault named for another function does not strike', async () => {
    const sb = await sandbox();
    sb.faults.randomly({ rate: 1, faults: [{ kind: 'http500', fn: 'core_user_get_users' }], seed: 1 });
    sb.faults.add({ kind: 'drop' });
    await expect(siteInfo(sb)).rejects.toThrow();
    expect(await statuses(sb, 5)).toEqual(Array(5).fill(200));
    expect(sb.faults.randomHits).toBe(0);
    expect(() => sb.faults.randomly({ rate: 2, faults: [{ kind: 'drop' }], seed: 1 })).toThrow(/rate/);
  });
});

describe('state file', () => {
  test('users and the id sequence survive a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-sandbox-'));
    try {
      const file = join(dir, 'state.sqlite');
      const a = await startSandbox({ stateFile: file });
      await call(a, 'core_user_create_users', { users: [user('keep')] });
      // A failed batch still uses an id up, like Moodle's PostgreSQL sequence.
      await call(a, 'core_user_create_users', { users: [user('lost'), user('bad', { email: 'nope' })] });
      await a.close();
      const b = await startSandbox({ stateFile: file });
      try {
        expect(b.users.byUsername('keep')?.id).toBe(3);
        expect(b.users.byUsername('lost')).toBeUndefined();
        expect(await call(b, 'core_user_create_users', { users: [user('next')] })).toEqual([{ id: 5, username: 'next' }]);
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('max_input_vars', () => {
  const control = (sb: SandboxHandle) => `wstoken=${sb.token}&wsfunction=core_user_create_users&moodlewsrestformat=json&`;
  const twoUsers = encode({ users: [user('a1'), user('a2')] }); // 5 pairs per user

  test('a cut on a record boundary makes the trailing records vanish silently', async () => {
    const sb = await sandbox({ maxInputVars: 3 + 5 });
    const r = JSON.parse((await raw(sb, control(sb) + twoUsers)).text);
    expect(r).toEqual([{ id: 3, username: 'a1' }]);
    expect(sb.users.byUsername('a2')).toBeUndefined();
  });

  test('a cut inside a record is a missing required key', async () => {
    const sb = await sandbox({ maxInputVars: 3 + 5 + 3 });
    const r = JSON.parse((await raw(sb, control(sb) + twoUsers)).text);
    expect(r).toEqual({
      exception: 'core\\exception\\invalid_parameter_exception',
      errorcode: 'invalidparameter',
      message: 'Invalid parameter value detected',
      debuginfo: 'users => Invalid parameter value detected: Missing required key in single structure: lastname',
    });
    expect(sb.users.byUsername('a1')).toBeUndefined();
  });

  test('control parameters sent last are cut first: invalidtoken', async () => {
    const sb = await sandbox({ maxInputVars: 10 });
    const r = await raw(sb, `${twoUsers}&wstoken=${sb.token}&wsfunction=core_user_create_users&moodlewsrestformat=json`);
    // moodlewsrestformat was cut too, so the error comes back as XML.
    expect(r.text).toContain('<ERRORCODE>invalidtoken</ERRORCODE>');
  });
});

describe('workers', () => {
  test('calls beyond the worker count queue', async () => {
    // Four calls at once on two workers, each holding its worker 500 ms: two run, two wait. What was charged and
    // how the pool filled are read from the sandbox, never from a clock (how fast calls go is for `npm run bench`).
    const sb = await sandbox({ workers: 2, perCallCostMs: 500 });
    await Promise.all([1, 2, 3, 4].map(() => call(sb, 'core_webservice_get_site_info')));
    expect(sb.stats.peakBusy).toBe(2);
    expect(sb.stats.queued).toBe(2);
    expect(sb.stats.paidMs).toBe(2000);
  });

  test('perRecordCostMs is paid per created user', async () => {
    const sb = await sandbox({ perRecordCostMs: 40 });
    await call(sb, 'core_user_create_users', { users: [user('r1'), user('r2'), user('r3'), user('r4'), user('r5')] });
    expect(sb.stats.paidMs).toBe(200);
  });

  test("the email scan costs each created user the table's rows, so the same call costs more as the table grows", async () => {
    // 2 rows of its own (guest, admin) + 998: the first user of the first call reads 1,000 rows, the second 1,001.
    const sb = await sandbox({ emailScanMsPer1000Users: 10, siteUsers: 998 });
    await call(sb, 'core_user_create_users', { users: [user('e1'), user('e2')] });
    expect(sb.stats.paidMs).toBeCloseTo((10 * (1000 + 1001)) / 1000, 9);
    // The site's earlier users took their ids: the new ones follow them, as the table's size.
    expect(sb.users.byUsername('e1')?.id).toBe(1001);
    sb.stats.reset();
    await call(sb, 'core_user_create_users', { users: [user('e3'), user('e4')] });
    expect(sb.stats.paidMs).toBeCloseTo((10 * (1002 + 1003)) / 1000, 9);
    // An update checks no new email against the table: it pays nothing for the scan.
    sb.stats.reset();
    await call(sb, 'core_user_update_users', { users: [{ id: 3, city: 'York' }] });
    expect(sb.stats.paidMs).toBe(0);
  });

  test('with the lower(email) index, or accounts allowed to share an email, the check costs nothing', async () => {
    for (const opts of [{ emailIndex: true }, { allowAccountsSameEmail: true }]) {
      const sb = await sandbox({ emailScanMsPer1000Users: 10, siteUsers: 998, ...opts });
      await call(sb, 'core_user_create_users', { users: [user('i1'), user('i2')] });
      expect(sb.users.byUsername('i2')).toBeDefined();
      expect(sb.stats.paidMs).toBe(0);
    }
  });
});

describe('protocol', () => {
  test('stats count calls, write calls and calls by function; reset clears them', async () => {
    const sb = await sandbox();
    await call(sb, 'core_webservice_get_site_info');
    await call(sb, 'core_user_create_users', { users: [user('s1')] });
    await call(sb, 'core_user_update_users', { users: [{ id: 3, city: 'York' }] });
    expect(sb.stats.calls).toBe(3);
    expect(sb.stats.writeCalls).toBe(2);
    expect(sb.stats.byFunction).toEqual({
      core_webservice_get_site_info: 1, core_user_create_users: 1, core_user_update_users: 1,
    });
    sb.stats.reset();
    expect(sb.stats).toMatchObject({ calls: 0, writeCalls: 0, byFunction: {} });
  });

  test('GET and POST are merged, POST wins; JSON escapes slashes like PHP', async () => {
    const sb = await sandbox();
    const r = await raw(sb, `wsfunction=core_webservice_get_site_info&moodlewsrestformat=json`,
      `?wstoken=${sb.token}&wsfunction=core_no_such_function`);
    expect(r.text).toContain('"siteurl":"http:\\/\\/127.0.0.1:');
    const info = JSON.parse(r.text);
    expect(info.userid).toBe(2);
    expect(info.functions.map((f: { name: string }) => f.name)).toContain('core_user_create_users');
  });

  test('a service without a function: access exception, and site info lists only the service', async () => {
    const sb = await sandbox({ functions: ['core_webservice_get_site_info', 'core_user_get_users_by_field'] });
    const info = (await call(sb, 'core_webservice_get_site_info')) as { functions: { name: string }[] };
    expect(info.functions.map((f) => f.name)).toEqual(['core_webservice_get_site_info', 'core_user_get_users_by_field']);
    expect(await call(sb, 'core_user_create_users', { users: [user('x')] })).toMatchObject({ errorcode: 'accessexception' });
    await expect(startSandbox({ functions: ['core_group_get_groups'] })).rejects.toThrow(/does not implement/);
  });

  test('a missing function name, a JSON body and scalar strictness', async () => {
    const sb = await sandbox();
    expect(JSON.parse((await raw(sb, `wstoken=${sb.token}&moodlewsrestformat=json`)).text)).toMatchObject({
      errorcode: 'invalidparameter', debuginfo: 'Missing function name',
    });
    const json = await request(sb.url + REST_PATH, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wstoken: sb.token }),
    });
    // PHP does not parse a JSON body: no token, no format, so an XML invalidtoken.
    expect(await json.body.text()).toContain('<ERRORCODE>invalidtoken</ERRORCODE>');
    for (const bad of ['', ' 5', '05', 'true']) {
      const r = (await call(sb, 'core_user_update_users', { users: [{ id: 2, suspended: bad }] })) as { debuginfo: string };
      expect(r.debuginfo).toBe('users => Invalid parameter value detected: suspended => Invalid parameter value detected: ' +
        `Invalid external api parameter: the value is "${bad}", the server was expecting "bool" type`);
    }
    for (const bad of ['', ' 5', '05']) {
      const r = (await call(sb, 'core_user_delete_users', { userids: [bad] })) as { debuginfo: string };
      expect(r.debuginfo).toBe('userids => Invalid parameter value detected: Invalid external api parameter: ' +
        `the value is "${bad}", the server was expecting "int" type`);
    }
  });

  test('production mode leaves debuginfo out; XML success lists every described key', async () => {
    const sb = await sandbox({ debug: false });
    expect(await call(sb, 'core_user_create_users', { users: [user('Upper')] })).toEqual({
      exception: 'core\\exception\\invalid_parameter_exception',
      errorcode: 'invalidparameter',
      message: 'Invalid parameter value detected',
    });
    await call(sb, 'core_user_create_users', { users: [user('x1')] });
    const xml = (await raw(sb, `wstoken=${sb.token}&wsfunction=core_user_update_users&users[0][id]=3&users[0][city]=Hull`)).text;
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n<SINGLE>\n<KEY name="warnings"><MULTIPLE>\n' +
      '</MULTIPLE>\n</KEY>\n</SINGLE>\n</RESPONSE>\n');
  });
});

describe('users', () => {
  test('create: options, defaults and choices', async () => {
    const sb = await sandbox({ passwordPolicy: false, allowAccountsSameEmail: true });
    const r = await call(sb, 'core_user_create_users', {
      users: [
        user('p1', { password: 'x', country: 'XX', interests: 'chess, , Chess,go', customfields: [{ type: 'grade', value: '7' }] }),
        user('p2', { email: 'P1@example.com', auth: 'ldap', password: '' }),
        user('p3', { createpassword: 1, password: '' }),
      ],
    });
    expect(r).toEqual([{ id: 3, username: 'p1' }, { id: 4, username: 'p2' }, { id: 5, username: 'p3' }]);
    expect(sb.users.byId(3)).toMatchObject({
      country: '', passwordSet: true, interests: ['chess', 'go'], customfields: { grade: '7' }, suspended: false,
    });
    expect(sb.users.byId(4)).toMatchObject({ auth: 'ldap', passwordSet: false });
    expect(sb.users.byId(5)?.preferences).toEqual({ auth_forcepasswordchange: '1' });
    const [found] = (await call(sb, 'core_user_get_users_by_field', { field: 'id', values: [3] })) as Record<string, unknown>[];
    expect(found.interests).toBe('chess, go');
    expect(found.customfields).toEqual([{ type: 'text', value: '7', displayvalue: '7', name: 'grade', shortname: 'grade' }]);
    expect(await call(sb, 'core_user_create_users', { users: [user('p4', { auth: 'mnet' })] })).toMatchObject({
      debuginfo: 'Invalid authentication type: mnet',
    });
  });

  test('update: per-record warnings, email only checked when it changes, guest and deleted users', async () => {
    const sb = await sandbox();
    await call(sb, 'core_user_create_users', { users: [user('a'), user('b')] });
    sb.users.deleteByHand(4);
    const r = await call(sb, 'core_user_update_users', {
      users: [
        { id: 3, email: 'a@example.com', suspended: 1 },
        { id: 3, email: 'admin@EXAMPLE.com' },
        { id: 4, city: 'X' },
        { id: 1, city: 'X' },
      ],
    });
    expect(r).toEqual({
      warnings: [
        { item: 'user', itemid: 3, warningcode: 'useremailduplicate', message: 'Duplicate address' },
        { item: 'user', itemid: 4, warningcode: 'usernotupdateddeleted', message: 'error/usernotupdateddeleted' },
        { item: 'user', itemid: 1, warningcode: 'usernotupdatedguest', message: 'error/usernotupdatedguest' },
      ],
    });
    expect(sb.users.byId(3)?.suspended).toBe(true);
  });

  test('update with a weak password: committed, but the reply fails response cleaning', async () => {
    const sb = await sandbox();
    await call(sb, 'core_user_create_users', { users: [user('a')] });
    const r = (await call(sb, 'core_user_update_users', {
      users: [{ id: 3, city: 'Leeds' }, { id: 3, password: 'weak' }],
    })) as Record<string, string>;
    expect(r.exception).toBe('core\\exception\\invalid_response_exception');
    expect(r.errorcode).toBe('invalidresponse');
    expect(r.debuginfo).toMatch(/^warnings => Invalid response value detected: warningcode => Invalid response value detected: /);
    expect(sb.users.byId(3)?.city).toBe('Leeds');
  });

  test('delete keeps a rewritten record; deleted users no longer match', async () => {
    const sb = await sandbox();
    await call(sb, 'core_user_create_users', { users: [user('gone', { idnumber: 'G1' })] });
    expect(await call(sb, 'core_user_delete_users', { userids: [3] })).toBeNull();
    const u = sb.users.byId(3);
    expect(u).toMatchObject({ deleted: true, idnumber: '', firstname: 'Fgone' });
    expect(u?.username).toMatch(/^gone@example\.com\.\d+$/);
    expect(u?.email).toMatch(/^[0-9a-f]{32}$/);
    expect(await call(sb, 'core_user_get_users_by_field', { field: 'username', values: ['gone'] })).toEqual([]);
    expect(((await call(sb, 'core_user_get_users', { criteria: [{ key: 'lastname', value: 'Lgone' }] })) as {
      users: unknown[];
    }).users).toEqual([]);
    // The username and email are free again.
    expect(await call(sb, 'core_user_create_users', { users: [user('gone')] })).toEqual([{ id: 4, username: 'gone' }]);
    expect(await call(sb, 'core_user_delete_users', { userids: [3] })).toMatchObject({ errorcode: 'invaliduser' });
    expect(() => sb.users.deleteByHand(2)).toThrow();
  });

  test('get_users: LIKE, cleaned values, unknown keys warn, repeated keys fail', async () => {
    const sb = await sandbox();
    await call(sb, 'core_user_create_users', { users: [user('ann', { lastname: 'Smith' }), user('bob', { lastname: 'Smythe' })] });
    const like = (await call(sb, 'core_user_get_users', {
      criteria: [{ key: 'lastname', value: 'sm_th%' }, { key: 'colour', value: 'x' }, { key: 'username', value: 'BOB' }],
    })) as { users: { username: string }[]; warnings: unknown[] };
    expect(like.users.map((u) => u.username)).toEqual(['bob']);
    expect(like.warnings).toEqual([{
      item: 'colour', warningcode: 'invalidfieldparameter',
      message: "The search key 'colour' is not supported, look at the web service documentation",
    }]);
    expect(await call(sb, 'core_user_get_users', {
      criteria: [{ key: 'email', value: '%' }, { key: 'email', value: 'x' }],
    })).toEqual({
      exception: 'core\\exception\\moodle_exception', errorcode: 'keyalreadyset', message: 'error/keyalreadyset',
      debuginfo: 'The key email can only be sent once',
    });
    expect(await call(sb, 'core_user_get_users_by_field', { field: 'id', values: ['abc'] })).toMatchObject({
      debuginfo: "The field 'id' value is invalid: abc(cleaned value: 0)",
    });
  });
});

/** A category, a course in it and n users, for the course-side tests. */
async function courseSetup(sb: SandboxHandle, usernames: string[]) {
  const [cat] = (await call(sb, 'core_course_create_categories', { categories: [{ name: 'Cat', idnumber: 'CAT' }] })) as
    { id: number }[];
  const [course] = (await call(sb, 'core_course_create_courses', {
    courses: [{ fullname: 'Course', shortname: 'C1', categoryid: cat.id, idnumber: 'C1-ID' }],
  })) as { id: number }[];
  const users = usernames.length === 0 ? [] :
    (await call(sb, 'core_user_create_users', { users: usernames.map((n) => user(n)) })) as { id: number }[];
  return { cat: cat.id, course: course.id, users: users.map((u) => u.id) };
}

describe('courses, enrolments and groups', () => {
  test('the new tables survive a restart through the state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-sandbox-'));
    try {
      const file = join(dir, 'state.sqlite');
      const a = await startSandbox({ stateFile: file });
      const { cat, course, users } = await courseSetup(a, ['s1', 's2']);
      expect(await call(a, 'enrol_manual_enrol_users', {
        enrolments: [
          { roleid: 5, userid: users[0], courseid: course },
          { roleid: 3, userid: users[1], courseid: course, suspend: 1, timestart: 100, timeend: 200 },
        ],
      })).toBeNull();
      const [g] = (await call(a, 'core_group_create_groups', {
        groups: [{ courseid: course, name: 'G', description: '', idnumber: 'G1' }],
      })) as { id: number }[];
      expect(await call(a, 'core_group_add_group_members', { members: [{ groupid: g.id, userid: users[1] }] })).toBeNull();
      await a.close();
      const b = await startSandbox({ stateFile: file });
      try {
        expect(b.categories.list().find((c) => c.idnumber === 'CAT')).toMatchObject({ id: cat, name: 'Cat', depth: 1 });
        expect(b.courses.byShortname('C1')).toMatchObject({ id: course, categoryid: cat, idnumber: 'C1-ID' });
        expect(b.courses.byIdnumber('C1-ID')?.id).toBe(course);
        expect(b.courses.list().map((c) => c.id)).toEqual([1, course]);
        expect(b.enrolments.of(course)).toEqual([
          { userid: users[0], status: 0, timestart: 0, timeend: 0, roles: [5] },
          { userid: users[1], status: 1, timestart: 100, timeend: 200, roles: [3] },
        ]);
        expect(b.groups.of(course)).toEqual([{
          id: g.id, courseid: course, name: 'G', idnumber: 'G1', description: '', visibility: 0, participation: true,
          members: [users[1]],
        }]);
        // And the id sequences go on from where they were.
        const [course2] = (await call(b, 'core_course_create_courses', {
          courses: [{ fullname: 'Two', shortname: 'C2', categoryid: cat }],
        })) as { id: number }[];
        expect(course2.id).toBe(course + 1);
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unenrolling the last enrolment removes every role and group membership in the course', async () => {
    const sb = await sandbox();
    const { course, users } = await courseSetup(sb, ['s1', 's2']);
    await call(sb, 'enrol_manual_enrol_users', {
      enrolments: [
        { roleid: 5, userid: users[0], courseid: course },
        { roleid: 4, userid: users[0], courseid: course },
        { roleid: 5, userid: users[1], courseid: course },
      ],
    });
    const [g] = (await call(sb, 'core_group_create_groups', {
      groups: [{ courseid: course, name: 'G', description: '' }],
    })) as { id: number }[];
    await call(sb, 'core_group_add_group_members', {
      members: [{ groupid: g.id, userid: users[0] }, { groupid: g.id, userid: users[1] }],
    });
    expect(sb.groups.of(course)[0].members).toEqual(users);
    expect(await call(sb, 'enrol_manual_unenrol_users', {
      enrolments: [{ userid: users[0], courseid: course, roleid: 4 }],
    })).toBeNull();
    expect(sb.enrolments.of(course).map((e) => e.userid)).toEqual([users[1]]);
    expect(sb.groups.of(course)[0].members).toEqual([users[1]]);
    // Enrolled again: no role and no group comes back by itself.
    await call(sb, 'enrol_manual_enrol_users', { enrolments: [{ roleid: 5, userid: users[0], courseid: course }] });
    expect(sb.enrolments.of(course).find((e) => e.userid === users[0])?.roles).toEqual([5]);
    expect(sb.groups.of(course)[0].members).toEqual([users[1]]);
  });

  test('re-enrolling resets omitted dates and reactivates; suspended enrolments can join groups', async () => {
    const sb = await sandbox();
    const { course, users } = await courseSetup(sb, ['s1']);
    await call(sb, 'enrol_manual_enrol_users', {
      enrolments: [{ roleid: 5, userid: users[0], courseid: course, suspend: 1, timestart: 10, timeend: 20 }],
    });
    const [g] = (await call(sb, 'core_group_create_groups', {
      groups: [{ courseid: course, name: 'G', description: '' }],
    })) as { id: number }[];
    expect(await call(sb, 'core_group_add_group_members', { members: [{ groupid: g.id, userid: users[0] }] })).toBeNull();
    await call(sb, 'enrol_manual_enrol_users', { enrolments: [{ roleid: 5, userid: users[0], courseid: course }] });
    expect(sb.enrolments.of(course)).toEqual([{ userid: users[0], status: 0, timestart: 0, timeend: 0, roles: [5] }]);
  });

  test('deleted users, the guest, the site course and role contexts are refused as Moodle does', async () => {
    const sb = await sandbox();
    const { course, users } = await courseSetup(sb, ['s1', 's2']);
    await call(sb, 'enrol_manual_enrol_users', { enrolments: [{ roleid: 5, userid: users[1], courseid: course }] });
    sb.users.deleteByHand(users[1]);
    // delete_user() unenrols the user everywhere.
    expect(sb.enrolments.of(course)).toEqual([]);
    sb.users.deleteByHand(users[0]);
    expect(await call(sb, 'enrol_manual_enrol_users', {
      enrolments: [{ roleid: 5, userid: users[0], courseid: course }],
    })).toMatchObject({ errorcode: 'userdeleted', message: 'error/userdeleted' });
    expect(await call(sb, 'enrol_manual_enrol_users', { enrolments: [{ roleid: 5, userid: 1, courseid: course }] }))
      .toMatchObject({ errorcode: 'guestsarenotallowed' });
    // The parent role (9) is assignable in user context only, like user (7) nowhere: not in a course.
    for (const roleid of [2, 6, 7, 8, 9]) {
      expect(await call(sb, 'enrol_manual_enrol_users', { enrolments: [{ roleid, userid: 2, courseid: course }] }))
        .toMatchObject({ errorcode: 'wsusercannotassign' });
    }
    for (const roleid of [1, 3, 4, 5]) {
      expect(await call(sb, 'enrol_manual_enrol_users', { enrolments: [{ roleid, userid: 2, courseid: course }] }))
        .toBeNull();
    }
    expect(sb.enrolments.of(course)[0].roles).toEqual([1, 3, 4, 5]);
    // The site course has no manual instance.
    expect(await call(sb, 'enrol_manual_enrol_users', { enrolments: [{ roleid: 5, userid: 2, courseid: 1 }] }))
      .toMatchObject({ errorcode: 'wsnoinstance' });
    expect(await call(sb, 'core_course_delete_courses', { courseids: [1, course] })).toEqual({
      warnings: [{ item: 'course', itemid: 1, warningcode: 'cannotdeletecategorycourse', message: 'Course 1 failed to be deleted' }],
    });
    expect(sb.courses.list().map((c) => c.id)).toEqual([1]);
  });

  test('ids are not reused after a rolled-back batch (PostgreSQL sequences)', async () => {
    const sb = await sandbox();
    const { cat, course } = await courseSetup(sb, []);
    expect(await call(sb, 'core_course_create_courses', {
      courses: [{ fullname: 'A', shortname: 'A', categoryid: cat }, { fullname: 'B', shortname: 'C1', categoryid: cat }],
    })).toMatchObject({ errorcode: 'shortnametaken' });
    expect(sb.courses.byShortname('A')).toBeUndefined();
    expect(await call(sb, 'core_course_create_courses', { courses: [{ fullname: 'N', shortname: 'N', categoryid: cat }] }))
      .toEqual([{ id: course + 2, shortname: 'N' }]);
  });

  test('new courses go first in their category, get default dates and count as write calls', async () => {
    const sb = await sandbox();
    sb.stats.reset();
    const { cat } = await courseSetup(sb, []);
    await call(sb, 'core_course_create_courses', { courses: [{ fullname: 'B', shortname: 'C2', categoryid: cat }] });
    await call(sb, 'core_course_get_courses_by_field', { field: 'shortname', value: 'C2' });
    expect(sb.stats.writeCalls).toBe(3);
    const catRow = sb.categories.list().find((c) => c.id === cat);
    expect(catRow).toMatchObject({ coursecount: 2, path: `/${cat}` });
    const [c1, c2] = [sb.courses.byShortname('C1'), sb.courses.byShortname('C2')];
    expect((c2?.sortorder ?? 0) < (c1?.sortorder ?? 0)).toBe(true);
    expect(c2?.startdate).toBe(c2 ? c2.createdAt - (c2.createdAt % 86400) : 0);
    expect(c2?.enddate).toBe((c2?.startdate ?? 0) + 365 * 86400);
    const dup = (await call(sb, 'core_course_duplicate_course', {
      courseid: c1?.id, fullname: 'Copy', shortname: 'C1', categoryid: cat,
    })) as { errorcode: string; message: string };
    expect(dup).toMatchObject({ errorcode: 'shortnametaken', message: 'Short name is already used for another course (Course)' });
  });
});
