/**
 * `mdlsync` entry point. `--version` is answered here, before commander or any command is loaded (scripts and
 * monitoring ask it often); everything else goes to the command line in program.ts.
 */
import { packageVersion, versionOnly } from './argv.js';

if (versionOnly(process.argv.slice(2))) process.stdout.write(`${packageVersion()}\n`);
else await (await import('./program.js')).main();
