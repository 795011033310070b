/**
 * Runs fuzz cases through the built CLI and judges each answer. Each slot has its own copy of the tree (so a
 * mutated file never leaks into another case) and one executor process (fuzz-child.mjs) that runs main(argv)
 * in-process, case after case; a case that outlives the timeout is a hang: its process is killed and replaced.
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FIFO, FUZZ_INVENTORY, ROOT_MARK, TREE_DIRS, makeCase, readTree, subjects, type FuzzCase, type Write } from './fuzz-gen.js';

export type Outcome = number | 'hang' | 'crash' | 'threw';

export interface CaseResult {
  c: FuzzCase;
  code: Outcome;
  stdout: string;
  stderr: string;
  ms: number;
  rss: number;
  problems: string[];
}

export interface FuzzSummary {
  cases: number;
  byCode: Record<string, number>;
  byProblem: Record<string, number>;
  failures: CaseResult[];
  results: CaseResult[];
  wallMs: number;
  meanMs: number;
  maxMs: number;
  slowest: { id: number; ms: number; mutation: string; subject: string }[];
  maxRssMiB: number;
}

export interface FuzzOptions {
  repoRoot: string;
  seed: number;
  cases: number;
  slots?: number;
  timeoutMs?: number;
  /** first case id (to reproduce one case: start=id, cases=1) */
  start?: number;
}

const ALLOWED_CODES = new Set([0, 1, 2, 4, 5]);
/** Words that mean an internal error reached the user. */
const JS_WORDING =
  /Maximum call stack|Cannot read propert|Cannot set propert|\[object [A-Z]|Symbol\(|undefined is not|is not a function|is not iterable|TypeError|RangeError|ReferenceError|unexpected error|Invalid string length|out of memory|\n\s+at .*:\d+:\d+\)?\n/;
/** A load error names its place: "file:line:col: ..." */
const POSITIONED = /^ERROR! \S+?:\d+:\d+: /;
/** ... or, when the file itself is the problem (not its content), names the file first. */
const FILE_LEVEL = /^ERROR! \S+: (?:is a directory, not a file|not a regular file \(|too large \(|cannot be read: )/;

/** What is wrong with one answer (nothing, for a good one). */
export function judge(code: Outcome, stdout: string, stderr: string, timeoutMs: number): string[] {
  const p: string[] = [];
  if (code === 'hang') p.push(`hang (killed after ${timeoutMs / 1000} s)`);
  else if (code === 'crash') p.push('crash');
  else if (code === 'threw') p.push('main() threw');
  else if (!ALLOWED_CODES.has(code)) p.push(`exit code ${code}`);
  const all = stdout + '\n' + stderr;
  const js = JS_WORDING.exec(all);
  if (js) p.push(`JavaScript wording: ${js[0].trim()}`);
  if (code === 4) {
    const unplaced = stderr.split('\n').filter((l) => l.startsWith('ERROR! ') && !POSITIONED.test(l) && !FILE_LEVEL.test(l));
    if (unplaced.length) p.push(`load error without file:line: ${unplaced[0]!.slice(0, 160)}`);
  }
  return p;
}

class Slot {
  child?: ChildProcess;
  ready?: Promise<void>;
  constructor(
    readonly root: string,
    private readonly repoRoot: string,
  ) {}

  start(): void {
    const child = fork(join(import.meta.dirname, 'fuzz-child.mjs'), [this.repoRoot], {
      cwd: this.root,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: ['--max-old-space-size=1024'],
    });
    child.stdout?.resume();
    child.stderr?.resume();
    this.child = child;
    this.ready = new Promise((res, rej) => {
      child.once('message', () => res());
      child.once('exit', (c) => rej(new Error(`fuzz executor exited (${c}) before it was ready`)));
    });
  }

  async run(c: FuzzCase, timeoutMs: number): Promise<Omit<CaseResult, 'problems' | 'c'>> {
    if (!this.child) this.start();
    await this.ready;
    const child = this.child!;
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Omit<CaseResult, 'problems' | 'c'>, kill: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
        if (kill) {
          child.kill('SIGKILL');
          this.child = undefined;
        }
        resolve(r);
      };
      const t0 = performance.now();
      const timer = setTimeout(() => finish({ code: 'hang', stdout: '', stderr: '', ms: performance.now() - t0, rss: 0 }, true), timeoutMs);
      const onMsg = (m: { id?: number; crash?: string; code?: number | 'threw'; stdout: string; stderr: string; ms?: number; rss?: number }) => {
        if (m.crash) return finish({ code: 'crash', stdout: m.stdout, stderr: m.stderr + '\n' + m.crash, ms: performance.now() - t0, rss: 0 }, true);
        if (m.id !== c.id) return;
        finish({ code: m.code!, stdout: m.stdout, stderr: m.stderr, ms: m.ms!, rss: m.rss! }, false);
      };
      const onExit = (code: number | null, sig: string | null) => {
        this.child = undefined;
        finish({ code: 'crash', stdout: '', stderr: `executor died: ${sig ?? code}`, ms: performance.now() - t0, rss: 0 }, false);
      };
      child.on('message', onMsg);
      child.on('exit', onExit);
      child.send({ id: c.id, argv: c.argv, cwd: this.root });
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

function makeTree(repoRoot: string): string {
  const root = mkdtempSync(join(tmpdir(), 'tsplay-fuzz-'));
  for (const d of TREE_DIRS) cpSync(join(repoRoot, d), join(root, d), { recursive: true });
  writeFileSync(join(root, FUZZ_INVENTORY.path), FUZZ_INVENTORY.text);
  execFileSync('mkfifo', [join(root, FIFO)]);
  return root;
}

function put(root: string, w: Write): void {
  const p = join(root, w.path);
  rmSync(p, { recursive: true, force: true });
  mkdirSync(dirname(p), { recursive: true });
  if (Buffer.isBuffer(w.data)) {
    const withRoot = w.data.includes(ROOT_MARK) ? Buffer.from(w.data.toString('latin1').split(ROOT_MARK).join(root), 'latin1') : w.data;
    writeFileSync(p, withRoot);
    return;
  }
  switch (w.data.special) {
    case 'fifo':
      execFileSync('mkfifo', [p]);
      break;
    case 'dev-zero':
      symlinkSync('/dev/zero', p);
      break;
    case 'dev-urandom':
      symlinkSync('/dev/urandom', p);
      break;
    case 'directory':
      mkdirSync(p);
      break;
  }
}

function restore(root: string, w: Write, originals: Map<string, Buffer>): void {
  const p = join(root, w.path);
  rmSync(p, { recursive: true, force: true });
  const orig = originals.get(w.path) ?? (w.path === FUZZ_INVENTORY.path ? Buffer.from(FUZZ_INVENTORY.text) : undefined);
  if (orig) writeFileSync(p, orig);
}

/** Run `cases` cases from `seed` on `slots` executors; returns the summary (failures with their output). */
export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const slots = o.slots ?? 2;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const originals = readTree(o.repoRoot);
  originals.set(FUZZ_INVENTORY.path, Buffer.from(FUZZ_INVENTORY.text));
  const tree0 = makeTree(o.repoRoot);
  const subs = subjects(tree0);
  rmSync(tree0, { recursive: true, force: true });
  const pool = Array.from({ length: slots }, () => new Slot(makeTree(o.repoRoot), o.repoRoot));
  const results: CaseResult[] = [];
  const start = o.start ?? 0;
  let next = start;
  const t0 = performance.now();
  try {
    await Promise.all(
      pool.map(async (slot) => {
        while (next < start + o.cases) {
          const c = makeCase(o.seed, next++, subs, originals);
          for (const w of c.writes) put(slot.root, w);
          const r = await slot.run(c, timeoutMs);
          for (const w of c.writes) restore(slot.root, w, originals);
          results.push({ c, ...r, problems: judge(r.code, r.stdout, r.stderr, timeoutMs) });
        }
      }),
    );
  } finally {
    for (const s of pool) {
      s.stop();
      rmSync(s.root, { recursive: true, force: true });
    }
  }
  results.sort((a, b) => a.c.id - b.c.id);
  const byCode: Record<string, number> = {};
  const byProblem: Record<string, number> = {};
  for (const r of results) {
    byCode[String(r.code)] = (byCode[String(r.code)] ?? 0) + 1;
    for (const p of r.problems) {
      const kind = p.replace(/:.*$/s, '');
      byProblem[kind] = (byProblem[kind] ?? 0) + 1;
    }
  }
  const timed = results.filter((r) => typeof r.code === 'number');
  return {
    cases: results.length,
    byCode,
    byProblem,
    failures: results.filter((r) => r.problems.length),
    results,
    wallMs: performance.now() - t0,
    meanMs: timed.reduce((s, r) => s + r.ms, 0) / Math.max(1, timed.length),
    maxMs: Math.max(0, ...timed.map((r) => r.ms)),
    slowest: [...results]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((r) => ({ id: r.c.id, ms: Math.round(r.ms), mutation: r.c.mutation, subject: r.c.subject })),
    maxRssMiB: Math.round(Math.max(0, ...results.map((r) => r.rss)) / 2 ** 20),
  };
}

/** The summary as printed lines. */
export function formatSummary(s: FuzzSummary, seed: number): string {
  const lines = [
    `fuzz: seed ${seed}, ${s.cases} cases in ${(s.wallMs / 1000).toFixed(1)} s (mean ${s.meanMs.toFixed(0)} ms, max ${s.maxMs.toFixed(0)} ms per case, executor RSS max ${s.maxRssMiB} MiB)`,
    `  by exit code: ${Object.entries(s.byCode)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `  problems: ${
      Object.entries(s.byProblem)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none'
    }`,
    `  slowest: ${s.slowest.map((x) => `#${x.id} ${x.ms} ms (${x.mutation})`).join('; ')}`,
  ];
  for (const f of s.failures.slice(0, 40)) {
    lines.push(`  FAIL #${f.c.id} [${f.c.subject}] ${f.c.mutation}: ${f.problems.join('; ')}`);
    const first = (f.stderr || f.stdout).split('\n').filter(Boolean).slice(0, 3).join(' | ');
    if (first) lines.push(`      ${first.slice(0, 300)}`);
  }
  return lines.join('\n');
}
