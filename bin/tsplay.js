#!/usr/bin/env node
// The CLI. dist/tsplay.cjs is the one-file bundle `npm run build` makes (starts ~2x faster than loading the
// ~200 files of dist/src); without it, the plain tsc output is used.
//
// The bundle is compiled with V8's code cache, kept per user in ~/.cache/tsplay (a directory only that user
// may write, checked before each read: cached code is code), one per subcommand. It is written after the
// first command that ran without one, so it holds every function that command compiled, not only the top
// level: a warm `tsplay run` then starts in about half the time. A missing, foreign or outdated cache costs
// nothing but the compile (V8 refuses data made for another source or another node).
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/tsplay.cjs', import.meta.url));

/** The cache file for this bundle and this node, in a private directory of this user; undefined: no cache. */
function cachePath(st) {
  try {
    const uid = process.geteuid?.();
    const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    const dir = join(base, 'tsplay');
    // only under a home of this user's own (sudo keeping another user's HOME must not leave root's files there)
    const owner = lstatSync(existsSync(base) ? base : dirname(base)).uid;
    if (uid !== undefined && owner !== uid) return undefined;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const d = lstatSync(dir);
    if (!d.isDirectory() || (uid !== undefined && d.uid !== uid) || (d.mode & 0o022) !== 0) return undefined;
    // one per command: each holds the functions its own command compiled (run, power, persist, ...)
    const cmd = /^[a-z][a-z-]{0,15}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
    return join(dir, `bundle-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}-${cmd}.cache`);
  } catch {
    return undefined;
  }
}

/** The cached data, when the file is this user's own and private. */
function readCache(file) {
  try {
    const f = lstatSync(file);
    const uid = process.geteuid?.();
    if (!f.isFile() || (uid !== undefined && f.uid !== uid) || (f.mode & 0o077) !== 0) return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

async function loadBundle() {
  const st = statSync(bundle);
  const file = cachePath(st);
  const cachedData = file ? readCache(file) : undefined;
  const source = readFileSync(bundle, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
  const save = () => {
    if (!file || (cachedData && !script.cachedDataRejected)) return;
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, file);
    } catch {
      // an unwritable cache directory: the next command compiles again
    }
  };
  return { main: mod.exports.main, save };
}

const { main, save } = existsSync(bundle) ? await loadBundle() : { ...(await import('../dist/src/cli/main.js')), save: () => undefined };
process.exitCode = await main(process.argv.slice(2));
save();
