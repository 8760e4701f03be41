/**
 * The rules of Moodle's admin/roles/role_schema.xml, which core_role_preset::is_valid_preset validates a role file
 * with before parse_preset reads it: a <role> root whose children come in the schema's sequence, each at most once;
 * <contextlevels> holds only <level>; allowassign/override/switch only <shortname>; <permissions> holds <inherit>*,
 * <allow>*, <prevent>*, <prohibit>* in that order; every other element is text only. No XML library is a dependency,
 * so a small strict parser (well-formedness included) stands in for the validator. Used by src/setup/role-xml.test.ts
 * and test/setup.e2e.test.ts.
 */
export interface El {
  name: string;
  children: El[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decode(s: string): string {
  return s.replace(/&([a-z]+);/g, (m, e: string) => {
    if (!(e in ENTITIES)) throw new Error(`unknown entity ${m}`);
    return ENTITIES[e];
  });
}

/** Parses the document (declaration, one root, no attributes: the role file has none); throws when not well-formed. */
export function parseXml(xml: string): El {
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  if (body === xml) throw new Error('no XML declaration');
  const root: El = { name: '#doc', children: [], text: '' };
  const stack: El[] = [root];
  const token = /<\/([A-Za-z_][\w.-]*)>|<([A-Za-z_][\w.-]*)(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < body.length && (m = token.exec(body)) !== null) {
    pos = token.lastIndex;
    const top = stack[stack.length - 1];
    if (m[1]) {
      if (top.name !== m[1]) throw new Error(`</${m[1]}> closes <${top.name}>`);
      stack.pop();
    } else if (m[2]) {
      const el: El = { name: m[2], children: [], text: '' };
      top.children.push(el);
      if (!m[3]) stack.push(el);
    } else {
      if (/[<&](?![a-z]+;)/.test(m[4]) || m[4].includes('>')) throw new Error(`bad character data ${m[4]}`);
      top.text += decode(m[4]);
    }
  }
  if (pos !== body.length) throw new Error(`cannot parse at ${pos}: ${body.slice(pos, pos + 20)}`);
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> not closed`);
  if (root.children.length !== 1 || root.text.trim() !== '') throw new Error('not exactly one root element');
  return root.children[0];
}

export const ROLE_SEQUENCE = ['shortname', 'name', 'description', 'archetype', 'contextlevels', 'allowassign', 'allowoverride', 'allowswitch', 'permissions'];
const PERMISSION_ORDER = ['inherit', 'allow', 'prevent', 'prohibit'];
const LISTS: Record<string, string> = { contextlevels: 'level', allowassign: 'shortname', allowoverride: 'shortname', allowswitch: 'shortname' };

/** The schema's rules; a list of what breaks them. */
export function schemaProblems(role: El): string[] {
  const problems: string[] = [];
  if (role.name !== 'role') problems.push(`root is <${role.name}>`);
  const at = role.children.map((c) => ROLE_SEQUENCE.indexOf(c.name));
  if (at.some((i) => i < 0)) problems.push(`unknown child of <role>: ${role.children.map((c) => c.name).join(', ')}`);
  if (at.some((i, k) => k > 0 && i <= at[k - 1])) problems.push(`children of <role> out of sequence: ${role.children.map((c) => c.name).join(', ')}`);
  const textOnly = (el: El): void => {
    if (el.children.length) problems.push(`<${el.name}> must hold text only`);
  };
  for (const c of role.children) {
    if (c.name in LISTS) {
      if (c.text.trim() !== '') problems.push(`<${c.name}> holds text`);
      for (const item of c.children) {
        if (item.name !== LISTS[c.name]) problems.push(`<${item.name}> in <${c.name}>`);
        textOnly(item);
      }
    } else if (c.name === 'permissions') {
      const order = c.children.map((p) => PERMISSION_ORDER.indexOf(p.name));
      if (order.some((i) => i < 0)) problems.push('unknown child of <permissions>');
      if (order.some((i, k) => k > 0 && i < order[k - 1])) problems.push('permissions out of order');
      c.children.forEach(textOnly);
    } else textOnly(c);
  }
  return problems;
}

export const allowed = (role: El): string[] => role.children.find((c) => c.name === 'permissions')!.children.filter((p) => p.name === 'allow').map((p) => p.text);

/** The text of each child of `el`'s child `name`. */
export const listOf = (el: El, name: string): string[] => el.children.find((c) => c.name === name)?.children.map((c) => c.text) ?? [];
