/** `mdlsync setup`'s lists: derived from the declarations, per type, export and command; the role file holds them. */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listOf, parseXml, schemaProblems, allowed } from '../../test/role-schema.js';
import { loadConfig } from '../config/index.js';
import { ENTITY_TYPES, entity, functionsOf } from '../entities/index.js';
import { EXPORT_CAPABILITIES, EXPORT_FUNCTIONS, EXPORT_KINDS } from '../export/functions.js';
import { FUNCTION_CAPABILITIES, capabilitiesFor } from '../moodle/capabilities.js';
import { PICTURE_CAPABILITIES, PICTURE_FUNCTIONS } from '../moodle/pictures.js';
import { MIRROR_ALL_FUNCTIONS, MIRROR_CAPABILITIES } from '../mirror/job.js';
import { setupNeeds, setupRoleXml, setupSteps, writeSetup, type SetupRequest } from './index.js';

const config = loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'mdlsync-setup-')), env: {} });
const request = (r: Partial<SetupRequest>): SetupRequest => ({ types: [], exports: [], pictures: false, mirror: false, ...r });

describe('capabilities are declared beside the functions', () => {
  test('every function a type, export, pictures or the mirror calls has its capabilities in the table', () => {
    const all = [...ENTITY_TYPES.flatMap((t) => functionsOf(t)), ...EXPORT_KINDS.flatMap((e) => EXPORT_FUNCTIONS[e]), ...PICTURE_FUNCTIONS, ...MIRROR_ALL_FUNCTIONS];
    expect(all.filter((f) => !Object.hasOwn(FUNCTION_CAPABILITIES, f))).toEqual([]);
  });

  test.each(ENTITY_TYPES.map((t) => [t]))('%s declares the capabilities of its functions', (type) => {
    expect(entity(type).capabilities).toEqual(capabilitiesFor(functionsOf(type)));
    expect(entity(type).capabilities.length).toBeGreaterThan(0);
  });

  test('exports, pictures and the mirror too', () => {
    for (const e of EXPORT_KINDS) expect(EXPORT_CAPABILITIES[e]).toEqual(capabilitiesFor(EXPORT_FUNCTIONS[e]));
    expect(PICTURE_CAPABILITIES).toEqual(capabilitiesFor(PICTURE_FUNCTIONS));
    expect(MIRROR_CAPABILITIES).toEqual(capabilitiesFor(MIRROR_ALL_FUNCTIONS));
  });

  test('a function without a table line throws', () => {
    expect(() => capabilitiesFor(['core_user_create_users', 'core_badges_get_user_badges'])).toThrow(/core_badges_get_user_badges: no capabilities declared/);
  });

  test('what Moodle checks for the functions whose code asks more than services.php', () => {
    expect(entity('enrolments').capabilities).toEqual(expect.arrayContaining(['enrol/manual:enrol', 'enrol/manual:unenrol', 'moodle/role:assign']));
    expect(entity('courses').capabilities).toEqual(expect.arrayContaining(['moodle/course:create', 'moodle/course:update', 'moodle/course:delete', 'moodle/backup:backupcourse', 'moodle/restore:restorecourse']));
    expect(entity('cohorts').capabilities).toEqual(['moodle/cohort:assign', 'moodle/cohort:manage', 'moodle/cohort:view']);
    expect(entity('groups').capabilities).toEqual(expect.arrayContaining(['moodle/course:managegroups']));
    expect(entity('categories').capabilities).toEqual(['moodle/category:manage', 'moodle/category:viewhiddencategories']);
  });
});

describe('setupNeeds', () => {
  test('persons: its functions and capabilities, webservice/rest:use always, no upload', () => {
    const needs = setupNeeds(request({ types: ['persons'] }), config);
    expect(needs.functions).toEqual([...functionsOf('persons')]);
    expect(needs.capabilities).toEqual(['webservice/rest:use', ...entity('persons').capabilities].sort());
    expect(needs.uploadFiles).toBe(false);
    expect(needs.assigns).toEqual([]);
  });

  test('several types, an export, pictures and the mirror: each function and capability once', () => {
    const needs = setupNeeds(request({ types: ['persons', 'enrolments', 'observers'], exports: ['grades'], pictures: true, mirror: true }), config);
    const fns = new Set([...functionsOf('persons'), ...functionsOf('enrolments'), ...functionsOf('observers'), ...EXPORT_FUNCTIONS.grades, ...PICTURE_FUNCTIONS, ...MIRROR_ALL_FUNCTIONS]);
    expect(new Set(needs.functions)).toEqual(fns);
    expect(needs.functions).toHaveLength(fns.size);
    expect(needs.capabilities).toEqual(capabilitiesFor([...fns]).concat('webservice/rest:use').sort());
    expect(needs.uploadFiles).toBe(true);
    // The roles enrolment and observer feeds assign (config defaults): the role may assign them.
    expect(needs.assigns).toEqual(['editingteacher', 'parent', 'student', 'teacher']);
  });

  test('the steps name the functions count, the role file and, with pictures, "Can upload files"', () => {
    const needs = setupNeeds(request({ types: ['persons'], pictures: true }), config);
    const steps = setupSteps(needs).join('\n');
    expect(steps).toMatch(/Enable web services/);
    expect(steps).toMatch(/enable REST/);
    expect(steps).toMatch(/Use role preset: import mdlsync-role\.xml/);
    expect(steps).toMatch(/Can upload files/);
    expect(steps).toContain(`the ${needs.functions.length} functions`);
    expect(steps).toMatch(/Create token/);
    expect(setupSteps(setupNeeds(request({ types: ['persons'] }), config)).join('\n')).not.toMatch(/Can upload files/);
  });

  test('the role file holds exactly the capabilities, at system context, valid against role_schema.xml', () => {
    const needs = setupNeeds(request({ types: [...ENTITY_TYPES], exports: [...EXPORT_KINDS], pictures: true, mirror: true }), config);
    const role = parseXml(setupRoleXml(needs));
    expect(schemaProblems(role)).toEqual([]);
    expect(allowed(role)).toEqual(needs.capabilities);
    expect(listOf(role, 'contextlevels')).toEqual(['system']);
    expect(listOf(role, 'allowassign')).toEqual(needs.assigns);
  });

  test('writeSetup writes the four files', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mdlsync-setup-')), 'moodle');
    const needs = setupNeeds(request({ types: ['cohorts'] }), config);
    const paths = writeSetup(dir, needs);
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['functions.txt', 'capabilities.txt', 'mdlsync-role.xml', 'README.txt']);
    expect(readFileSync(join(dir, 'functions.txt'), 'utf8')).toBe(needs.functions.join('\n') + '\n');
    expect(readFileSync(join(dir, 'capabilities.txt'), 'utf8')).toBe(needs.capabilities.join('\n') + '\n');
    expect(readFileSync(join(dir, 'README.txt'), 'utf8')).toMatch(/import mdlsync-role\.xml \(this folder\)/);
  });
});
