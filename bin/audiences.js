#!/usr/bin/env node
// Entry point of the `audiences` CLI: runs the compiled TypeScript in dist/ (built by `npm install`).
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`audiences: cannot start (${err && err.code ? err.code : 'error'}): run \`npm install\` (or \`npm run build\`) first.\n`);
  process.exit(1);
});
