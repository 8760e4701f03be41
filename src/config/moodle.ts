/** The `moodle` config object (registered in config/index.ts): the site's address, token and call limits. */
import { z } from 'zod';

export const moodleSchema = z
  .object({
    url: z.string().url().optional(),
    token: z.string().min(1).optional(),
    /** A file holding the token (keeps it out of the config file and the environment). */
    tokenFile: z.string().optional(),
    timeoutMs: z.number().int().positive().default(300_000),
    /** PHP max_input_vars of the site (1000 is PHP's default; Moodle asks for 5000 on PHP 8). */
    maxInputVars: z.number().int().min(20).default(1000),
    batchSize: z.number().int().min(1).max(1000).default(50),
    concurrency: z.number().int().min(1).max(32).default(4),
    retries: z.number().int().min(1).max(20).default(5),
    backoffMs: z.number().int().min(0).default(500),
    /**
     * The language packs the site has installed (Site administration › Language › Language packs); no web-service
     * function lists them. A person's lang outside this list is left out rather than have Moodle refuse the batch.
     */
    languages: z.array(z.string().regex(/^[a-zA-Z0-9_-]+$/, 'a language code such as en, es or pt_br')).min(1).default(['en']),
    /** A PEM file of a private certificate authority, trusted besides the public ones (certificates are always verified). */
    ca: z.string().min(1).optional(),
    /** Calls started per second at most, on top of the concurrency cap (absent: no rate limit). */
    maxRequestsPerSecond: z.number().positive().max(1000).optional(),
    /** The circuit breaker: a run stops sending after this many transient failures in a row (the rest kept for retry). */
    breakerFailures: z.number().int().min(1).default(20),
  })
  .strict();

export type MoodleConfig = z.infer<typeof moodleSchema>;
