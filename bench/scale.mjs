#!/usr/bin/env node
/**
 * Scale: the 10-task bench/playbook.yml no-op run at 1, 10, 50 and 200 lab hosts (200 is a lab's maximum;
 * a larger size, e.g. --sizes 400,1000, starts several labs, each on its own bridge and subnet, and runs
 * against one inventory that joins them: each lab's hosts in their own group with that lab's key and
 * known_hosts),  * side by side per size: the OpenSSH floor (bench/floor.mjs), tsplay cold (direct connections, --no-persist),
 * tsplay warm (attached to the connection holder the run before left, --persist), Ansible's no-op run at
 * forks = hosts, itself warm (ControlPersist masters from the run before, pipelining; --no-ansible skips it),
 * and what the controller spent: peak RSS of the run (and of the holder, which keeps the connections for
 * warm runs), CPU seconds per host (user + system; warm = run + holder). Figures only; the machine's load
 * average is printed beside each size (shared machines make big runs noisy).
 *
 *   node bench/scale.mjs [--sizes 1,10,50,200] [--no-ansible] [--warm-runs 3] [--keep]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAB = `${process.env.TSPLAY_TEST_LAB_PREFIX ?? ''}bench-scale`;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = opt('--sizes', '1,10,50,200').split(',').map(Number);
const warmRuns = Number(opt('--warm-runs', '3'));
const withAnsible = !args.includes('--no-ansible') && spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
const TIME = '/usr/bin/time';
const haveTime = spawnSync('sh', ['-c', `test -x ${TIME}`]).status === 0;
const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

/** Run a command (under /usr/bin/time when there is one: peak RSS, user and system seconds). */
function sh(cmd, argv, env = {}) {
  const tfile = join(tmpdir(), `tsplay-scale-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [c, a] = haveTime ? [TIME, ['-o', tfile, '-f', '%M %U %S', cmd, ...argv]] : [cmd, argv];
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(c, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      let rssMiB, cpu;
      try {
        const [kb, u, s] = readFileSync(tfile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        rssMiB = kb / 1024;
        cpu = u + s;
        rmSync(tfile, { force: true });
      } catch {
        /* no /usr/bin/time */
      }
      resolve({ code, out, secs, rssMiB, cpu });
    });
  });
}

function failed(what, r) {
  if (r.code !== 0) {
    console.error(`${what} failed (exit ${r.code}):\n${r.out.slice(-3000)}`);
    process.exitCode = 1;
  }
  return r;
}

/** The holder's pid, CPU seconds so far and peak RSS (from /proc). */
function holderStats(dir) {
  try {
    const pid = Number(readFileSync(join(dir, 'holder.pid'), 'utf8').trim());
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / TICK;
    const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { pid, cpu, rssMiB: hwm ? Number(hwm[1]) / 1024 : undefined };
  } catch {
    return undefined;
  }
}

/** A lab holds at most this many hosts; a larger size is several labs. */
const LAB_MAX = 200;

/** Labs for n hosts: the first is LAB with node1..nodeK, the others LAB-2... with hosts l2n1... (unique names). */
function labsFor(n) {
  const count = Math.ceil(n / LAB_MAX);
  return Array.from({ length: count }, (_, j) => {
    const size = Math.floor(n / count) + (j < n % count ? 1 : 0);
    const name = j === 0 ? LAB : `${LAB}-${j + 1}`;
    const hosts = j === 0 ? [String(size)] : Array.from({ length: size }, (_, i) => `l${j + 1}n${i + 1}`);
    return { name, hosts };
  });
}

/** One inventory for several labs: each lab's hosts under a group of its own, with its own connection vars. */
function joinedInventory(files, dir) {
  const children = {};
  files.forEach((file, j) => {
    const all = parse(readFileSync(file, 'utf8')).all;
    const sub = {};
    for (const [g, grp] of Object.entries(all.children ?? {})) sub[`lab${j + 1}_${g}`] = grp;
    children[`lab${j + 1}`] = { vars: all.vars, children: sub };
  });
  const file = join(dir, 'inventory.yml');
  writeFileSync(file, stringify({ all: { children } }, { lineWidth: 0 }));
  return file;
}

async function measure(n) {
  const persistDir = mkdtempSync(join(tmpdir(), 'tsplay-bench-scale-'));
  const tsplay = (argv) => sh(process.execPath, [join(ROOT, 'bin/tsplay.js'), ...argv], { TSPLAY_PERSIST_DIR: persistDir });
  const row = { n, load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
  const labs = labsFor(n);
  const files = [];
  try {
    for (const lab of labs) {
      const up = await tsplay(['lab', 'up', '--name', lab.name, '--sudo', 'nopasswd', ...lab.hosts]);
      if (up.code !== 0) throw new Error(`lab up ${lab.name} failed:\n${up.out}`);
      files.push((await tsplay(['lab', 'inventory', '--name', lab.name, '--path'])).out.trim());
    }
    const inv = files.length === 1 ? files[0] : joinedInventory(files, persistDir);
    const floor = await sh(process.execPath, [join(ROOT, 'bench/floor.mjs'), inv, '--hosts', String(n)]);
    const fm = /([\d.]+)\s*s/.exec(floor.out.split('\n').filter(Boolean).pop() ?? '');
    row.floor = fm ? Number(fm[1]) : floor.secs;
    const pb = ['run', 'bench/playbook.yml', '-i', inv, '-e', 'bench_dir=/opt/bench-tsplay', '-f', String(n)];
    failed('tsplay first run', await tsplay([...pb, '--no-persist']));
    const cold = failed('tsplay cold no-op', await tsplay([...pb, '--no-persist']));
    Object.assign(row, { cold: cold.secs, coldRss: cold.rssMiB, coldCpu: cold.cpu });
    failed('tsplay no-op starting the holder', await tsplay([...pb, '--persist', '120']));
    let best;
    for (let i = 0; i < warmRuns; i++) {
      const before = holderStats(persistDir);
      const r = failed('tsplay warm no-op', await tsplay([...pb, '--persist', '120']));
      const after = holderStats(persistDir);
      const cpu = r.cpu === undefined ? undefined : r.cpu + (before && after && before.pid === after.pid ? after.cpu - before.cpu : 0);
      if (!best || r.secs < best.secs) best = { secs: r.secs, rss: r.rssMiB, cpu, holderRss: after?.rssMiB };
    }
    Object.assign(row, { warm: best.secs, warmRss: best.rss, warmCpu: best.cpu, holderRss: best.holderRss });
    await tsplay(['persist', 'stop']);
    if (withAnsible) {
      const env = {
        ANSIBLE_FORKS: String(n),
        ANSIBLE_PIPELINING: 'True',
        ANSIBLE_GATHERING: 'explicit',
        ANSIBLE_HOST_KEY_CHECKING: 'True',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
        ANSIBLE_RETRY_FILES_ENABLED: 'False',
        ANSIBLE_SSH_ARGS: '-C -o ControlMaster=auto -o ControlPersist=60s',
      };
      const aArgs = ['bench/playbook.yml', '-i', inv, '-e', 'bench_dir=/opt/bench-ansible'];
      failed('ansible first run', await sh('ansible-playbook', aArgs, env));
      row.ansible = failed('ansible warm no-op', await sh('ansible-playbook', aArgs, env)).secs;
    }
  } finally {
    await tsplay(['persist', 'stop']);
    rmSync(persistDir, { recursive: true, force: true });
    if (!args.includes('--keep')) for (const lab of labs) await tsplay(['lab', 'down', '--name', lab.name]);
  }
  return row;
}

const f = (x, d = 2) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const ratio = (a, b) => (a === undefined || b === undefined ? '-' : (a / b).toFixed(2) + 'x');
console.log(`# tsplay scale benchmark — ${new Date().toISOString()}, ${spawnSync('nproc').stdout.toString().trim()} CPUs, warm = best of ${warmRuns}`);
const head =
  'hosts | load (1/5/15 min) | floor s | tsplay cold s | tsplay warm s | ansible warm s | cold/floor | warm/floor | ansible/warm | ' +
  'cold peak RSS MiB | warm run RSS MiB | holder RSS MiB | cold CPU s/host | warm CPU s/host';
const rows = [];
for (const n of sizes) {
  const r = await measure(n);
  rows.push(r);
  console.log(`${n} hosts done: ${JSON.stringify(r)}`);
}
console.log('\n' + head);
console.log(head.replace(/[^|]/g, '-'));
for (const r of rows)
  console.log(
    [
      r.n,
      r.load,
      f(r.floor),
      f(r.cold),
      f(r.warm),
      f(r.ansible),
      ratio(r.cold, r.floor),
      ratio(r.warm, r.floor),
      ratio(r.ansible, r.warm),
      f(r.coldRss, 0),
      f(r.warmRss, 0),
      f(r.holderRss, 0),
      f(r.coldCpu / r.n, 3),
      f(r.warmCpu / r.n, 3),
    ].join(' | '),
  );
