/**
 * Machine-readable output for unattended use: `mdlsync run|plan --json` prints one JSON document on stdout (the
 * summaries exactly as each run's summary.json holds them), and a command that stops before any summary exists prints
 * one error document instead. Both carry the process's exit code, so a script reads one document whatever happened.
 */
import { CODES, failureInfo, type ErrorCode } from '../errors.js';
import { redactText } from './redact.js';
import type { RunSummary } from './types.js';

/** `run|plan --json`: one document for one file or several (a zip counts as the files it holds). */
export interface RunsDocument {
  /** The process's exit code: the worst of the runs' (3 over 2 over 1 over 0). */
  exitCode: number;
  /** One summary per file, in the order they ran (dependency order), each equal to its reports/RUNID/summary.json. */
  runs: RunSummary[];
  /** Sentences about the input that are no run's (a file of a zip left out, and why); empty when none. */
  notes: string[];
}

/** A command that stopped before it could report through a summary (config, usage, a refused archive, a bug). */
export interface ErrorDocument {
  exitCode: number;
  error: {
    /** A code of README's "Error codes" table; null for an unexpected error (a bug: report it with the log). */
    code: ErrorCode | null;
    message: string;
    hint: string;
  };
}

/**
 * JSON with every string redacted (report/redact.ts), as summary.json is written. C1 control characters and the line
 * separators JSON leaves raw are escaped too: the document may land on a terminal, or in a JavaScript consumer.
 */
export function redactedJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? redactText(v) : v), indent);
  return text.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function runsDocument(runs: readonly RunSummary[], notes: readonly string[], exitCode: number): RunsDocument {
  return { exitCode, runs: [...runs], notes: [...notes] };
}

/** The error sentence of any thrown value, as the CLI prints it on stderr (an unexpected error says so). */
export function failureSentence(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return failureInfo(err).expected ? message : `unexpected error: ${message}. Run again with --log-level debug and report the log if it persists.`;
}

/** The document of an error thrown up to the CLI: its code, sentence, hint and exit code from src/errors.ts's table. */
export function errorDocument(err: unknown): ErrorDocument {
  const failure = failureInfo(err);
  return { exitCode: failure.exit, error: { code: failure.code, message: failureSentence(err), hint: failure.hint } };
}

/** A flag or argument commander refused (it printed the message and usage on stderr already): exit 1. */
export function usageErrorDocument(commanderMessage: string): ErrorDocument {
  return { exitCode: CODES.usage.exit, error: { code: 'usage', message: commanderMessage.replace(/^error:\s*/, ''), hint: CODES.usage.hint } };
}
