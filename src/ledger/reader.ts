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
    const wanted = new Set<string>();
    for (const k of keys) {
      const link = this.window.get(k);
      if (link) {
        out.set(k, link);
        this.window.delete(k);
      } else wanted.add(k);
    }
    if (this.scanning && wanted.size > 0) await this.scan(keys, wanted, out);
    if (wanted.size > 0) for (const [k, link] of await this.ledger.getLinks(this.entity, [...wanted])) out.set(k, planPart(link));
    return out;
  }

  private async scan(keys: readonly string[], wanted: Set<string>, out: Map<string, PlanLink>): Promise<void> {
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
      for (const link of page.links) {
        if (wanted.delete(link.key)) out.set(link.key, link);
        else this.window.set(link.key, link);
      }
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
