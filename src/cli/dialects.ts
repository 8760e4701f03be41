/** `mdlsync dialects [NAME]`: the other tools' formats mdlsync reads, their files and what each column becomes. */
import type { Command } from 'commander';
import { ConfigError } from '../config/index.js';
import { DIALECTS, NATIVE_DIALECT, dialectNamed } from '../dialects/index.js';
import { FeedFileError } from '../feed/types.js';
import type { DialectDefinition, DialectKind } from '../dialects/definition.js';

const TREATMENT = { acts: '', warns: ' (not acted on)', refuses: ' (refused)' } as const;

/** What a kind of file becomes: its entities, or why it becomes nothing. */
function becomes(d: DialectDefinition, k: DialectKind): string {
  if (k.entities.length > 0) return k.entities.join(', ');
  if (k.ignored !== undefined) return 'nothing (left out of an archive, refused alone)';
  return `refused (what to do: mdlsync dialects ${d.name})`;
}

export function describeDialect(d: DialectDefinition, withColumns: boolean): string {
  const lines = [`${d.name}: ${d.title} — ${d.source}`];
  for (const k of d.kinds) {
    lines.push(`  ${d.name}/${k.name}: ${k.title}${k.headerless ? ' (no header)' : ''} → ${becomes(d, k)}`);
    if (withColumns) for (const c of k.columns) lines.push(`    ${c.name}${TREATMENT[c.treatment]}: ${c.means}`);
  }
  return lines.join('\n');
}

export function registerDialects(program: Command): void {
  program
    .command('dialects')
    .argument('[name]', 'one dialect: its files and every column')
    .description("the other tools' file formats mdlsync reads (--dialect NAME), detected from the header")
    .action((name: string | undefined) => {
      if (name !== undefined) {
        let found;
        try {
          found = dialectNamed(name);
        } catch (err) {
          // A name mdlsync does not know is a wrong argument (exit 1), said in one sentence.
          throw err instanceof FeedFileError ? new ConfigError(err.message) : err;
        }
        process.stdout.write(describeDialect(found.dialect, true) + '\n');
        return;
      }
      const out = [`${NATIVE_DIALECT}: mdlsync's own headers (SIS snapshot or Moodle-style), one entity per file — see README`, ...DIALECTS.map((d) => describeDialect(d, false))];
      process.stdout.write(out.join('\n') + '\nmdlsync dialects NAME lists a dialect\'s columns.\n');
    });
}
