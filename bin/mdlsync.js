#!/usr/bin/env node
// The bundled CLI (npm run build: tsc, then scripts/bundle.mjs); dist/cli/main.js is the same program unbundled.
import '../dist/bundle/main.js';
