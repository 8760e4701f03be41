/**
 * One feed part compared: its rows read, their ledger links, what Moodle holds now (live.ts), then the pure
 * findings (persons.ts, memberships.ts, records.ts), and what a repair would send again.
 */
import type { EntityLookup } from '../entities/index.js';
import { entity } from '../entities/index.js';
import type { EntityRecord, EntityType, FeedItem, RecordOf } from '../feed/index.js';
import type { PersonRecord } from '../entities/persons/record.js';
import { resolvePersons } from '../entities/persons/lookup.js';
import { DEFAULT_ENROLMENT_SETTINGS, parseEnrolmentState, resolveRole } from '../entities/enrolments/rules.js';
import type { LedgerLink } from '../ledger/types.js';
import type { MoodleUser } from '../moodle/types.js';
import { cohortMembers, courseMembers, groupMembers, liveCourses, liveUsers } from './live.js';
import type { PartContext } from './context.js';
import { diffExtras, diffMembers, type ExtraMember, type LiveMember, type MembershipType, type PlacedMember } from './memberships.js';
import { diffLinkedPerson, type PersonDiffOptions } from './persons.js';
import { diffRecords, isRecordType, type RecordType } from './records.js';
import type { DiffRow, RepairKeys } from './types.js';

export type { PartContext } from './context.js';

export interface PartDiff {
  rows: DiffRow[];
  repair: RepairKeys;
  /** Data rows read (records and unreadable rows). */
  read: number;
}

/** The types diff compares. */
export const DIFF_TYPES: readonly EntityType[] = ['persons', 'categories', 'courses', 'cohorts', 'groups', 'enrolments', 'group-members', 'cohort-members'];

export function isDiffType(t: EntityType): boolean {
  return DIFF_TYPES.includes(t);
}

const MEMBERSHIP_TYPES: readonly EntityType[] = ['enrolments', 'group-members', 'cohort-members'];
function isMembershipType(t: EntityType): t is MembershipType {
  return MEMBERSHIP_TYPES.includes(t);
}

/** Rows whose record was read, and a row per unreadable one. */
function split<R extends EntityRecord>(type: EntityType, items: readonly FeedItem<R>[]): { records: { line: number; r: R }[]; rows: DiffRow[] } {
  const records: { line: number; r: R }[] = [];
  const rows: DiffRow[] = [];
  for (const i of items) {
    if (i.error === undefined) records.push({ line: i.line, r: i.record });
    else rows.push({ line: i.line, type, key: i.error.key ?? '', finding: 'unreadable', message: `${i.error.code}: ${i.error.message}` });
  }
  return { records, rows };
}

function emptyRepair(): RepairKeys {
  return { resend: new Set(), recreate: new Set() };
}

/** Fills the repair keys from the findings: drifted rows are sent again, records gone from Moodle created anew. */
function repairOf(rows: readonly DiffRow[]): RepairKeys {
  const repair = emptyRepair();
  for (const r of rows) {
    if (r.line === null) continue;
    // A group cannot be updated through this service: nothing to re-send.
    if (r.finding === 'changed-in-moodle' || r.finding === 'missing-in-moodle') repair.resend.add(r.key);
    // Only a record's own deletion can be undone by creating it again; a membership whose course or person is gone cannot.
    if (r.finding === 'deleted-in-moodle' && r.field === undefined) repair.recreate.add(r.key);
  }
  for (const k of repair.recreate) repair.resend.delete(k);
  return repair;
}

export async function diffPart(type: EntityType, items: readonly FeedItem<EntityRecord>[], ctx: PartContext): Promise<PartDiff> {
  let rows: DiffRow[];
  if (type === 'persons') rows = await diffPersons(items as FeedItem<PersonRecord>[], ctx);
  else if (isMembershipType(type)) rows = await diffMemberships(type, items as FeedItem<RecordOf<MembershipType>>[], ctx);
  else if (isRecordType(type)) rows = await diffRecordPart(type, items as FeedItem<RecordOf<RecordType>>[], ctx);
  else throw new Error(`diff does not compare ${type}`);
  return { rows, repair: repairOf(rows), read: items.length };
}

// ── persons ───────────────────────────────────────────────────────────────────────────────────────────────────

async function diffPersons(items: readonly FeedItem<PersonRecord>[], ctx: PartContext): Promise<DiffRow[]> {
  const { records, rows } = split('persons', items);
  const links = await ctx.ledger.getLinks('persons', records.map((x) => x.r.key));
  // The file's MOODLE_ID names the account as much as the ledger does: either pointing at a deleted user is drift.
  const targetOf = (r: PersonRecord): number | undefined => r.moodleId ?? links.get(r.key)?.moodleId;
  const live = await liveUsers(ctx.reads, records.flatMap(({ r }) => [targetOf(r), links.get(r.key)?.moodleId].filter((id): id is number => id !== undefined)));
  const unlinked = records.filter(({ r }) => targetOf(r) === undefined).map((x) => x.r);
  const matches = unlinked.length > 0 ? await resolvePersons(ctx.reads.client, unlinked, { retries: ctx.reads.retries, backoffMs: ctx.reads.backoffMs, chunkSize: ctx.reads.chunkSize, byUsername: true }) : new Map();
  for (const { line, r } of records) rows.push(...(await withoutBlocks(personRow(r, line, links.get(r.key), live, matches.get(r.key), ctx.persons), ctx)));
  return rows.sort(byLine);
}

/**
 * An account `mdlsync user block` suspended is suspended by mdlsync, not by hand: its enrolment links carry the
 * block's mark (account-lifecycle.ts). Its `suspended` is no drift, and a repair must not reactivate it.
 */
async function withoutBlocks(rows: DiffRow[], ctx: PartContext): Promise<DiffRow[]> {
  const blocked = async (key: string): Promise<boolean> => (await ctx.ledger.linksWithKeySuffix('enrolments', `|${key}`)).some((l) => l.data?.includes('"blocked"') === true);
  const out: DiffRow[] = [];
  for (const r of rows) if (!(r.field === 'suspended' && r.moodleValue === '1' && r.finding === 'changed-in-moodle' && (await blocked(r.key)))) out.push(r);
  if (out.length === rows.length) return rows;
  return out.length > 0 ? out : [{ ...rows[0], finding: 'in-step', field: undefined, fileValue: undefined, moodleValue: undefined, message: 'blocked with mdlsync user block (mdlsync user unblock reactivates it); otherwise as the file says' }];
}

function personRow(r: PersonRecord, line: number, link: LedgerLink | undefined, live: ReadonlyMap<number, MoodleUser>, match: { match?: { id: number }; ambiguous?: string } | undefined, opts: PersonDiffOptions): DiffRow[] {
  const base = { line, type: 'persons' as const, key: r.key };
  const target = r.moodleId ?? link?.moodleId;
  if (target === undefined) {
    if (match?.match) return [{ ...base, finding: 'unlinked', moodleId: match.match.id, message: `Moodle user ${match.match.id} has this idnumber or username and is not in the ledger: the next run adopts it` }];
    if (match?.ambiguous) return [{ ...base, finding: 'unlinked', message: `${match.ambiguous}: the next run fails this row (ambiguous-match)` }];
    return [{ ...base, finding: 'missing', message: 'not in Moodle and not in the ledger: the next run creates it' }];
  }
  const u = live.get(target);
  const linked = link && link.moodleId !== target ? live.get(link.moodleId) : undefined;
  if (!u && linked) {
    // The SIS kept the id of an account deleted since; mdlsync has linked the key to a live one (re-created or relinked).
    return [{ ...base, finding: 'deleted-in-moodle', field: 'MOODLE_ID', fileValue: String(target), moodleValue: String(linked.id), moodleId: linked.id, message: `the file's MOODLE_ID names Moodle user ${target}, which no longer exists; mdlsync links this key to Moodle user ${linked.id} now: store that id in the SIS (mdlsync export ids)` }];
  }
  if (!u) {
    const by = r.moodleId !== undefined && r.moodleId !== link?.moodleId ? `the file's MOODLE_ID names Moodle user ${target}` : `the ledger links this key to Moodle user ${target}`;
    return [{ ...base, finding: 'deleted-in-moodle', moodleId: target, message: `${by}, which no longer exists (deleted in Moodle): clear the SIS's Moodle id, or set diff.recreateDeleted and run mdlsync diff --repair` }];
  }
  if (!link) return [{ ...base, finding: 'unlinked', moodleId: target, message: `the file's MOODLE_ID names Moodle user ${target}, which is not in the ledger: the next run adopts it` }];
  if (r.moodleId !== undefined && r.moodleId !== link.moodleId) {
    return [{ ...base, finding: 'changed-in-file', field: 'MOODLE_ID', fileValue: String(r.moodleId), moodleValue: String(link.moodleId), moodleId: target, message: "the file's MOODLE_ID differs from the Moodle user the ledger links: a run fails this row (moodle-id-conflict)" }];
  }
  return diffLinkedPerson(r, line, link, u, opts);
}

function byLine(a: DiffRow, b: DiffRow): number {
  return (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
}

// ── memberships ───────────────────────────────────────────────────────────────────────────────────────────────

interface MemberCtx {
  courseId?: number;
  groupId?: number;
  cohortId?: number;
  userId?: number;
  courseProblem?: string;
  groupProblem?: string;
  cohortProblem?: string;
  personProblem?: string;
}

type MemberRecord = RecordOf<MembershipType>;

function containerKeyOf(type: MembershipType, r: MemberRecord): string {
  const f = r.fields as { course?: string; group?: string; cohort?: string };
  if (type === 'enrolments') return f.course!;
  if (type === 'cohort-members') return f.cohort!;
  return `${f.course}|${f.group}`;
}

function containerOf(type: MembershipType, c: MemberCtx): { id?: number; problem?: string } {
  if (type === 'enrolments') return { id: c.courseId, problem: c.courseProblem };
  if (type === 'cohort-members') return { id: c.cohortId, problem: c.cohortProblem };
  return { id: c.groupId, problem: c.groupProblem };
}

async function diffMemberships(type: MembershipType, items: readonly FeedItem<MemberRecord>[], ctx: PartContext): Promise<DiffRow[]> {
  const { records, rows } = split(type, items);
  const lookup = entity(type).lookup(ctx.reads.client, ctx.ledger, { retries: ctx.reads.retries, backoffMs: ctx.reads.backoffMs, chunkSize: ctx.reads.chunkSize }, ctx.settings) as EntityLookup<MemberRecord>;
  const placed = new Map<string, MemberCtx>();
  const chunk = Math.max(1, ctx.reads.chunkSize);
  for (let i = 0; i < records.length; i += chunk) {
    const part = records.slice(i, i + chunk).map((x) => x.r);
    for (const [k, v] of await lookup(part, part)) placed.set(k, v as MemberCtx);
  }
  const links = await ctx.ledger.getLinks(type, records.map((x) => x.r.key));
  const enrolSettings = ctx.settings.enrolments ?? DEFAULT_ENROLMENT_SETTINGS;
  const now = Math.floor(Date.now() / 1000);
  const members: PlacedMember[] = records.map(({ line, r }) => {
    const c = placed.get(r.key) ?? {};
    const container = containerOf(type, c);
    const link = links.get(r.key);
    const m: PlacedMember = {
      line,
      key: r.key,
      containerKey: containerKeyOf(type, r),
      containerId: container.id,
      containerProblem: container.problem,
      userId: c.userId,
      personProblem: c.personProblem,
      link,
      removal: r.command === 'delete' || r.rowStatus === 'disabled' || r.rowStatus === 'deleted',
    };
    if (type === 'enrolments') {
      const role = resolveRole((r as RecordOf<'enrolments'>).fields.role, enrolSettings);
      if ('shortname' in role) m.role = role.shortname;
      const given = parseEnrolmentState(link?.state);
      m.linkRole = given?.role;
      m.linkSuspend = given?.suspend;
      // Moodle's onlysuspended also lists enrolments outside their dates (get_enrolled_join, lib/enrollib.php): the
      // suspension is compared only inside the row's window, where it is the enrolment's own status.
      const { start, end } = (r as RecordOf<'enrolments'>).fields;
      const inWindow = (start ?? 0) < now && (!end || end > now);
      m.suspend = inWindow ? r.available === false : undefined;
    }
    return m;
  });
  const containerIds = members.flatMap((m) => (m.containerId === undefined ? [] : [m.containerId]));
  const live =
    type === 'enrolments' ? await courseMembers(ctx.reads, await existingCourses(ctx, containerIds)) : type === 'cohort-members' ? await cohortMembers(ctx.reads, containerIds) : await groupMembers(ctx.reads, containerIds);
  // A user Moodle lists as a member exists; only the others are asked for (a deleted account is no member anywhere).
  const listed = new Set<number>();
  const unlisted: number[] = [];
  for (const m of members) {
    if (m.userId === undefined) continue;
    if (m.containerId !== undefined && live.get(m.containerId)?.has(m.userId)) listed.add(m.userId);
    else unlisted.push(m.userId);
  }
  for (const id of (await liveUsers(ctx.reads, unlisted.filter((u) => !listed.has(u)))).keys()) listed.add(id);
  rows.push(...diffMembers(type, members, { members: live, users: listed }));
  rows.push(...diffExtras(type, await extrasOf(type, members, live, ctx)));
  return rows.sort(byLine);
}

async function existingCourses(ctx: PartContext, ids: number[]): Promise<number[]> {
  return [...(await liveCourses(ctx.reads, ids)).keys()];
}

/**
 * Members Moodle has in the file's containers that no row of the file names, keyed as a row would be: the container
 * as the file names it, the person by the ledger's key for that user, else the user's idnumber, else username.
 */
async function extrasOf(type: MembershipType, members: readonly PlacedMember[], live: ReadonlyMap<number, ReadonlyMap<number, LiveMember>>, ctx: PartContext): Promise<ExtraMember[]> {
  const inFile = new Map<number, { containerKey: string; users: Set<number> }>();
  for (const m of members) {
    if (m.containerId === undefined || !live.has(m.containerId)) continue;
    let c = inFile.get(m.containerId);
    if (!c) inFile.set(m.containerId, (c = { containerKey: m.containerKey, users: new Set() }));
    if (m.userId !== undefined) c.users.add(m.userId);
  }
  const extra: { containerKey: string; userId: number; member: LiveMember }[] = [];
  for (const [id, c] of inFile) for (const [userId, member] of live.get(id)!) if (!c.users.has(userId)) extra.push({ containerKey: c.containerKey, userId, member });
  if (extra.length === 0) return [];
  // Group and cohort members come as bare ids: their idnumbers and usernames are read for the keys.
  const personOf = new Map<number, string | undefined>();
  for (const x of extra) if (!personOf.has(x.userId)) personOf.set(x.userId, (await ctx.ledger.findByMoodleId('persons', x.userId))?.key);
  const bare = extra.filter((x) => x.member.idnumber === undefined && x.member.username === undefined && personOf.get(x.userId) === undefined);
  const users = bare.length > 0 ? await liveUsers(ctx.reads, bare.map((x) => x.userId)) : new Map<number, MoodleUser>();
  const keyed = extra.map((x) => {
    const u = users.get(x.userId);
    const person = personOf.get(x.userId) ?? (x.member.idnumber || u?.idnumber || x.member.username || u?.username || `user ${x.userId}`);
    return { key: `${x.containerKey}|${person}`, userId: x.userId };
  });
  const links = await ctx.ledger.getLinks(type, keyed.map((k) => k.key));
  return keyed.map((k) => ({ ...k, link: links.get(k.key) }));
}

// ── records: categories, courses, cohorts, groups ─────────────────────────────────────────────────────────────

async function diffRecordPart(type: RecordType, items: readonly FeedItem<RecordOf<RecordType>>[], ctx: PartContext): Promise<DiffRow[]> {
  const { records, rows } = split(type, items);
  rows.push(...(await diffRecords(type, records, ctx)));
  return rows.sort(byLine);
}
