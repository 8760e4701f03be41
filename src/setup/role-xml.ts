/**
 * A role definition Moodle imports (Site administration › Users › Permissions › Define roles › Add a new role › Use
 * role preset): the XML core_role_preset::get_export_xml writes and parse_preset reads, valid against
 * admin/roles/role_schema.xml. Its root <role> holds, in this order, shortname, name, description, archetype,
 * contextlevels (<level>system</level>: context_system without its prefix), allowassign, allowoverride,
 * allowswitch (each a list of <shortname>) and permissions (<inherit>, then <allow>, <prevent>, <prohibit>).
 */

export interface RolePreset {
  shortname: string;
  name: string;
  description: string;
  /** Capabilities allowed; the role changes nothing else. */
  allow: readonly string[];
  /** Shortnames of the roles this one may assign ("Allow role assignments"). */
  allowAssign?: readonly string[];
}

/** The five characters XML gives a meaning to, as entities (text and attribute values alike). */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/**
 * The role file: no archetype (so nothing beyond `allow` is granted), assignable at system context only. Moodle maps
 * each allowassign shortname to a role of the site and skips the ones it lacks (parse_preset).
 */
export function roleXml(role: RolePreset): string {
  const el = (name: string, text: string): string => `<${name}>${escapeXml(text)}</${name}>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<role>',
    `  ${el('shortname', role.shortname)}`,
    `  ${el('name', role.name)}`,
    `  ${el('description', role.description)}`,
    '  <archetype></archetype>',
    '  <contextlevels>',
    '    <level>system</level>',
    '  </contextlevels>',
    ...(role.allowAssign?.length ? ['  <allowassign>', ...role.allowAssign.map((r) => `    ${el('shortname', r)}`), '  </allowassign>'] : ['  <allowassign/>']),
    '  <allowoverride/>',
    '  <allowswitch/>',
    '  <permissions>',
    ...[...role.allow].sort().map((c) => `    ${el('allow', c)}`),
    '  </permissions>',
    '</role>',
    '',
  ].join('\n');
}
