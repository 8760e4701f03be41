/**
 * `mdlsync setup`: what a Moodle admin sets up for the feed types, exports and commands named — the external
 * service's functions, the capabilities they need (as a role file Moodle imports) and the steps in order. Everything
 * is read from the declarations (src/entities/<type>/index.ts, EXPORT_FUNCTIONS, PICTURE_FUNCTIONS, the mirror's
 * functions); the CLI (src/cli/setup.ts) only prints or writes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { entity, type EntityType } from '../entities/index.js';
import { EXPORT_CAPABILITIES, EXPORT_FUNCTIONS } from '../export/functions.js';
import type { ExportKind } from '../export/rows.js';
import { REST_CAPABILITY } from '../moodle/capabilities.js';
import { PICTURE_CAPABILITIES, PICTURE_FUNCTIONS } from '../moodle/pictures.js';
import { MIRROR_ALL_FUNCTIONS, MIRROR_CAPABILITIES } from '../mirror/job.js';
import { roleXml } from './role-xml.js';

export { escapeXml, roleXml, type RolePreset } from './role-xml.js';

export interface SetupRequest {
  types: readonly EntityType[];
  exports: readonly ExportKind[];
  pictures: boolean;
  mirror: boolean;
}

export interface SetupNeeds {
  /** The external service's functions, in the order of the request, each once. */
  functions: string[];
  /** The role's capabilities, sorted, each once; webservice/rest:use always. */
  capabilities: string[];
  /** Role shortnames the mdlsync role must be allowed to assign (enrolments, observers, system roles). */
  assigns: string[];
  /** Whether the service needs "Can upload files" (mdlsync pictures posts to webservice/upload.php). */
  uploadFiles: boolean;
}

const uniq = (xs: readonly string[]): string[] => [...new Set(xs)];

/** The role shortnames the requested feeds assign, from the config (role maps, the observer role). */
function assignedRoles(req: SetupRequest, config: Config): string[] {
  const roles: string[] = [];
  if (req.types.includes('enrolments')) roles.push(...Object.values(config.enrolments.roleMap));
  if (req.types.includes('observers')) roles.push(config.observers.role);
  if (req.types.includes('institution-roles') && config.institutionRoles.mode === 'system-role') roles.push(...Object.values(config.institutionRoles.roleMap));
  return uniq(roles.map((r) => r.toLowerCase())).sort();
}

/**
 * The capabilities the named types, exports and pictures need, plus `extra` (another command's), sorted, each once;
 * webservice/rest:use always. `doctor` checks the same list.
 */
export function neededCapabilities(types: readonly EntityType[], exports: readonly ExportKind[], pictures: boolean, extra: readonly string[] = []): string[] {
  return uniq([
    REST_CAPABILITY,
    ...types.flatMap((t) => entity(t).capabilities),
    ...exports.flatMap((e) => EXPORT_CAPABILITIES[e]),
    ...(pictures ? PICTURE_CAPABILITIES : []),
    ...extra,
  ]).sort();
}

export function setupNeeds(req: SetupRequest, config: Config): SetupNeeds {
  const functions = uniq([
    ...req.types.flatMap((t) => entity(t).functions),
    ...req.exports.flatMap((e) => EXPORT_FUNCTIONS[e]),
    ...(req.pictures ? PICTURE_FUNCTIONS : []),
    ...(req.mirror ? MIRROR_ALL_FUNCTIONS : []),
  ]);
  const capabilities = neededCapabilities(req.types, req.exports, req.pictures, req.mirror ? MIRROR_CAPABILITIES : []);
  return { functions, capabilities, assigns: assignedRoles(req, config), uploadFiles: req.pictures };
}

export const ROLE_SHORTNAME = 'mdlsync';
export const ROLE_FILE = 'mdlsync-role.xml';

/** The role file for `needs`: its capabilities, allowed at system context. */
export function setupRoleXml(needs: SetupNeeds): string {
  return roleXml({
    shortname: ROLE_SHORTNAME,
    name: 'mdlsync web service',
    description: 'The capabilities of the mdlsync web-service user (written by mdlsync setup). Assign it at system context.',
    allow: needs.capabilities,
    allowAssign: needs.assigns,
  });
}

/** The admin's steps, in order, as numbered lines. */
export function setupSteps(needs: SetupNeeds, written = false): string[] {
  const where = written ? `${ROLE_FILE} (this folder)` : `${ROLE_FILE} (mdlsync setup --write DIR writes it)`;
  const steps = [
    'Site administration › Advanced features: tick "Enable web services".',
    'Site administration › Server › Web services › Manage protocols: enable REST.',
    'Site administration › Users › Accounts › Add a new user: a user for mdlsync (e.g. mdlsync), authentication Manual accounts.',
    `Site administration › Users › Permissions › Define roles › Add a new role › Use role preset: import ${where}, check it and Create this role` +
      (needs.assigns.length ? ` (its "Allow role assignments" lists ${needs.assigns.join(', ')}: the roles mdlsync assigns; add any other your files name)` : '') + '.',
    'Site administration › Users › Permissions › Assign system roles: give the mdlsync user that role.',
    `Site administration › Server › Web services › External services › Add: a service (e.g. "mdlsync"), Enabled, Authorised users only` +
      (needs.uploadFiles ? ', and tick "Can upload files" (mdlsync pictures posts to webservice/upload.php)' : '') + '.',
    `Its Functions › Add functions: the ${needs.functions.length} functions listed${written ? ' in functions.txt' : ' below'}.`,
    'Its Authorised users: add the mdlsync user.',
    'Site administration › Server › Web services › Manage tokens › Create token: for the mdlsync user and that service; put it in MDLSYNC_TOKEN or moodle.tokenFile.',
    'If PHP max_input_vars on the site is not 1000 (Moodle asks for 5000), set moodle.maxInputVars to it.',
    'Check it all: mdlsync doctor with the same --types (and --exports, --pictures, --mirror).',
  ];
  return steps.map((s, i) => `${i + 1}. ${s}`);
}

/** Writes functions.txt, capabilities.txt, the role file and README.txt into `dir`; their paths. */
export function writeSetup(dir: string, needs: SetupNeeds): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['functions.txt', needs.functions.join('\n') + '\n'],
    ['capabilities.txt', needs.capabilities.join('\n') + '\n'],
    [ROLE_FILE, setupRoleXml(needs)],
    ['README.txt', ['Setting up Moodle for mdlsync', '', ...setupSteps(needs, true), ''].join('\n')],
  ];
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}
