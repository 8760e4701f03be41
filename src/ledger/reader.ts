/**
 * Reads the links of a file's keys chunk by chunk, for the planner. A SIS exports in a stable order and the ledger
 * learnt the keys in that order, so most links come from one forward scan of the entity's links in the ledger's own
 * order, a page at a time: a page costs SQLite a range read, where getLinks' IN list costs an index seek per key
 * (~1.2 s of the ~2.3 s reading 500k links). Keys the scan does not bring within a bounded read-ahead (new keys,
 * another order, rows before where the scan started) are read with getLinks as before, so every key gets exactly
 * the link getLinks would give; when the scan stops finding the chunks' keys, it stops.
 */
import { planPart } from './rows.js';
import type { PlanLink, LedgerStore } from './types.js';

/** Links per page of the scan. */
const PAGE = 1000;
/** Rows the scan may read per chunk beyond the chunk's own size, looking for its keys. */
const READ_AHEAD = 2000;
/** Links read ahead but not yet asked for that are kept; the oldest go first (getLinks still finds them). */
const WINDOW_MAX = 8000;
/** Chunks in a row whose keys the scan mostly missed before it gives up. */
const POOR_CHUNKS = 3;

export class LinkReader {
  /** Read by the scan, not yet asked for (insertion order = scan order, for eviction). */
  private readonly window = new Map<string, PlanLink>();
  /** The scan's position: the last page's end; null until the first chunk sets where it starts. */
  private after: number | null = null;
  private scanning: boolean;
  private poor = 0;

  constructor(
    private readonly ledger: LedgerStore,
    private readonly entity: string,
  ) {
    this.scanning = ledger.linkPage !== undefined && ledger.linkPosition !== undefined;
  }

  /** The links of these keys (any status), as getLinks gives them: the part of each a plan is decided on (PlanLink). */
  async get(keys: readonly string[]): Promise<Map<string, PlanLink>> {
    if (keys.length === 0) return new Map();
    if (!this.scanning && this.window.size === 0) {
      const links = new Map<string, PlanLink>();
      for (const [k, link] of await this.ledger.getLinks(this.entity, keys)) links.set(k, planPart(link));
      return links;
    }
    const out = new Map<string, PlanLink>();
    let lacking: readonly string[] = keys;
    if (this.window.size > 0) {
      const rest: string[] = [];
      for (const k of keys) {
        const link = this.window.get(k);
        if (link) {
          out.set(k, link);
          this.window.delete(k);
        } else rest.push(k);
      }
      lacking = rest;
    }
    const wanted = new Wanted(lacking, out);
    if (this.scanning && wanted.size > 0) await this.scan(keys, wanted);
    const rest = wanted.rest();
    if (rest.length > 0) for (const [k, link] of await this.ledger.getLinks(this.entity, rest)) out.set(k, planPart(link));
    return out;
  }

  private async scan(keys: readonly string[], wanted: Wanted): Promise<void> {
    // The scan starts where the file's first linked key sits: a file of one data source or course may begin anywhere.
    if (this.after === null) {
      let first = 0;
      for (const k of keys.slice(0, 10)) if ((first = await this.ledger.linkPosition!(this.entity, k)) > 0) break;
      this.after = first > 0 ? first - 1 : 0;
    }
    const before = wanted.size;
    let budget = keys.length + READ_AHEAD;
    while (wanted.size > 0 && budget > 0) {
      const page = await this.ledger.linkPage!(this.entity, this.after, PAGE);
      budget -= page.links.length;
      for (const link of page.links) if (!wanted.take(link)) this.window.set(link.key, link);
      if (page.links.length < PAGE) {
        this.scanning = false;
        break;
      }
      this.after = page.last;
    }
    for (const k of this.window.keys()) {
      if (this.window.size <= WINDOW_MAX) break;
      this.window.delete(k);
    }
    // Found fewer than a quarter of what the window lacked: another order. Give up after a few such chunks.
    this.poor = (before - wanted.size) * 4 < before ? this.poor + 1 : 0;
    if (this.poor >= POOR_CHUNKS) {
      this.scanning = false;
      this.window.clear();
    }
  }
}

/**
 * The keys a chunk still wants from the scan, taking the links it brings into `out`. A file in the ledger's order asks
 * for its keys in the order the scan brings them: while it does, a link is compared with the next key alone, instead
 * of two set look-ups a row (one of them hashing the ledger's copy of the key). At the first link out of that order
 * (a new key, a shuffle, a duplicate) the keys still wanted become a set.
 */
class Wanted {
  /** keys[next] is the next key expected, while the links come in the keys' order. */
  private next = 0;
  private set: Set<string> | undefined;

  constructor(
    private readonly keys: readonly string[],
    private readonly out: Map<string, PlanLink>,
  ) {}

  /** How many keys are still wanted (in order, duplicates count until the order breaks). */
  get size(): number {
    return this.set ? this.set.size : this.keys.length - this.next;
  }

  /** Takes the link into `out` when its key is wanted. */
  take(link: PlanLink): boolean {
    if (this.set === undefined) {
      if (link.key === this.keys[this.next]) {
        this.out.set(link.key, link);
        this.next++;
        return true;
      }
      this.set = this.unanswered();
    }
    if (!this.set.delete(link.key)) return false;
    this.out.set(link.key, link);
    return true;
  }

  /** The keys still wanted, each once: what getLinks is asked for. */
  rest(): string[] {
    return [...(this.set ?? this.unanswered())];
  }

  private unanswered(): Set<string> {
    const set = new Set<string>();
    for (let i = this.next; i < this.keys.length; i++) if (!this.out.has(this.keys[i])) set.add(this.keys[i]);
    return set;
  }
}
