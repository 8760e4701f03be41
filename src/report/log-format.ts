/** How console log lines look: `level: message` for people, or one JSON object a line for log shippers. A leaf (the CLI reads it at start-up). */
export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];
