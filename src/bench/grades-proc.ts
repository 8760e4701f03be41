/**
 * A sandbox Moodle in its own process holding a seeded gradebook (src/sandbox/seed-gradebook.ts), for the grade and
 * completion export bench: node grades-proc.js '{"stateFile":…,"courses":100,"studentsPerCourse":200,"itemsPerCourse":3}'.
 * Prints one JSON line: the site's URL and token, and what was seeded (course and student ids by idnumber).
 */
import { startSandbox } from '../sandbox/server.js';
import { UserStore } from '../sandbox/user-store.js';
import { seedGradebook, type GradebookSeed } from '../sandbox/seed-gradebook.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as GradebookSeed & { stateFile: string };
const t = Date.now();
const store = new UserStore(opts.stateFile);
const seeded = seedGradebook(store, opts);
store.close();
const seedSeconds = (Date.now() - t) / 1000;
const handle = await startSandbox({ stateFile: opts.stateFile });
process.stdout.write(JSON.stringify({ url: handle.url, token: handle.token, seedSeconds, seeded }) + '\n');
process.on('SIGTERM', () => void handle.close().then(() => process.exit(0)));
