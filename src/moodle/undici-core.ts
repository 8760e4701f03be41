/**
 * undici's dispatchers without the rest of its index. Why: the index also loads fetch, WebSocket, EventSource, its
 * caches, cookies and mock agents (about 1 MB, some 50 ms of every command's start), which the Moodle client never
 * uses. This module does what the index does for dispatchers and nothing else: it gives every dispatcher the
 * request/stream/pipeline/connect/upgrade methods (the proxy agent's tunnels use `connect`) and hands out the same
 * EnvHttpProxyAgent class. FormData, for the rare upload, comes from the index itself, loaded then.
 */
import { setFlagsFromString } from 'node:v8';
import type { Dispatcher, EnvHttpProxyAgent as EnvHttpProxyAgentType, FormData } from 'undici';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import api from 'undici/lib/api/index.js';

Object.assign(DispatcherClass.prototype, api);

/** undici's EnvHttpProxyAgent (HTTPS_PROXY / HTTP_PROXY / NO_PROXY honoured). */
export function newAgent(options: EnvHttpProxyAgentType.Options): Dispatcher {
  keepWasmAtBaseline();
  return new EnvHttpProxyAgent(options);
}

let baseline = false;

/**
 * undici parses HTTP with llhttp, compiled to WebAssembly at the first connection. V8 compiles it fast (Liftoff), then
 * once its big parser function is hot compiles it again optimised (TurboFan) in a background thread: 150–190 ms of a
 * core, which a short command waited for at exit (a one-row run: 0.60 → 0.43 s) and a longer one took from its own
 * work (the unchanged run of 20k persons: 1.4–1.5 → 1.2–1.3 s of CPU). Moodle's answers are small: the baseline code
 * parses them fast enough. Process-wide, once, before the first connection compiles llhttp.
 */
function keepWasmAtBaseline(): void {
  if (baseline) return;
  baseline = true;
  setFlagsFromString('--liftoff-only');
}

/**
 * undici's FormData, whose module comes with fetch's: loaded for an upload only. Through the index's default export
 * (its module.exports): a bundle's chunk of a CommonJS package has no named exports.
 */
export async function newFormData(): Promise<FormData> {
  const { default: undici } = await import('undici');
  return new undici.FormData();
}
