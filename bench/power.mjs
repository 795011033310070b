#!/usr/bin/env node
/**
 * tsplay power in the lab with the real Slurm 22.05: time from slurmctld's ResumeProgram call to the node
 * registered, by step. Figures only (no assertion anywhere).
 *
 *   npm run build && node bench/power.mjs [--runs 3]      the main cycle of test/e2e/power-cycle.test.ts
 *                                                         (ctl + cloud1/cloud2, az RECORDING STAND-IN), per step
 *   npm run build && node bench/power.mjs --burst 1,5,10  a lab of N Azure nodes per size; one job -N N, so
 *                                                         slurmctld calls `tsplay power resume cloud[1-N]` once;
 *                                                         per step, seconds from that call (median/max over nodes)
 *
 * Needs root (the lab) and the lab image (`node bin/tsplay.js lab image`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 1);
const burst = args.includes('--burst') ? args[args.indexOf('--burst') + 1].split(',').map(Number) : undefined;
if (burst) {
  await burstBench(burst);
  process.exit(0);
}

function cycle(out) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', 'test/e2e/power-cycle.test.ts', '-t', 'sbatch'], {
      cwd: ROOT,
      env: { ...process.env, TSPLAY_POWER_TIMELINE: out, TSPLAY_TEST_LAB_PREFIX: process.env.TSPLAY_TEST_LAB_PREFIX ?? 'pwb' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (b) => (log += b));
    child.stderr.on('data', (b) => (log += b));
    child.on('close', (code) => resolve({ code, log }));
  });
}

// the spans reported: [label, from event, to event]
const SPANS = [
  ['slurmctld call → launcher returned', 'slurmctld calls tsplay power resume', 'worker detached (launcher returns)'],
  ['call → az vm start sent', 'slurmctld calls tsplay power resume', 'az vm start'],
  ['az vm start → PowerState/running', 'az vm start', 'VM PowerState/running'],
  ['running → sshd answers', 'VM PowerState/running', 'sshd answers'],
  ['sshd → playbook done (slurmd started)', 'sshd answers', 'cloud-node playbook done (slurmd started)'],
  ['playbook done → slurmd registered', 'cloud-node playbook done (slurmd started)', 'slurmd registered (node no longer POWERING_UP)'],
  ['call → node registered (total)', 'slurmctld calls tsplay power resume', 'slurmd registered (node no longer POWERING_UP)'],
  ['sbatch → slurmctld call', 'sbatch -p cloud', 'slurmctld calls tsplay power resume'],
  ['suspend call → VM deallocated (verified)', 'slurmctld calls tsplay power suspend', 'VM PowerState/deallocated (verified)'],
];

const results = [];
for (let i = 0; i < runs; i++) {
  const out = join(mkdtempSync(join(tmpdir(), 'tsplay-power-bench-')), 'timeline.json');
  const r = await cycle(out);
  if (r.code !== 0 || !existsSync(out)) {
    process.stderr.write(`run ${i + 1} failed (rc ${r.code}):\n${r.log.slice(-4000)}\n`);
    process.exit(1);
  }
  const t = JSON.parse(readFileSync(out, 'utf8'));
  const at = (what) => t.events.find((e) => e.what.startsWith(what))?.s;
  results.push(SPANS.map(([, a, b]) => (at(a) !== undefined && at(b) !== undefined ? at(b) - at(a) : NaN)));
  process.stdout.write(`run ${i + 1}: call → registered ${results.at(-1)[6].toFixed(2)} s\n`);
}
const med = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
process.stdout.write(`\ntsplay power, lab (Slurm 22.05, az stand-in), ${runs} run(s): seconds\n`);
process.stdout.write(`${'step'.padEnd(44)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}\n`);
SPANS.forEach(([label], j) => {
  const xs = results.map((r) => r[j]);
  const f = (x) => (Number.isNaN(x) ? '-' : x.toFixed(2)).padStart(7);
  process.stdout.write(`${label.padEnd(44)} ${f(med(xs))} ${f(Math.min(...xs))} ${f(Math.max(...xs))}\n`);
});

/** The lab driver (test/e2e/power-lab.ts) bundled next to dist/, so that plain node can load it. */
async function labModule() {
  const out = join(ROOT, 'dist', 'bench-power-lab.mjs');
  const { build } = await import('esbuild');
  await build({
    stdin: {
      contents: "export { PowerLab } from './test/e2e/power-lab.ts'; export { stopLab } from './test/harness/lab.ts';",
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: out,
    logLevel: 'error',
  });
  return import(out);
}

async function burstBench(sizes) {
  const { PowerLab, stopLab } = await labModule();
  const STEPS = ['start', 'wait-running', 'ssh', 'playbook'];
  const rows = [];
  for (const n of sizes) {
    const tLab = Date.now();
    const pl = await PowerLab.start({ nodes: n, aws: false, concurrency: n, resumeTimeout: 600, resumeDeadline: 540 });
    process.stdout.write(`lab of ${n} node(s) up in ${((Date.now() - tLab) / 1000).toFixed(0)} s\n`);
    try {
      const t0 = Date.now();
      const job = await pl.submit(`-p cloud -N ${n} --wrap 'hostname'`);
      const nodes = pl.azureNodes;
      const reg = new Map();
      await pl.until(
        `${n} nodes registered`,
        600_000,
        async () => {
          const out = await pl.x('ctl', 'scontrol -o show node', { ok: true });
          for (const l of out.split('\n')) {
            const name = /NodeName=(\S+)/.exec(l)?.[1];
            const st = /\bState=(\S+)/.exec(l)?.[1] ?? '';
            if (name && nodes.includes(name) && !reg.has(name) && !/POWERING_UP|POWERED_DOWN|DOWN/.test(st)) reg.set(name, Date.now());
          }
          return reg.size === n;
        },
        300,
      );
      await pl.until(`job ${job} to complete`, 120_000, async () => ['COMPLETED', 'GONE'].includes((await pl.job(job)).state));
      const log = (await pl.powerLog()).filter((r) => Date.parse(r.t) >= t0);
      const call = log.find((r) => r.op === 'resume' && r.step === 'call');
      const tc = Date.parse(call.t);
      const calls = log.filter((r) => r.op === 'resume' && r.step === 'call').length;
      const per = (step) =>
        nodes
          .map((x) => log.find((r) => r.op === 'resume' && r.node === x && r.step === step && r.outcome === 'ok'))
          .map((r) => (r ? (Date.parse(r.t) - tc) / 1000 : NaN));
      const row = { n, calls, sbatch: (tc - t0) / 1000, steps: {} };
      for (const st of STEPS) row.steps[st] = per(st);
      row.steps['registered'] = nodes.map((x) => (reg.has(x) ? (reg.get(x) - tc) / 1000 : NaN));
      rows.push(row);
      process.stdout.write(`N=${n}: ${calls} resume call(s); last node registered ${Math.max(...row.steps.registered).toFixed(1)} s after the call\n`);
    } finally {
      await pl.stop();
      await stopLab(`power${n === 2 ? '' : n}`);
    }
  }
  const cols = ['start', 'wait-running', 'ssh', 'playbook', 'registered'];
  const label = { start: 'start sent', 'wait-running': 'VM running', ssh: 'sshd answers', playbook: 'playbook done', registered: 'slurmd registered' };
  process.stdout.write(
    "\ntsplay power, lab (Slurm 22.05, az stand-in): seconds from slurmctld's resume call to the end of each step, median / max over the N nodes\n",
  );
  process.stdout.write(`${'N'.padStart(3)}  ${'calls'.padStart(5)}  ${cols.map((c) => label[c].padStart(17)).join('  ')}\n`);
  const f = (xs) => {
    const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    return s.length ? `${s[Math.floor((s.length - 1) / 2)].toFixed(1)} / ${s.at(-1).toFixed(1)}` : '-';
  };
  for (const r of rows)
    process.stdout.write(`${String(r.n).padStart(3)}  ${String(r.calls).padStart(5)}  ${cols.map((c) => f(r.steps[c]).padStart(17)).join('  ')}\n`);
}
