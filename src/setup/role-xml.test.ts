/** The role file against the rules of Moodle's admin/roles/role_schema.xml (test/role-schema.ts), and its escaping. */
import { describe, expect, test } from '@jest/globals';
import { ROLE_SEQUENCE, allowed, parseXml, schemaProblems } from '../../test/role-schema.js';
import { roleXml } from './role-xml.js';

describe('roleXml', () => {
  const caps = ['webservice/rest:use', 'moodle/user:create', 'enrol/manual:enrol'];

  test('follows role_schema.xml: sequence, lists, permission order', () => {
    const role = parseXml(roleXml({ shortname: 'mdlsync', name: 'mdlsync', description: 'd', allow: caps, allowAssign: ['student', 'parent'] }));
    expect(schemaProblems(role)).toEqual([]);
    expect(role.children.map((c) => c.name)).toEqual(ROLE_SEQUENCE);
    expect(role.children.find((c) => c.name === 'contextlevels')!.children.map((l) => l.text)).toEqual(['system']);
    expect(role.children.find((c) => c.name === 'archetype')!.text).toBe('');
    expect(role.children.find((c) => c.name === 'allowassign')!.children.map((s) => s.text)).toEqual(['student', 'parent']);
  });

  test('allows exactly the capabilities given, sorted, and nothing else', () => {
    const role = parseXml(roleXml({ shortname: 'r', name: 'r', description: '', allow: caps }));
    expect(allowed(role)).toEqual([...caps].sort());
    expect(role.children.find((c) => c.name === 'permissions')!.children.every((p) => p.name === 'allow')).toBe(true);
    expect(role.children.find((c) => c.name === 'allowassign')!.children).toEqual([]);
  });

  test('escapes what XML gives a meaning to', () => {
    const name = 'A & B <script>alert("x")</script> \'q\'';
    const xml = roleXml({ shortname: 's', name, description: '</description><prohibit>moodle/site:config</prohibit>', allow: [] });
    expect(xml).not.toContain('<script>');
    const role = parseXml(xml);
    expect(schemaProblems(role)).toEqual([]);
    expect(role.children.find((c) => c.name === 'name')!.text).toBe(name);
    expect(role.children.find((c) => c.name === 'permissions')!.children).toEqual([]);
  });

  test('the checker itself refuses what the schema refuses', () => {
    expect(schemaProblems(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<role><name>n</name><shortname>s</shortname></role>'))).toEqual([expect.stringMatching(/out of sequence/)]);
    expect(schemaProblems(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<role><permissions><allow>a</allow><inherit>b</inherit></permissions></role>'))).toEqual(['permissions out of order']);
    expect(schemaProblems(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<role><contextlevels><shortname>x</shortname></contextlevels></role>'))).toEqual(['<shortname> in <contextlevels>']);
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<role><name>a & b</name></role>')).toThrow(/bad character data/);
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<role><name>a</role>')).toThrow(/closes/);
  });
});

