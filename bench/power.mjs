#!/usr/bin/env node
/**
 * tsplay power in the lab with the real Slurm 22.05: time from slurmctld's ResumeProgram call to the node
 * registered, by step. Runs the main cycle of test/e2e/power-cycle.test.ts (its lab: ctl + cloud1/cloud2,
 * the az RECORDING STAND-IN) --runs times and prints each step's seconds (median, min, max). Figures only.
 *
 *   npm run build && node bench/power.mjs [--runs 3]
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
