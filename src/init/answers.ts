/**
 * `mdlsync init`'s answers, each checked the way the config loader will check it (the schema's own field, and the
 * http(s) rule requireMoodle applies), so a file init writes always loads. Pure, apart from looking at the token file.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSchema } from '../config/index.js';
import { ENTITY_TYPES, isEntityType, type EntityType } from '../entities/index.js';

export interface InitAnswers {
  url: string;
  /** Where the token is kept; init never asks for the token itself. */
  tokenFile: string;
  dataSource: string;
  types: EntityType[];
}

/** A checked answer, or the sentence that says what is wrong with it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const moodleFields = configSchema.shape.moodle.unwrap().shape;
const dataSourceField = configSchema.shape.dataSource.unwrap().unwrap();

export const DEFAULT_DATA_SOURCE = 'SIS';
export const DEFAULT_TYPES: readonly EntityType[] = ['persons'];

export function checkUrl(input: string): Checked<string> {
  const url = input.trim();
  if (!moodleFields.url.safeParse(url).success || !/^https?:\/\//i.test(url)) {
    return { ok: false, error: `"${url}" is not a web address: give the site's https:// (or http://) address, e.g. https://moodle.example.edu` };
  }
  return { ok: true, value: url };
}

export function checkTokenFile(input: string): Checked<string> {
  const path = input.trim();
  if (!moodleFields.tokenFile.safeParse(path).success || path === '') {
    return { ok: false, error: 'give the path of a file that holds the web-service token (the token itself never goes in the config)' };
  }
  return { ok: true, value: path };
}

export function checkDataSource(input: string): Checked<string> {
  const key = input.trim();
  if (!dataSourceField.safeParse(key).success) return { ok: false, error: 'give a data source key, e.g. SIS or SIS.2026' };
  return { ok: true, value: key };
}

export function checkTypes(input: string): Checked<EntityType[]> {
  const named = input.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = named.filter((t) => !isEntityType(t));
  if (unknown.length) return { ok: false, error: `unknown feed type ${unknown.join(', ')} (known: ${ENTITY_TYPES.join(', ')})` };
  if (!named.length) return { ok: false, error: `name at least one feed type (${ENTITY_TYPES.join(', ')})` };
  // In the order of ENTITY_TYPES, once each, so the commands init prints read the same whatever order was typed.
  return { ok: true, value: ENTITY_TYPES.filter((t) => named.includes(t)) };
}

/**
 * What is wrong with the token file, if anything: it is read when mdlsync runs, relative to the config file's folder.
 * A warning, never a refusal: the file may be made after init.
 */
export function tokenFileWarning(tokenFile: string, configDir: string, platform: NodeJS.Platform = process.platform): string | null {
  const path = resolve(configDir, tokenFile);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return `${path} does not exist yet: put the token in it (one line) and make it private: chmod 600 ${path}`;
  }
  if (!stat.isFile()) return `${path} is not a file: give the file that holds the token`;
  // Windows has no such modes; its ACLs are not read here.
  if (platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    return `${path} is not private (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 ${path}`;
  }
  return null;
}
