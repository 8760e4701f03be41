/** The mirror benchmark alone: `npm run build && node dist/bench/mirror-main.js` (see mirror.ts). */
import { mirrorBench } from './mirror.js';

await mirrorBench((s) => process.stdout.write(s + '\n'));
