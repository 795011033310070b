// The fuzz executor: a long-lived process that runs the built CLI's main(argv) once per message, with its output
// captured, and answers with the exit code, the output and the time taken. It runs the same code as bin/tsplay.js
// (the bundle, or dist/src); a case that hangs or crashes it is killed by the parent, which starts a new one.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.argv[2];
const bundle = join(root, 'dist/tsplay.cjs');
const { main } = existsSync(bundle) ? createRequire(import.meta.url)(bundle) : await import(pathToFileURL(join(root, 'dist/src/cli/main.js')).href);

const LIMIT = 64 * 1024;
let out = '';
let err = '';
const capture = (which) => (chunk, enc, cb) => {
  const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (which === 'out') out = out.length < LIMIT ? out + s : out;
  else err = err.length < LIMIT ? err + s : err;
  const done = typeof enc === 'function' ? enc : cb;
  if (done) done();
  return true;
};
process.stdout.write = capture('out');
process.stderr.write = capture('err');
// main() adds a listener per run (EPIPE handling); hundreds of runs in one process are expected here
process.stdout.setMaxListeners(0);
process.stderr.setMaxListeners(0);
process.on('uncaughtException', (e) => {
  process.send({ crash: `uncaught: ${e?.stack ?? e}`, stdout: out, stderr: err });
});

process.on('message', async (m) => {
  out = '';
  err = '';
  process.chdir(m.cwd);
  const t0 = performance.now();
  let code;
  try {
    code = await main(m.argv);
  } catch (e) {
    code = 'threw';
    err += `\n[main threw] ${e?.stack ?? e}`;
  }
  const ms = performance.now() - t0;
  process.send({ id: m.id, code, stdout: out, stderr: err, ms, rss: process.memoryUsage().rss });
});
process.send({ ready: true });
