#!/usr/bin/env node
/**
 * tsplay vs ansible-playbook on the same lab hosts: the 10-task bench/playbook.yml on 1, 10 and 50 hosts,
 * first run (from a clean state) and no-op run, plus the OpenSSH floor (one `ssh host sudo -n true` per
 * host, all in parallel). Prints times and ratios. No assertions: figures only.
 *
 *   npm run bench [-- --sizes 1,10,50] [--runs 3] [--no-ansible] [--keep]
 *
 * Ansible runs with Debian's ansible-core, forks 50, pipelining on, gathering off (env ANSIBLE_*).
 * Each tool works in its own directory on the hosts (/opt/bench-tsplay, /opt/bench-ansible).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAB = 'bench';
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = opt('--sizes', '1,10,50').split(',').map(Number);
const runs = Number(opt('--runs', '1'));
const withAnsible = !args.includes('--no-ansible') && spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
const maxHosts = Math.max(...sizes);

function sh(cmd, argv, env = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: ROOT, env: { TSPLAY_PERSIST: '0', ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => resolve({ code, out, secs: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}

function changedTotal(out) {
  const i = out.lastIndexOf('PLAY RECAP');
  let changed = 0;
  let failed = 0;
  for (const m of out.slice(i).matchAll(/changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)) {
    changed += Number(m[1]);
    failed += Number(m[2]) + Number(m[3]);
  }
  return { changed, failed };
}

const lab = (argv) => sh(process.execPath, [join(ROOT, 'bin/tsplay.js'), 'lab', ...argv]);

async function main() {
  console.log(`# tsplay benchmark — ${new Date().toISOString()}, ${(await sh('nproc', [])).out.trim()} CPUs`);
  const up = await lab(['up', '--name', LAB, '--sudo', 'nopasswd', String(maxHosts)]);
  if (up.code !== 0) throw new Error(`lab up failed:\n${up.out}`);
  const inv = (await lab(['inventory', '--name', LAB, '--path'])).out.trim();
  const ansibleEnv = {
    ANSIBLE_FORKS: '50',
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_GATHERING: 'explicit',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_LOCALHOST_WARNING: 'False',
  };
  const rows = [];
  try {
    for (const n of sizes) {
      const limit = Array.from({ length: n }, (_, i) => `node${i + 1}`).join(',');
      const clean = async (dir) => {
        await Promise.all(Array.from({ length: n }, (_, i) => lab(['exec', '--name', LAB, `node${i + 1}`, `rm -rf ${dir}`])));
      };
      const row = { n };
      for (let r = 0; r < runs; r++) {
        const floor = await sh(process.execPath, [join(ROOT, 'bench/floor.mjs'), inv, '--hosts', String(n)]);
        const fm = /([\d.]+)\s*s/.exec(floor.out.split('\n').filter(Boolean).pop() ?? '');
        row.floor = Math.min(row.floor ?? Infinity, fm ? Number(fm[1]) : floor.secs);

        await clean('/opt/bench-tsplay');
        const tArgs = [join(ROOT, 'bin/tsplay.js'), 'run', 'bench/playbook.yml', '-i', inv, '-l', limit, '-e', 'bench_dir=/opt/bench-tsplay'];
        const t1 = await sh(process.execPath, tArgs);
        const t2 = await sh(process.execPath, tArgs);
        check('tsplay', n, t1, t2);
        row.tFirst = Math.min(row.tFirst ?? Infinity, t1.secs);
        row.tNoop = Math.min(row.tNoop ?? Infinity, t2.secs);

        if (withAnsible) {
          await clean('/opt/bench-ansible');
          const aArgs = ['bench/playbook.yml', '-i', inv, '-l', limit, '-e', 'bench_dir=/opt/bench-ansible'];
          const a1 = await sh('ansible-playbook', aArgs, ansibleEnv);
          const a2 = await sh('ansible-playbook', aArgs, ansibleEnv);
          check('ansible', n, a1, a2);
          row.aFirst = Math.min(row.aFirst ?? Infinity, a1.secs);
          row.aNoop = Math.min(row.aNoop ?? Infinity, a2.secs);
        }
      }
      rows.push(row);
      print(rows);
    }
  } finally {
    if (!args.includes('--keep')) await lab(['down', '--name', LAB]);
  }
}

function check(tool, n, first, noop) {
  const f = changedTotal(first.out);
  const z = changedTotal(noop.out);
  if (first.code !== 0 || noop.code !== 0 || f.failed || z.failed) {
    console.error(`${tool} on ${n} hosts failed (exit ${first.code}/${noop.code}):\n${first.out.slice(-3000)}\n${noop.out.slice(-3000)}`);
    process.exitCode = 1;
  }
  if (f.changed !== 10 * n) console.error(`note: ${tool} first run on ${n} hosts changed ${f.changed} (expected ${10 * n})`);
  if (z.changed !== 0) console.error(`note: ${tool} no-op run on ${n} hosts changed ${z.changed} (expected 0)`);
}

function print(rows) {
  const f = (x) => (x === undefined ? '-' : x.toFixed(2));
  const r = (a, b) => (a === undefined || b === undefined ? '-' : (a / b).toFixed(1) + 'x');
  console.log(
    '\nhosts | floor s | tsplay first | tsplay no-op | ansible first | ansible no-op | ansible/tsplay first | ansible/tsplay no-op | tsplay no-op/floor',
  );
  console.log(
    '----- | ------- | ------------ | ------------ | ------------- | ------------- | -------------------- | -------------------- | ------------------',
  );
  for (const x of rows) {
    console.log(
      `${String(x.n).padStart(5)} | ${f(x.floor).padStart(7)} | ${f(x.tFirst).padStart(12)} | ${f(x.tNoop).padStart(12)} | ${f(x.aFirst).padStart(13)} | ${f(x.aNoop).padStart(13)} | ${r(x.aFirst, x.tFirst).padStart(20)} | ${r(x.aNoop, x.tNoop).padStart(20)} | ${r(x.tNoop, x.floor).padStart(18)}`,
    );
  }
}

await main();
