/** `mdlsync doctor`: is everything a run needs in place? One line per check, and what to do when one fails. */
import type { Command } from 'commander';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, requireMoodle } from '../config/index.js';
import { ENTITY_TYPES, functionsOf, isEntityType, type EntityType } from '../entities/index.js';
import { SqliteLedger } from '../ledger/index.js';
import { MoodleClient, MoodleError, getSiteInfo } from '../moodle/index.js';
import { logFileProblem } from '../report/logger.js';
import { configFrom } from './common.js';
import { roleChecks } from './doctor-roles.js';

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the Moodle URL, token, web-service functions, ledger and folders')
    .option('--url <url>', 'Moodle site URL')
    .option('--types <list>', `feed types you sync, comma-separated (${ENTITY_TYPES.join(', ')})`, 'persons')
    .action(async (flags: { url?: string; types: string }, cmd: Command) => {
      const types = flags.types.split(',').map((t) => t.trim()).filter(Boolean);
      const unknown = types.filter((t) => !isEntityType(t));
      if (unknown.length) throw new ConfigError(`unknown feed type ${unknown.join(', ')} in --types (known: ${ENTITY_TYPES.join(', ')})`);
      const config = configFrom(cmd, { url: flags.url });
      const lines: string[] = [];
      let problems = 0;
      const check = (ok: boolean, text: string, fix?: string) => {
        lines.push(`${ok ? 'ok  ' : 'FAIL'} ${text}${!ok && fix ? `\n     → ${fix}` : ''}`);
        if (!ok) problems++;
      };
      const { url, token } = requireMoodle(config);
      check(true, `Moodle URL ${url}`);
      const client = new MoodleClient({ url, token, timeoutMs: 30_000 });
      try {
        const info = await getSiteInfo(client);
        if (typeof info !== 'object' || info === null || !Array.isArray(info.functions)) {
          throw new Error(`${url} answered the site check with JSON that is not Moodle's site information (is moodle.url the Moodle site root?)`);
        }
        check(true, `token accepted: site "${info.sitename}", Moodle ${info.release}, user ${info.username}`);
        const have = new Set(info.functions.map((f) => f.name));
        const needed = [...new Set(types.flatMap((t) => functionsOf(t as EntityType)))];
        for (const fn of needed) {
          check(have.has(fn), `function ${fn} in the service`, `add ${fn} to the token's external service (Site administration › Server › Web services › External services › Functions)`);
        }
        // Observer and system roles: probed, since the web services cannot list roles.
        for (const c of await roleChecks(client, config, types, info.userid, have)) check(c.ok, c.text, c.fix);
        // What else this service could sync, so an admin adding a feed type knows before the first run.
        const others = ENTITY_TYPES.filter((t) => !types.includes(t));
        const ready = others.filter((t) => functionsOf(t).every((fn) => have.has(fn)));
        if (others.length) lines.push(`info the service also has every function for: ${ready.length ? ready.join(', ') : '(no other feed type)'}`);
      } catch (err) {
        if (err instanceof MoodleError) {
          check(false, `token refused (${err.errorcode})`, 'create a token for the service user (Site administration › Server › Web services › Manage tokens) and set MDLSYNC_TOKEN');
        } else {
          check(false, `Moodle unreachable: ${(err as Error).message}`, 'check moodle.url, that web services and the REST protocol are enabled, and that the site is up');
        }
      } finally {
        await client.close();
      }
      try {
        const ledger = SqliteLedger.open(config.ledger);
        ledger.close();
        check(true, `ledger ${config.ledger}`);
      } catch (err) {
        check(false, `ledger ${config.ledger}: ${(err as Error).message}`, `make ${dirname(config.ledger)} writable or set "ledger" in the config`);
      }
      for (const [name, dir] of [
        ['reports', config.reports],
        ['archive', config.archive],
      ] as const) {
        check(writable(dir), `${name} folder ${dir}${existsSync(dir) ? '' : ' (created)'}`, `make ${dir} writable or set "${name}" in the config`);
      }
      const log = join(config.reports, 'mdlsync.log');
      const logProblem = logFileProblem(log);
      check(logProblem === null, `log file ${log}${logProblem ? ` ${logProblem}` : ''}`, `remove or rename ${log}: mdlsync only appends to a regular file of its own there`);
      process.stdout.write(lines.join('\n') + '\n');
      if (problems > 0) {
        process.stdout.write(`${problems} problem(s): fix the lines marked FAIL and run mdlsync doctor again.\n`);
        process.exitCode = 3;
      }
    });
}
