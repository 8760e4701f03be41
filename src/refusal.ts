import { MdlsyncError } from './errors.js';

/**
 * A command that cannot start: exit 3 with one sentence saying what to fix (a feed path that is no file, a reports
 * folder that is not a folder, a Moodle URL that is not http(s)…). Raised before a report folder exists.
 */
export class Refusal extends MdlsyncError<'refused'> {
  constructor(message: string) {
    super('refused', message);
    this.name = 'Refusal';
  }
}

/** Control characters (ESC sequences, CR/LF in file names, …) shown as escapes, so a file cannot drive the terminal. */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
