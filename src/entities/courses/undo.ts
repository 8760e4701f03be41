/**
 * How `mdlsync undo` reverses courses (src/undo/): a disable hides a course (visible=0), so a course the run hid is
 * shown again, one it showed again is hidden, and one it created is hidden with --including-creates (never deleted).
 * The ledger keeps a course's availability (links.fields `visible`), not its other values: an update is left.
 */
import type { BeforeImage } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { readInChunks } from '../../resolve/common.js';
import { coursesByIds } from '../../resolve/names.js';
import type { EntityUndo, LookupReads, UndoContext, UndoLeft } from '../definition.js';
import type { CourseAction } from './rules.js';

/** Whether the row said the course is available (AVAILABLE_IND / visible), when it said it. */
function courseFields(a: CourseAction): Record<string, string> | undefined {
  const available = a.record?.available;
  return available === undefined ? undefined : { visible: available ? '1' : '0' };
}

function hiddenBefore(fields: string | null): boolean {
  try {
    return fields !== null && (JSON.parse(fields) as { visible?: string }).visible === '0';
  } catch {
    return false;
  }
}

function reverse(image: BeforeImage, ctx: UndoContext): CourseAction | UndoLeft {
  const { before, after } = image;
  const base = { entity: 'courses' as const, key: image.key, line: null, moodleId: after.moodleId };
  if (before === null) {
    if (after.action === 'adopt') return { left: 'adopted by the run: a course mdlsync did not know before, left as it is' };
    if (!ctx.includingCreates) return { left: 'created by the run: left (--including-creates hides it)' };
    if (after.status === 'disabled') return { left: 'created hidden by the run: already hidden' };
    return { ...base, kind: 'disable', dataSource: after.dataSource, hash: after.hash ?? undefined, status: 'disabled', reason: 'undo: created by the run, hidden (never deleted)' };
  }
  if (before.status === 'active' && after.status === 'disabled') {
    if (hiddenBefore(before.fields)) return { left: 'hidden by the run, but it was hidden before it too (AVAILABLE_IND=N): nothing to show' };
    return { ...base, kind: 'enable', dataSource: before.dataSource, hash: before.hash ?? undefined, status: 'active', reason: 'undo: hidden by the run, shown again' };
  }
  if (before.status === 'disabled' && after.status === 'active') {
    return { ...base, kind: 'disable', dataSource: before.dataSource, hash: before.hash ?? undefined, status: 'disabled', reason: 'undo: shown again by the run, hidden again' };
  }
  if (before.hash !== after.hash) return { left: "updated by the run: the ledger keeps no values of a course's fields to put back; send the old row again" };
  return { left: 'the run changed nothing mdlsync can put back' };
}

/** Moodle must still show what the run left: the course exists, hidden when the run hid it, shown when it showed or made it. */
async function changedInMoodle(client: MoodleCaller, planned: readonly { action: CourseAction; image: BeforeImage }[], reads: LookupReads): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (planned.length === 0) return out;
  const ids = [...new Set(planned.map((p) => p.action.moodleId as number))];
  const found = new Map<number, { visible?: number }>((await readInChunks(ids, reads, (chunk) => coursesByIds(client, chunk))).map((c) => [c.id, c]));
  for (const { action: a } of planned) {
    const c = found.get(a.moodleId as number);
    if (!c) out.set(a.key, `Moodle course ${a.moodleId} no longer exists`);
    else if (a.kind === 'enable' && c.visible !== 0) out.set(a.key, 'changed since the run: the course is shown again (by hand or by another tool)');
    else if (a.kind === 'disable' && c.visible === 0) out.set(a.key, 'changed since the run: the course is hidden already');
  }
  return out;
}

export const COURSE_UNDO: EntityUndo<'courses'> = { fields: courseFields, reverse, changedInMoodle };
