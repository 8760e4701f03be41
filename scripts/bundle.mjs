// Bundles the compiled CLI (dist/cli/main.js) and the packages it uses into dist/bundle/, one ESM file per lazily
// loaded part, which bin/mdlsync.js runs. Why: a command otherwise resolves, reads and compiles some 300 files (zod
// alone is 95) before it starts, about a third of an unchanged nightly run. Native and optional packages stay outside.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const outdir = new URL('../dist/bundle/', import.meta.url).pathname;

/**
 * zod's `z` namespace re-exports every locale (about 40 languages, 360 kB: a third of what the config's validation
 * loads), and a namespace cannot be tree-shaken. mdlsync's messages are zod's English ones (zod configures `en`
 * itself, from its own import of en.js), so the bundle's `z.locales` holds English only.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: dirname(args.path) }));
  },
};
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: new URL('../dist/cli/main.js', import.meta.url).pathname },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // better-sqlite3 loads a native binding; pg is loaded only for a PostgreSQL ledger (and pg-native never);
  // playwright-core only by the screenshot script.
  external: ['better-sqlite3', 'pg', 'pg-native', 'playwright-core'],
  mainFields: ['module', 'main'],
  // The bundled CommonJS packages (undici, winston …) call require() for Node's own modules.
  banner: { js: "import { createRequire as __mdlsyncRequire } from 'node:module'; const require = __mdlsyncRequire(import.meta.url);" },
  // Chunks beside the entry, two folders below the package root as dist/cli/ is: a module finds package.json at
  // ../../package.json whichever file it lands in, bundled or not.
  chunkNames: '[name]-[hash]',
  legalComments: 'eof',
  logLevel: 'warning',
  plugins: [zodEnglishOnly],
});
