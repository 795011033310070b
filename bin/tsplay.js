#!/usr/bin/env node
// The CLI. dist/tsplay.mjs is the one-file bundle `npm run build` makes (starts ~2x faster than
// loading the ~200 files of dist/src); without it, the plain tsc output is used.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/tsplay.mjs', import.meta.url);
const { main } = existsSync(bundle) ? await import(bundle.href) : await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
