/**
 * Preloaded into a CLI run the bench measures (`node --import peak-rss.js bin/mdlsync.js …`): at exit, the process's
 * peak RSS in KiB goes to the file BENCH_PEAK_RSS_FILE names (stdout and the exit code stay the CLI's own).
 */
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_PEAK_RSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
