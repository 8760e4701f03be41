/**
 * The persons applier: core_user_* calls for the persons plan. Updates (adopt, update, enable, disable) go first,
 * then accounts deleted in Moodle by hand are relinked, then deletes, then creates (a create whose username Moodle
 * already has is adopted). Batching, retries and bisection come from the shared BatchEngine.
 */
import type { PersonRecord } from './record.js';
import type { OutcomeCode } from '../../errors.js';
import type { LinkWrite } from '../../ledger/types.js';
import { createUsers, deleteUsers, getUsersByField, updateUsers } from '../../moodle/index.js';
import type { CreateUserInput, MoodleUser, MoodleWarning, UpdateUserInput, UserLookupField } from '../../moodle/types.js';
import type { ActionOf } from '../../plan/types.js';
import { courseKeyOf } from '../enrolments/rules.js';
import { accountUpdate, enrolmentStep, type EnrolmentStep } from './account-lifecycle.js';
import { codeOf, type BatchEngine, type BatchSpec, type EntityApplier, type Row } from '../../apply/engine.js';
import { LocalRowError, pack } from '../../apply/pack.js';
import { prepareRows } from '../../apply/prepare.js';
import { buildCreate, buildUpdate, userLeaves } from './user-inputs.js';
import { lookupChunk } from '../../resolve/common.js';
import { keyedByUsername, lookupAll, resolveWith } from './lookup.js';
import { fitToSite } from './site-limits.js';
import type { Outcome, OutcomeKind } from '../../apply/types.js';

type PersonRow = Row<'persons'>;

/** A record in an update_users call, with what to do once Moodle has answered for it. */
interface UpdateItem {
  row: PersonRow;
  input: UpdateUserInput;
  /** Moodle accepted the record: set the outcome, return the link to write (or null). */
  ok(): LinkWrite | null;
  failed(code: OutcomeCode, message: string): void;
  /** invaliduserid / usernotupdateddeleted: the id is gone from Moodle. */
  stale?(warning: MoodleWarning): void;
}

interface CreateItem {
  row: PersonRow;
  input: CreateUserInput;
  /** Outcome on success: 'relinked' when this re-creates a user deleted in Moodle by hand. */
  kind: OutcomeKind;
  message?: string;
  /** Its username was already looked up after a failed create (so bisection does not look again). */
  usernameChecked?: boolean;
}

interface DeleteItem {
  row: PersonRow;
  id: number;
}

const STALE_WARNINGS = new Set(['invaliduserid', 'usernotupdateddeleted']);

export const personsApplier: EntityApplier<'persons'> = {
  redact: hidePassword,
  prepare(engine, rows) {
    const run = new PersonsRun(engine);
    return prepareRows(
      engine,
      rows,
      { updates: [] as UpdateItem[], deletes: [] as DeleteItem[], creates: [] as CreateItem[] },
      (row) => {
        const a = row.action;
        if (a.record?.lifecycle !== undefined) {
          const item = run.lifecycleItem(row, engine.targetId(a));
          return item ? { to: 'updates', item } : undefined;
        }
        if (a.kind === 'create') return { to: 'creates', item: run.createItem(row, 'ok') };
        if (a.kind === 'delete') return { to: 'deletes', item: { row, id: engine.targetId(a) } };
        return { to: 'updates', item: run.updateItem(row, engine.targetId(a), 'ok') };
      },
      // Updates and deletes first: a rename, email change or deletion can free what a new account needs.
      async ({ updates, deletes, creates }) => {
        run.creates.push(...creates);
        updates.push(...(await run.usernameEmails()));
        await run.runUpdates(updates);
        await run.relinkStale();
        await run.runDeletes(deletes);
        await run.runCreates(run.creates.splice(0));
        await run.runEnrolmentSteps();
      },
    );
  },
};

class PersonsRun {
  private readonly stale: { row: PersonRow; id: number; warning: MoodleWarning }[] = [];
  readonly creates: CreateItem[] = [];

  constructor(private readonly e: BatchEngine) {}

  /** A read-only lookup with retries, through the limiter. */
  private readonly lookup = (field: UserLookupField, values: string[]): Promise<MoodleUser[]> =>
    this.e.read('core_user_get_users_by_field', values.length, () => getUsersByField(this.e.deps.client, field, values));

  // ── lifecycle rows (ACTION=block, unblock, password) ──────────────────────────────────────────────────────

  /** Block and unblock rows whose account update Moodle confirmed: their enrolments come after every update. */
  private readonly steps: { row: PersonRow; id: number }[] = [];
  /** Password rows that set username = email and carry no email: Moodle's current email is read first. */
  private readonly needEmail: { row: PersonRow; id: number }[] = [];

  private usernameFromEmail(r: PersonRecord): boolean {
    return r.lifecycle === 'password' && (r.usernameFromEmail ?? this.e.options.usernameFromEmail ?? false);
  }

  /** The account update of a lifecycle row; null when it waits for the account's email. */
  lifecycleItem(row: PersonRow, id: number): UpdateItem | null {
    const r = row.action.record!;
    if (this.usernameFromEmail(r) && !r.fields.email) {
      this.needEmail.push({ row, id });
      return null;
    }
    return this.accountItem(row, id, this.usernameFromEmail(r) ? r.fields.email : undefined);
  }

  private accountItem(row: PersonRow, id: number, usernameEmail?: string): UpdateItem {
    const r = row.action.record!;
    return {
      row,
      input: accountUpdate(r, id, usernameEmail),
      ok: () => {
        if (r.lifecycle === 'password') {
          this.e.settle(row, 'ok', { moodleId: id, message: `password set${usernameEmail !== undefined ? `, username = email = ${usernameEmail}` : ''}` });
        } else this.steps.push({ row, id });
        // The person's link is left as it is: a lifecycle step is not the row's content.
        return null;
      },
      failed: (code, msg) => this.e.fail(row, code, msg, id),
      // No `stale`: a lifecycle row never re-creates or re-adopts an account; the row fails with Moodle's warning.
    };
  }

  /** Reads the current email of the accounts whose password rows set username = email without giving one. */
  async usernameEmails(): Promise<UpdateItem[]> {
    const want = this.needEmail.splice(0);
    if (want.length === 0) return [];
    let users: MoodleUser[];
    try {
      users = await lookupAll(this.lookup, 'id', want.map((w) => String(w.id)), this.e.options.concurrency, lookupChunk(this.e.options.maxInputVars));
    } catch (err) {
      for (const { row, id } of want) this.e.fail(row, codeOf(err), `could not read the account's email: ${(err as Error).message}`, id);
      return [];
    }
    const byId = new Map(users.map((u) => [u.id, u]));
    const items: UpdateItem[] = [];
    for (const { row, id } of want) {
      const u = byId.get(id);
      const email = u?.email?.trim() ?? '';
      if (!u) this.e.fail(row, 'invaliduser', `Moodle user ${id} no longer exists`, id);
      else if (email === '') this.e.fail(row, 'no-email', `Moodle user ${id} has no email to use as username: add EMAIL to the row`, id);
      else items.push(this.accountItem(row, id, email));
    }
    return items;
  }

  /** The enrolment half of the confirmed block and unblock rows; each row's outcome says what became of its enrolments. */
  async runEnrolmentSteps(): Promise<void> {
    const steps = this.steps.splice(0);
    if (steps.length === 0) return;
    const stepOf = (row: PersonRow): EnrolmentStep => (row.action.record!.lifecycle === 'block' ? 'block' : 'unblock');
    let results: Map<string, Outcome[]>;
    try {
      results = await enrolmentStep(this.e.deps, steps.map(({ row }) => ({ key: row.action.key, step: stepOf(row) })), this.e.options.enrolments);
    } catch (err) {
      for (const { row, id } of steps) this.e.fail(row, codeOf(err), `account ${stepOf(row) === 'block' ? 'suspended' : 'reactivated'}, but its enrolments were not touched: ${(err as Error).message}`, id);
      return;
    }
    const suspendMode = this.e.options.enrolments?.disable === 'suspend';
    for (const { row, id } of steps) {
      const block = stepOf(row) === 'block';
      const outcomes = results.get(row.action.key) ?? [];
      const failed = outcomes.filter((o) => o.outcome === 'failed');
      const account = block ? 'account suspended' : 'account reactivated';
      const verb = block ? (suspendMode ? 'suspended' : 'removed') : 'restored';
      if (failed.length === 0) {
        this.e.settle(row, 'ok', { moodleId: id, message: `${account}, ${outcomes.length} enrolment(s) ${verb}` });
      } else {
        const which = failed.map((o) => `${courseKeyOf(o.key)} (${o.errorcode ?? 'failed'}: ${o.message ?? ''})`).join('; ');
        this.e.fail(row, failed[0].errorcode ?? 'failed', `${account}, but ${failed.length} of ${outcomes.length} enrolment(s) could not be ${verb}: ${which}; run the row again`, id);
      }
    }
  }

  // ── updates (adopt, update, enable, disable) ──────────────────────────────────────────────────────────────

  /** Throws LocalRowError for a value the site would refuse (too long); a lang it lacks is left out with a warning. */
  updateItem(row: PersonRow, id: number, kind: OutcomeKind, message?: string): UpdateItem {
    const input = buildUpdate(row.action, id);
    message = notes(message, fitToSite(input, this.e.options.languages, 'update'));
    return {
      row,
      input,
      ok: () => {
        this.e.settle(row, kind, { moodleId: id, ...(message ? { message } : {}) });
        return this.e.link(row, id);
      },
      failed: (code, msg) => this.e.fail(row, code, msg, id),
      stale: (warning) => this.stale.push({ row, id, warning }),
    };
  }

  private readonly updateSpec: BatchSpec<UpdateItem, MoodleWarning[]> = {
    wsfunction: 'core_user_update_users',
    send: (items) => updateUsers(this.e.deps.client, items.map((i) => i.input)),
    confirm: async (items, warnings) => {
      const byId = new Map<number, MoodleWarning>();
      for (const w of warnings) if (w.itemid !== undefined && !byId.has(w.itemid)) byId.set(w.itemid, w);
      const links: (LinkWrite | null)[] = [];
      for (const item of items) {
        const w = byId.get(item.input.id);
        if (!w) links.push(item.ok());
        else if (STALE_WARNINGS.has(w.warningcode) && item.stale) item.stale(w);
        else item.failed(w.warningcode, w.message);
      }
      await this.e.writeLinks(links);
    },
    failOne: (item, code, message) => item.failed(code, message),
  };

  async runUpdates(items: UpdateItem[]): Promise<void> {
    const { batches, tooBig } = pack(items, (i) => userLeaves(i.input), this.e.options);
    this.e.failTooBig(tooBig);
    await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.updateSpec));
  }

  /** Accounts deleted in Moodle by hand: drop the link, then re-adopt (idnumber/username) or re-create. */
  async relinkStale(): Promise<void> {
    const stale = this.stale.splice(0);
    if (stale.length === 0) return;
    const lookFor: { row: PersonRow; id: number }[] = [];
    for (const { row, id, warning } of stale) {
      const a = row.action;
      await this.e.deps.ledger.dropLink(a.entity, a.key);
      if (a.record?.moodleId !== undefined) {
        this.e.fail(row, warning.warningcode, `Moodle user ${id} no longer exists: clear the SIS's Moodle id to have the account re-created`);
      } else if (!a.record) {
        this.e.settle(row, 'ok', { message: `Moodle user ${id} no longer exists; link dropped` });
      } else lookFor.push({ row, id });
    }
    if (lookFor.length === 0) return;
    let matches: Awaited<ReturnType<typeof resolveWith>>;
    try {
      matches = await resolveWith(this.lookup, lookFor.map((s) => s.row.action.record!), { concurrency: this.e.options.concurrency, chunkSize: lookupChunk(this.e.options.maxInputVars) });
    } catch (err) {
      for (const { row, id } of lookFor) this.e.fail(row, codeOf(err), `Moodle user ${id} no longer exists and looking for the account again failed: ${(err as Error).message}`);
      return;
    }
    const readopt: UpdateItem[] = [];
    for (const { row, id } of lookFor) {
      const m = matches.get(row.action.key) ?? {};
      if (m.ambiguous) this.e.fail(row, 'ambiguous', `Moodle user ${id} no longer exists, and ${m.ambiguous}`);
      else if (m.match && m.match.id !== id) {
        const item = this.checkedUpdateItem(row, m.match.id, 'relinked', `Moodle user ${id} no longer existed; linked to user ${m.match.id} (found by ${m.match.via})`);
        if (item) {
          item.stale = (w) => item.failed(w.warningcode, w.message);
          readopt.push(item);
        }
      } else if (row.action.kind === 'disable') {
        // Nothing to suspend: creating an account only to lock it would be noise.
        this.e.settle(row, 'ok', { message: `Moodle user ${id} no longer exists; link dropped` });
      } else {
        try {
          this.creates.push(this.createItem(row, 'relinked', `Moodle user ${id} no longer existed; re-created`));
        } catch (err) {
          if (!(err instanceof LocalRowError)) throw err;
          this.e.fail(row, err.code, `Moodle user ${id} no longer exists and cannot be re-created: ${err.message}`);
        }
      }
    }
    await this.runUpdates(readopt);
  }

  // ── deletes ───────────────────────────────────────────────────────────────────────────────────────────────

  private readonly deleteSpec: BatchSpec<DeleteItem, void> = {
    wsfunction: 'core_user_delete_users',
    send: (items) => deleteUsers(this.e.deps.client, items.map((i) => i.id)),
    confirm: async (items) => {
      for (const { row, id } of items) {
        await this.e.deps.ledger.dropLink(row.action.entity, row.action.key);
        this.e.settle(row, 'ok', { moodleId: id });
      }
    },
    failOne: async ({ row, id }, code, message) => {
      if (code === 'invaliduser') {
        // Alone and still "Invalid user": the account is already gone, which is what was asked.
        await this.e.deps.ledger.dropLink(row.action.entity, row.action.key);
        this.e.settle(row, 'ok', { moodleId: id, message: `Moodle user ${id} was already deleted` });
      } else this.e.fail(row, code, message, id);
    },
  };

  async runDeletes(items: DeleteItem[]): Promise<void> {
    const { batches } = pack(items, () => 1, this.e.options);
    await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.deleteSpec));
  }

  /** The update of a row already checked once (a re-adoption, a create turned adoption), or its failure. */
  private checkedUpdateItem(row: PersonRow, id: number, kind: OutcomeKind, message: string): UpdateItem | undefined {
    try {
      return this.updateItem(row, id, kind, message);
    } catch (err) {
      if (!(err instanceof LocalRowError)) throw err;
      this.e.fail(row, err.code, err.message, id);
      return undefined;
    }
  }

  // ── creates ───────────────────────────────────────────────────────────────────────────────────────────────

  /** Throws LocalRowError for what the site would refuse; a lang it lacks is left out with a warning. */
  createItem(row: PersonRow, kind: OutcomeKind, message?: string): CreateItem {
    const input = buildCreate({ ...row.action, kind: 'create' }, this.e.options);
    return { row, input, kind, message: notes(message, fitToSite(input, this.e.options.languages, 'create')) };
  }

  /** Created (or found created): write links, then suspend the ones that must be (create_users has no suspended). */
  private async created(pairs: { item: CreateItem; id: number }[]): Promise<void> {
    const links: LinkWrite[] = [];
    const suspend: UpdateItem[] = [];
    for (const { item, id } of pairs) {
      const { row } = item;
      if (row.action.suspended) {
        // Link now (no hash) so a crash before the suspend cannot orphan the account; the next run re-sends.
        links.push(this.e.link(row, id, null));
        suspend.push({
          row,
          input: { id, suspended: 1 },
          ok: () => {
            this.e.settle(row, item.kind, { moodleId: id, ...(item.message ? { message: item.message } : {}) });
            return this.e.link(row, id);
          },
          failed: (code, msg) => this.e.fail(row, code, `Created as Moodle user ${id} but not suspended: ${msg}`, id),
        });
      } else {
        links.push(this.e.link(row, id));
        this.e.settle(row, item.kind, { moodleId: id, ...(item.message ? { message: item.message } : {}) });
      }
    }
    await this.e.writeLinks(links);
    if (suspend.length) await this.runUpdates(suspend);
  }

  private readonly createSpec: BatchSpec<CreateItem, { id: number; username: string }[]> = {
    wsfunction: 'core_user_create_users',
    send: (items) => createUsers(this.e.deps.client, items.map((i) => i.input)),
    confirm: (items, reply) => this.created(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => this.e.fail(item.row, code, message),
    recheck: async (items) => {
      const found = new Map((await lookupAll(this.lookup, 'username', items.map((i) => i.input.username), this.e.options.concurrency)).map((u) => [u.username, u.id]));
      const landed = items.filter((i) => found.has(i.input.username));
      await this.created(landed.map((item) => ({ item, id: found.get(item.input.username)! })));
      return items.filter((i) => !found.has(i.input.username));
    },
    explain: (items) => this.adoptTakenUsernames(items),
  };

  /**
   * A create batch Moodle refused: usernames it already has are the usual reason (an account made by hand or by
   * another tool). One lookup finds them; an account without an idnumber, or with ours, is adopted (linked and
   * updated, its password kept), and so is any account when the row is keyed by username (it has no idnumber); one
   * with another idnumber is another person, and the row fails saying so.
   */
  private async adoptTakenUsernames(items: CreateItem[]): Promise<CreateItem[]> {
    const unchecked = items.filter((i) => !i.usernameChecked);
    if (unchecked.length === 0) return items;
    for (const i of unchecked) i.usernameChecked = true;
    const users = await lookupAll(this.lookup, 'username', unchecked.map((i) => i.input.username), this.e.options.concurrency, lookupChunk(this.e.options.maxInputVars));
    if (users.length === 0) return items;
    const found = new Map(users.map((u) => [u.username, u]));
    const adopt: UpdateItem[] = [];
    const rest: CreateItem[] = [];
    for (const item of items) {
      const u = found.get(item.input.username);
      if (!u) {
        rest.push(item);
        continue;
      }
      const ours = item.input.idnumber ?? '';
      // A row keyed by username (no idnumber) names this very account, whatever idnumber it has.
      if (!keyedByUsername(item.row.action.record!) && u.idnumber && u.idnumber !== ours) {
        this.e.fail(
          item.row,
          'username-taken',
          `username ${u.username} belongs to Moodle user ${u.id} whose idnumber is ${u.idnumber}: another person, or set that account's idnumber to ${ours} to have it adopted`,
        );
        continue;
      }
      const adoption = { ...item.row.action, kind: 'adopt' as const, sendPassword: false };
      const update = this.checkedUpdateItem({ index: item.row.index, action: adoption }, u.id, item.kind, `adopted Moodle user ${u.id} (found by username)`);
      if (update) adopt.push(update);
    }
    if (adopt.length) await this.runUpdates(adopt);
    return rest;
  }

  async runCreates(items: CreateItem[]): Promise<void> {
    const { batches, tooBig } = pack(items, (i) => userLeaves(i.input), this.e.options);
    this.e.failTooBig(tooBig);
    await this.e.runBatches(batches, (b) => this.e.sendBatch(b, this.createSpec));
  }
}

/** Moodle's messages can quote submitted values; a password must never reach a report. */
function hidePassword(message: string, action: ActionOf<'persons'>): string {
  const pw = action.record?.fields.password;
  return pw ? message.split(pw).join('********') : message;
}

/** The row's messages joined: what happened, then what was left out. */
function notes(...parts: (string | undefined)[]): string | undefined {
  const real = parts.filter((p): p is string => Boolean(p));
  return real.length ? real.join('; ') : undefined;
}
