/** `mdlsync sandbox`: the built-in Moodle-compatible web-service server, for trying mdlsync out. */
import { type Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { positiveInt } from './common.js';

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('run a Moodle-compatible web-service server on 127.0.0.1 (Ctrl-C stops it)')
    .option('-p, --port <port>', 'port (default: any free one)', positiveInt)
    .option('--state <file>', 'keep the site in this SQLite file (default: in memory)')
    .option('--token <token>', 'the web-service token to accept', 'sandbox-token')
    .option('--no-debug', 'answer errors without debuginfo, like a production site')
    .option('--no-password-policy', "turn Moodle's password policy off")
    .addOption(new Option('--seed <school>', 'start with a school in a site that has no course yet: demo (12 courses, 120 students) or bench (1,000 courses, 50,000 users)')
      .choices(['demo', 'bench']))
    .action(async (flags: { port?: number; state?: string; token: string; debug: boolean; passwordPolicy: boolean; seed?: string }) => {
      if (flags.state) mkdirSync(dirname(resolve(flags.state)), { recursive: true });
      // Loaded only for this command and --sandbox: a run against a real site never loads the sandbox's code.
      const { startSandbox, DEMO_SCHOOL, BENCH_SCHOOL } = await import('../sandbox/server.js');
      const handle = await startSandbox({
        seed: flags.seed === 'demo' ? DEMO_SCHOOL : flags.seed === 'bench' ? BENCH_SCHOOL : undefined,
        port: flags.port ?? 0,
        token: flags.token,
        stateFile: flags.state ? resolve(flags.state) : undefined,
        debug: flags.debug,
        passwordPolicy: flags.passwordPolicy,
      });
      process.stdout.write(`sandbox Moodle listening on ${handle.url}\nexport MDLSYNC_URL=${handle.url}\nexport MDLSYNC_TOKEN=<the --token value>\n`);
      await new Promise<void>((done) => {
        const stop = () => void handle.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
