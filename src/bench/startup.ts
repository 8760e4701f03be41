/**
 * BENCH_STARTUP (issue 15): what every command pays and the run admins have most often, end to end as a shell
 * would time them: `mdlsync --version`, and `mdlsync run` of 20,000 unchanged persons against a sandbox process
 * (after a first store of the same file). Each is run several times, alternating nothing else; medians and ranges.
 * BENCH_STARTUP_RUNS sets the repetitions (default 7). A bare `node -e 0` is timed too: the floor of any command.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePersons } from './generate.js';

type Sandbox = { url: string; token: string; stop: () => void };

function timed(cli: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((done, fail) =>
    execFile(process.execPath, cli, { cwd, env: { ...process.env, ...env } }, (err, _out, stderr) =>
      err ? fail(new Error(`${cli.join(' ')}: ${stderr || err.message}`)) : done(Number(process.hrtime.bigint() - t) / 1e9),
    ),
  );
}

function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(2)} s (${s[0].toFixed(2)}–${s[s.length - 1].toFixed(2)} s, ${s.length} runs)`;
}

export async function startupBench(say: (s: string) => void, work: string, cliPath: string, startSandbox: (opts: object) => Promise<Sandbox>): Promise<void> {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 7);
  const dir = mkdtempSync(join(work, 'startup-'));
  say('');
  say('## start-up and the unchanged nightly run (end to end, as a shell times them)');
  const bare: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await timed(['-e', '0'], dir, {}));
    version.push(await timed([cliPath, '--version'], dir, {}));
  }
  say(`- \`node -e 0\`: ${spread(bare)}`);
  say(`- \`mdlsync --version\`: ${spread(version)}`);
  const sb = await startSandbox({});
  try {
    const file = join(dir, 'persons.txt');
    await generatePersons(file, 20000, { prefix: 'u' });
    writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({}));
    const env = { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token };
    // The first store (not measured) links every row; each later run finds all 20,000 unchanged. A run archives (moves)
    // its input, so each run gets a fresh copy.
    const content = readFileSync(file);
    const copy = (): string => {
      const f = join(dir, 'tonight.txt');
      writeFileSync(f, content);
      return f;
    };
    await timed([cliPath, 'run', copy(), '--quiet'], dir, env);
    const unchanged: number[] = [];
    for (let i = 0; i < runs; i++) unchanged.push(await timed([cliPath, 'run', copy(), '--quiet'], dir, env));
    say(`- \`mdlsync run\` of 20,000 unchanged persons (1 Moodle call, the site check): ${spread(unchanged)}`);
  } finally {
    sb.stop();
  }
}
