/**
 * A LedgerStore over a Map, for unit tests of apply/ that look at what was written (each writeLinks call, the keys
 * marked seen, the links dropped). Tests of the ledger itself use the real backends (src/ledger).
 */
import type { LedgerLink, LedgerStore, LinkWrite } from '../src/ledger/types.js';

const unused = (what: string) => (): never => {
  throw new Error(`FakeLedger: ${what} is not used by these tests`);
};

export class FakeLedger implements LedgerStore {
  readonly backend = 'sqlite' as const;
  readonly path = ':memory:';
  readonly links = new Map<string, LedgerLink>();
  readonly seen: string[] = [];
  readonly dropped: string[] = [];
  readonly writes: LinkWrite[][] = [];

  async getLinks(entity: string, keys: readonly string[]): Promise<Map<string, LedgerLink>> {
    return new Map(keys.filter((k) => this.links.has(`${entity}/${k}`)).map((k) => [k, this.links.get(`${entity}/${k}`)!]));
  }
  async *activeLinks(entity: string): AsyncGenerator<LedgerLink> {
    for (const l of this.active(entity)) yield l;
  }
  private active(entity: string): LedgerLink[] {
    return [...this.links.values()].filter((l) => l.entity === entity && l.status === 'active');
  }
  async hasLinks(entity: string): Promise<boolean> {
    return [...this.links.values()].some((l) => l.entity === entity);
  }
  async countLinks(entity: string): Promise<number> {
    return this.active(entity).length;
  }
  async writeLinks(links: readonly LinkWrite[]): Promise<void> {
    this.writes.push([...links]);
    const now = new Date().toISOString();
    for (const l of links) {
      const id = `${l.entity}/${l.key}`;
      const prev = this.links.get(id);
      this.links.set(id, { ...l, firstSeen: prev?.firstSeen ?? now, lastSeen: now, lastRun: l.runId, disabledAt: l.status === 'disabled' ? now : null });
    }
  }
  async markSeen(_entity: string, keys: readonly string[]): Promise<void> {
    this.seen.push(...keys);
  }
  async dropLink(entity: string, key: string): Promise<void> {
    this.dropped.push(key);
    this.links.delete(`${entity}/${key}`);
  }
  async findByMoodleId(entity: string, moodleId: number): Promise<LedgerLink | undefined> {
    return [...this.links.values()].find((l) => l.entity === entity && l.moodleId === moodleId);
  }
  async linksWithKeySuffix(entity: string, suffix: string): Promise<LedgerLink[]> {
    return [...this.links.values()].filter((l) => l.entity === entity && l.key.endsWith(suffix));
  }
  async setLinkData(entity: string, key: string, data: string | null): Promise<boolean> {
    const link = this.links.get(`${entity}/${key}`);
    if (link) link.data = data;
    return link !== undefined;
  }
  async listLinks(): Promise<LedgerLink[]> {
    return [...this.links.values()];
  }
  async startRun(): Promise<void> {}
  async finishRun(): Promise<void> {}
  async getRun(): Promise<undefined> {
    return undefined;
  }
  async listRuns(): Promise<[]> {
    return [];
  }
  async close(): Promise<void> {}
  passwordKey = unused('passwordKey');
  acquireLock = unused('acquireLock');
  heartbeatLock = unused('heartbeatLock');
  releaseLock = unused('releaseLock');
  schemaVersion = unused('schemaVersion');
  get exports(): never {
    return unused('exports')();
  }
  get retries(): never {
    return unused('retries')();
  }
  get pictures(): never {
    return unused('pictures')();
  }
  get images(): never {
    return unused('images')();
  }
  get transfer(): never {
    return unused('transfer')();
  }
}
