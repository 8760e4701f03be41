/** A sandbox Moodle in its own process (as a real site is), with a simulated server cost: node sandbox-proc.js JSON */
import { startSandbox } from '../sandbox/server.js';

const opts = JSON.parse(process.argv[2] ?? '{}');
const handle = await startSandbox(opts);
process.stdout.write(JSON.stringify({ url: handle.url, token: handle.token }) + '\n');
process.on('SIGTERM', () => void handle.close().then(() => process.exit(0)));
