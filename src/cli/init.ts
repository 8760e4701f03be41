/** `mdlsync init`: writes a commented mdlsync.config.json from a few questions, or from flags for scripts (src/init/). */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CONFIG_FILE_NAME, ConfigError } from '../config/index.js';
import { EXIT } from '../errors.js';
import { tokenFileWarning, type InitAnswers } from '../init/answers.js';
import { existsRefusal, nextCommands, writeInitConfig } from '../init/config-file.js';
import { ANSWER_DEFAULTS, answersFromFlags, askAnswers } from '../init/questions.js';
import { ENTITY_TYPES } from '../entities/index.js';

interface InitFlags {
  url?: string;
  tokenFile?: string;
  datasource?: string;
  types?: string;
  force?: boolean;
  yes?: boolean;
  nonInteractive?: boolean;
}

/** The terminal's questions; a closed input (Ctrl-C, Ctrl-D) ends them with an AbortError instead of waiting forever. */
function terminal(): { ask: (prompt: string) => Promise<string>; say: (line: string) => void; close: () => void } {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const closed = new AbortController();
  rl.on('SIGINT', () => rl.close());
  rl.on('close', () => closed.abort());
  return {
    ask: (prompt) => rl.question(prompt, { signal: closed.signal }),
    say: (line) => process.stdout.write(`${line}\n`),
    close: () => rl.close(),
  };
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented mdlsync.config.json from a few questions (or from the flags, for scripts)')
    .option('--url <url>', "the Moodle site's address")
    .option('--token-file <file>', 'the file that holds the web-service token (the token itself is never asked for)')
    .option('--datasource <key>', `data source key (default ${ANSWER_DEFAULTS.dataSource})`)
    .option('--types <list>', `feed types you sync, comma-separated (${ENTITY_TYPES.join(', ')}; default ${ANSWER_DEFAULTS.types})`)
    .option('--force', 'replace an existing config file')
    .option('-y, --yes', 'ask nothing: take the defaults for what the flags leave out')
    .option('--non-interactive', 'the same as --yes')
    .action(async (flags: InitFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals() as { config?: string };
      const path = resolve(globals.config ?? CONFIG_FILE_NAME);
      // Before any question: an answer typed for nothing is worse than a refusal at once.
      if (existsSync(path) && !flags.force) throw existsRefusal(path);
      const quiet = Boolean(flags.yes || flags.nonInteractive);
      const { given, missing } = answersFromFlags(
        { url: flags.url, tokenFile: flags.tokenFile, dataSource: flags.datasource, types: flags.types },
        quiet,
      );
      if (missing.length && (quiet || !process.stdin.isTTY)) {
        const why = quiet ? 'with --yes it asks nothing' : 'without a terminal it cannot ask';
        throw new ConfigError(`init needs ${missing.join(', ')}: ${why} (--yes takes the defaults of --datasource and --types; --url and --token-file have none).`);
      }
      let answers: InitAnswers;
      if (missing.length) {
        const io = terminal();
        io.say(`${missing.length} question(s), then mdlsync init writes ${path} (Ctrl-C stops, writing nothing).`);
        try {
          answers = await askAnswers(given, io);
        } catch (err) {
          if ((err as Error).name !== 'AbortError') throw err;
          process.stderr.write(`\nmdlsync: init stopped: ${path} was not written.\n`);
          process.exitCode = EXIT.usage;
          return;
        } finally {
          io.close();
        }
      } else {
        answers = given as InitAnswers; // nothing missing: the flags (and --yes's defaults) gave every answer
      }

      const tokenWarning = tokenFileWarning(answers.tokenFile, dirname(path));
      if (/^http:\/\//i.test(answers.url) && !/^http:\/\/(localhost|127\.|\[::1\])/i.test(answers.url)) {
        process.stdout.write('note: the token travels unencrypted over http://: use the https:// address when the site has one\n');
      }
      writeInitConfig(path, answers, { force: flags.force });

      const configFlag = globals.config ? ` --config ${/\s/.test(globals.config) ? JSON.stringify(globals.config) : globals.config}` : '';
      const { setup, doctor } = nextCommands(answers.types, configFlag);
      // Command, then what it does, in two columns.
      const commands: [string, string][] = [
        [setup, "lists what the Moodle site needs: the service's functions, the role's capabilities"],
        [doctor, 'checks the URL, the token and each of them'],
        [`mdlsync${configFlag} plan FILE`, 'what a feed would do, Moodle only read; then mdlsync run FILE'],
      ];
      const width = Math.max(...commands.map(([c]) => c.length));
      const steps = [
        // The token file is read on every run: missing or readable by others, fixing it comes first.
        ...(tokenWarning ? [tokenWarning] : []),
        ...commands.map(([c, what]) => `${c.padEnd(width)}   ${what}`),
      ];
      process.stdout.write(`Wrote ${path} (feed types: ${answers.types.join(', ')}).\nNext:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n`);
    });
}
