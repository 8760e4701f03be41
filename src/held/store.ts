/**
 * Held plans: a refresh the guard refused keeps its plan (every row's action and reason, the guard's numbers, the
 * ledger links it was computed on) and a copy of its input in the state folder, `STATE/held/RUNID.json` and
 * `STATE/held/RUNID.input`, both 0600 (a person's action holds its record, a password included). Files rather than
 * ledger tables: both ledger backends keep their schema, and a plan is only ever approved on the host that holds it.
 */
import { chmod, copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Config } from '../config/index.js';
import type { EntityType } from '../entities/index.js';
import type { FeedEncoding } from '../feed/index.js';
import type { LedgerLink, LedgerStore } from '../ledger/types.js';
import type { Action, ActionCounts, GuardVerdict, Op, Plan, PlanOptions } from '../plan/types.js';

/** What the ledger held for a key when the plan was made (null: no link). */
export interface LinkPrint {
  moodleId: number;
  status: string;
  hash: string | null;
  state: string | null;
}

/** The run's request, as a re-plan needs it. */
export interface HeldRequest {
  op: Op;
  type: EntityType;
  dataSource: string | null;
  full: boolean;
  force: boolean;
  delimiter?: string;
  encoding?: FeedEncoding;
  dialect?: string;
}

export interface HeldPlan {
  version: 1;
  runId: string;
  heldAt: string;
  /** The file as it was given; `input` is the copy kept beside the plan. */
  file: string;
  input: string;
  sha256: string;
  request: HeldRequest;
  guard: GuardVerdict;
  counts: ActionCounts;
  rows: number;
  /** The plan's options without the ledger's password key (read again from the ledger when needed). */
  options: Omit<PlanOptions, 'passwordKey'>;
  actions: Action[];
  /** Per key the plan touches (its entity's): the link as it was, null when there was none. */
  ledger: Record<string, LinkPrint | null>;
}

/** One line of `mdlsync held`. */
export type HeldListing = Pick<HeldPlan, 'runId' | 'heldAt' | 'file' | 'request' | 'counts'> & { guard: string };

const RUN_ID = /^[0-9A-Za-z][0-9A-Za-z-]*$/;

export function heldDir(config: Pick<Config, 'stateDir'>): string {
  return join(config.stateDir, 'held');
}

/** The command that approves a held run (with the site when the config has several). */
export function approveCommand(config: Pick<Config, 'site'>, runId: string, verb = 'approve'): string {
  return `mdlsync ${verb} ${runId}${config.site ? ` --site ${config.site}` : ''}`;
}

/** The links of the keys a plan touches, as they are now. */
export async function ledgerPrint(ledger: LedgerStore, entity: EntityType, keys: readonly string[]): Promise<Record<string, LinkPrint | null>> {
  const unique = [...new Set(keys)];
  const out: Record<string, LinkPrint | null> = {};
  for (let i = 0; i < unique.length; i += 1000) {
    const chunk = unique.slice(i, i + 1000);
    const links = await ledger.getLinks(entity, chunk);
    for (const key of chunk) out[key] = printOf(links.get(key));
  }
  return out;
}

function printOf(link: LedgerLink | undefined): LinkPrint | null {
  return link ? { moodleId: link.moodleId, status: link.status, hash: link.hash, state: link.state ?? null } : null;
}

/** Keeps a refused plan and a copy of its input; returns what was kept. */
export async function holdPlan(
  config: Pick<Config, 'stateDir'>,
  args: { runId: string; file: string; sha256: string; request: HeldRequest; plan: Plan; ledger: LedgerStore; copyFrom?: string },
): Promise<HeldPlan> {
  const { plan } = args;
  const dir = heldDir(config);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const input = join(dir, `${args.runId}.input`);
  // A re-plan's input is the copy the held plan kept: the file as given may have changed or gone since.
  await copyFile(args.copyFrom ?? args.file, input);
  await chmod(input, 0o600);
  const options = { ...plan.options };
  delete options.passwordKey;
  const held: HeldPlan = {
    version: 1,
    runId: args.runId,
    heldAt: new Date().toISOString(),
    file: args.file,
    input,
    sha256: args.sha256,
    request: args.request,
    guard: plan.guard as GuardVerdict,
    counts: plan.counts,
    rows: plan.rows,
    options,
    actions: plan.actions,
    ledger: await ledgerPrint(args.ledger, args.request.type, plan.actions.map((a) => a.key)),
  };
  await writeFile(join(dir, `${args.runId}.json`), encode(held), { mode: 0o600 });
  // The run's record in the ledger says `held` (`ledger show --runs`); approve, discard or a newer plan close it.
  await args.ledger.startRun({ id: held.runId, file: held.file, sha256: held.sha256, type: held.request.type, op: held.request.op, dataSource: held.request.dataSource, startedAt: held.heldAt });
  await args.ledger.finishRun(held.runId, 'held', { planned: held.counts, guard: held.guard.message });
  return held;
}

/** The held plan of a run; undefined when there is none (never held, approved or discarded). */
export async function loadHeld(config: Pick<Config, 'stateDir'>, runId: string): Promise<HeldPlan | undefined> {
  if (!RUN_ID.test(runId)) return undefined;
  try {
    return decode(await readFile(join(heldDir(config), `${runId}.json`), 'utf8')) as HeldPlan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Every held plan, oldest first (run ids sort by time). */
export async function listHeld(config: Pick<Config, 'stateDir'>): Promise<HeldListing[]> {
  let names: string[];
  try {
    names = await readdir(heldDir(config));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: HeldListing[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const h = await loadHeld(config, basename(name, '.json'));
    if (h) out.push({ runId: h.runId, heldAt: h.heldAt, file: h.file, request: h.request, counts: h.counts, guard: h.guard.message });
  }
  return out;
}

/** Removes a held plan and its input copy; false when there was none. */
export async function dropHeld(config: Pick<Config, 'stateDir'>, runId: string): Promise<boolean> {
  if (!RUN_ID.test(runId)) return false;
  const dir = heldDir(config);
  const json = join(dir, `${runId}.json`);
  try {
    await rm(json);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await rm(join(dir, `${runId}.input`), { force: true });
  return true;
}

/** JSON that keeps what records hold besides strings and numbers (dates, bytes) as they were. */
export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw).toString('base64') };
    return v;
  });
}

export function decode(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$date === 'string') return new Date(o.$date);
      if (keys.length === 1 && typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
    }
    return v;
  });
}

/** The part of a run's request a re-plan needs. */
export function heldRequest(
  req: { op: Op; full?: boolean; force?: boolean; delimiter?: string; encoding?: FeedEncoding; dialect?: string },
  type: EntityType,
  dataSource: string | null,
): HeldRequest {
  return { op: req.op, type, dataSource, full: req.full ?? false, force: req.force ?? false, delimiter: req.delimiter, encoding: req.encoding, dialect: req.dialect };
}

/** A refused run's plan held: the commands that approve or discard it, for the summary and the closing sentence. */
export async function holdRefused(
  config: Pick<Config, 'stateDir' | 'site'>,
  args: Parameters<typeof holdPlan>[1],
): Promise<{ runId: string; input: string; approve: string; discard: string; replaced: string[] }> {
  const held = await holdPlan(config, args);
  const replaced = await dropSuperseded(config, held, args.ledger);
  return { runId: args.runId, input: held.input, replaced, approve: approveCommand(config, args.runId), discard: approveCommand(config, args.runId, 'discard') };
}

/**
 * Older held plans of the same file (same name, content and request) are replaced by the newest: a scheduled job that
 * meets the same refused file every tick keeps one plan, planned on the latest ledger, not one per tick.
 */
async function dropSuperseded(config: Pick<Config, 'stateDir'>, newest: HeldPlan, ledger: LedgerStore): Promise<string[]> {
  const same = (h: HeldListing): boolean => h.runId !== newest.runId && h.file === newest.file && JSON.stringify(h.request) === JSON.stringify(newest.request);
  const dropped: string[] = [];
  for (const h of (await listHeld(config)).filter(same)) {
    const full = await loadHeld(config, h.runId);
    if (full?.sha256 === newest.sha256 && (await dropHeld(config, h.runId))) {
      dropped.push(h.runId);
      await closeHeldRun(ledger, h.runId, 'superseded', { by: newest.runId });
    }
  }
  return dropped;
}

/** A held run's record closed as approved, superseded or discarded (a record the ledger lacks is left alone). */
export async function closeHeldRun(ledger: LedgerStore, runId: string, status: 'approved' | 'superseded' | 'discarded', summary: Record<string, unknown>): Promise<void> {
  const run = await ledger.getRun(runId);
  if (run?.status === 'held') await ledger.finishRun(runId, status, summary);
}
