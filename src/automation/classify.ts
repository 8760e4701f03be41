/** What a dropped file is (rules, then the name convention), and the order files waiting together run in. */
import picomatch from 'picomatch';
import type { WatchRule } from '../config/index.js';
import { ENTITY_TYPES, type EntityType } from '../entities/index.js';
import { OPS, type Op } from '../plan/types.js';

export interface Classified {
  type?: EntityType;
  op: Op;
  dataSource?: string;
  force: boolean;
  /** The site its rule names, if any. */
  site?: string;
  /** What decided it, for the log: `rule 2 (*.csv)` or `name convention`. */
  by: string;
}

export type Classification = { ok: true; value: Classified } | { ok: false; reason: string };

const INPUT_EXT = /\.(csv|txt)$/i;

/** Partial uploads, temporary files and dotfiles are never inputs. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || /\.(part|tmp)$/i.test(name);
}

export function isRefresh(op: Op): boolean {
  return op === 'refresh' || op === 'refresh-ds';
}

/**
 * First matching rule wins; otherwise `TYPE.OP[.DATASOURCE].anything.csv|txt`. The data source is the third
 * dot-part only when at least two parts sit between OP and the extension, so `persons.store.2026-11-23.csv` has none.
 */
export function classify(name: string, rules: readonly WatchRule[]): Classification {
  for (const [i, rule] of rules.entries()) {
    if (picomatch.isMatch(name, rule.match, { dot: false })) {
      return { ok: true, value: { type: rule.type, op: rule.op, dataSource: rule.datasource, force: rule.force, site: rule.site, by: `watch rule ${i + 1} (${rule.match})` } };
    }
  }
  const ruleHint = rules.length > 0 ? ', and no watch rule in the config matches it' : ' (and the config has no watch rules)';
  if (!INPUT_EXT.test(name)) {
    return { ok: false, reason: `The file name ${name} does not follow the convention TYPE.OP[.DATASOURCE].anything.csv (or .txt)${ruleHint}. Rename it, for example persons.store.2026-11-23.csv, or add a rule to "watch.rules" in the config, then drop it again.` };
  }
  const parts = name.replace(INPUT_EXT, '').split('.');
  const type = parts[0]?.toLowerCase() as EntityType;
  const op = parts[1]?.toLowerCase() as Op;
  if (parts.length < 2 || !ENTITY_TYPES.includes(type) || !OPS.includes(op)) {
    return {
      ok: false,
      reason: `The file name ${name} does not follow the convention TYPE.OP[.DATASOURCE].anything.csv (or .txt), where TYPE is one of ${ENTITY_TYPES.join(', ')} and OP is store or delete${ruleHint}. Rename it, for example persons.store.2026-11-23.csv, or add a rule to "watch.rules", then drop it again.`,
    };
  }
  if (isRefresh(op)) {
    return {
      ok: false,
      reason: `The file name ${name} asks for a ${op}, which disables every owned record missing from the file; a file name alone is not allowed to do that. To accept refresh files, add a rule such as {"match": "${type}.${op}.*", "op": "${op}"} to "watch.rules" in the config, then drop the file again.`,
    };
  }
  const dataSource = parts.length >= 4 ? parts[2] : undefined;
  return { ok: true, value: { type, op, dataSource: dataSource || undefined, force: false, by: 'name convention' } };
}

/** A type's place in the dependency order; files of an unknown type run after every typed one. */
export function typeRank(type: EntityType | undefined): number {
  return type ? ENTITY_TYPES.indexOf(type) : ENTITY_TYPES.length;
}

/** The type a file name announces (`persons.…`), if any: used to order glob jobs without a type. */
export function typeFromName(name: string): EntityType | undefined {
  const first = name.split('.')[0]?.toLowerCase() as EntityType;
  return ENTITY_TYPES.includes(first) ? first : undefined;
}

/** Dependency order first, then oldest first, then by name so the order is stable. */
export function byDependencyThenAge<T extends { type?: EntityType; mtimeMs: number; name: string }>(a: T, b: T): number {
  return typeRank(a.type) - typeRank(b.type) || a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
