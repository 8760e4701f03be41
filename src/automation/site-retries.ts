/**
 * The retry contexts of a watch whose rules name several sites: one per site, each on that site's config and ledger,
 * so a site's rows kept for retry are in its own ledger and tried again against its own Moodle. A watch without
 * sites has one context, on the config it was started with.
 */
import { configForTarget, type Config } from '../config/index.js';
import type { RetryRecord } from '../ledger/index.js';
import type { RetryContext } from './retry.js';

/** A due retry and the context (site) it belongs to. */
export interface DueRetry {
  ctx: RetryContext;
  record: RetryRecord;
}

export class SiteRetries {
  private readonly contexts = new Map<string, RetryContext>();

  private constructor(
    private readonly config: Config,
    private readonly make: (config: Config) => RetryContext | Promise<RetryContext>,
  ) {}

  /**
   * Opens the context of every site the rules name, and the default one when it can reach a Moodle (a config with
   * several sites and none chosen has no Moodle of its own: its context opens only if a file needs it).
   */
  static async open(config: Config, sites: readonly (string | undefined)[], make: (config: Config) => RetryContext | Promise<RetryContext>): Promise<SiteRetries> {
    const retries = new SiteRetries(config, make);
    if (config.moodle.url || config.site !== null || Object.keys(config.sites ?? {}).length === 0) await retries.contextFor(undefined);
    for (const site of new Set(sites)) if (site !== undefined) await retries.contextFor(site);
    return retries;
  }

  /** Which context a file of this site runs in (the default one without a site). */
  keyOf(site: string | undefined): string {
    return configForTarget(this.config, site).site ?? '';
  }

  async contextFor(site: string | undefined): Promise<RetryContext> {
    const key = this.keyOf(site);
    let ctx = this.contexts.get(key);
    if (!ctx) {
      ctx = await this.make(configForTarget(this.config, site));
      this.contexts.set(key, ctx);
    }
    return ctx;
  }

  /** The first retry due in any site's ledger, claimed. */
  async claimDue(now: number): Promise<DueRetry | null> {
    for (const ctx of this.contexts.values()) {
      const record = await ctx.ledger.retries.claimDue(ctx.source, now, ctx.who);
      if (record) return { ctx, record };
    }
    return null;
  }

  /** The retries waiting, by site key (only sites with some). */
  async waiting(): Promise<Map<string, RetryRecord[]>> {
    const out = new Map<string, RetryRecord[]>();
    for (const [key, ctx] of this.contexts) {
      const list = await ctx.ledger.retries.list(ctx.source);
      if (list.length > 0) out.set(key, list);
    }
    return out;
  }

  /** Every retry waiting, whatever its site. */
  async all(): Promise<RetryRecord[]> {
    return [...(await this.waiting()).values()].flat();
  }

  async close(): Promise<void> {
    for (const ctx of this.contexts.values()) await ctx.ledger.close();
    this.contexts.clear();
  }
}
