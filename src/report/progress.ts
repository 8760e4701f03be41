/** Progress while applying: a cli-progress bar on a TTY, a plain line every few seconds otherwise (cron, CI, logs). */
import cliProgress from 'cli-progress';
import type { ApplyProgress } from '../apply/types.js';

export interface ProgressSink {
  update(p: ApplyProgress): void;
  stop(): void;
}

export function createProgress(opts: { tty: boolean; write: (line: string) => void; intervalMs?: number; label?: string; unit?: string }): ProgressSink {
  const label = opts.label ?? 'applying';
  const unit = opts.unit ?? 'rows';
  if (opts.tty) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {failed} failed | eta {eta_formatted}`, hideCursor: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(p.total, 0, { failed: 0 });
          started = true;
        }
        bar.update(p.done, { failed: p.failed });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const interval = opts.intervalMs ?? 5000;
  let last = 0;
  let lastDone = -1;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < interval && p.done < p.total) return;
      if (p.done === lastDone) return;
      last = now;
      lastDone = p.done;
      opts.write(`${label}: ${p.done}/${p.total} ${unit}, ${p.failed} failed`);
    },
    stop() {},
  };
}
