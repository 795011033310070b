#!/usr/bin/env node
/**
 * Warm connections across runs (--persist): the 10-task bench/playbook.yml no-op run on N lab hosts, side by
 * side in one run: the OpenSSH floor (bench/floor.mjs), tsplay cold (direct connections, --no-persist),
 * tsplay warm (attached to the connection holder a previous run left), and Ansible's no-op run, itself warm
 * (its ControlPersist masters from the run before; forks = hosts, pipelining). Figures only.
 *
 *   node bench/persist.mjs [--hosts 50] [--no-ansible] [--keep]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAB = 'bench-persist';
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const n = Number(opt('--hosts', '50'));
const withAnsible = !args.includes('--no-ansible') && spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
const persistDir = mkdtempSync(join(tmpdir(), 'tsplay-bench-persist-'));

function sh(cmd, argv, env = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, TSPLAY_PERSIST_DIR: persistDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => resolve({ code, out, secs: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}
const tsplay = (argv) => sh(process.execPath, [join(ROOT, 'bin/tsplay.js'), ...argv]);
const ok = (what, r) => {
  if (r.code !== 0) {
    console.error(`${what} failed (exit ${r.code}):\n${r.out.slice(-3000)}`);
    process.exitCode = 1;
  }
  return r.secs;
};

async function main() {
  const load = (await sh('cat', ['/proc/loadavg'])).out.trim();
  console.log(`# tsplay --persist benchmark — ${new Date().toISOString()}, ${(await sh('nproc', [])).out.trim()} CPUs, load ${load}, ${n} hosts`);
  const up = await tsplay(['lab', 'up', '--name', LAB, '--sudo', 'nopasswd', String(n)]);
  if (up.code !== 0) throw new Error(`lab up failed:\n${up.out}`);
  const inv = (await tsplay(['lab', 'inventory', '--name', LAB, '--path'])).out.trim();
  const row = {};
  try {
    const floor = await sh(process.execPath, [join(ROOT, 'bench/floor.mjs'), inv, '--hosts', String(n)]);
    const fm = /([\d.]+)\s*s/.exec(floor.out.split('\n').filter(Boolean).pop() ?? '');
    row.floor = fm ? Number(fm[1]) : floor.secs;
    const pb = ['run', 'bench/playbook.yml', '-i', inv, '-e', 'bench_dir=/opt/bench-tsplay', '-f', String(n)];
    ok('tsplay first run', await tsplay([...pb, '--no-persist']));
    row.cold = ok('tsplay cold no-op', await tsplay([...pb, '--no-persist']));
    row.coldPersist = ok('tsplay cold no-op starting the holder', await tsplay([...pb, '--persist', '120']));
    const warm = [];
    for (let i = 0; i < 3; i++) warm.push(ok('tsplay warm no-op', await tsplay([...pb, '--persist', '120'])));
    row.warm = Math.min(...warm);
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
      ok('ansible first run', await sh('ansible-playbook', aArgs, env));
      row.ansible = ok('ansible warm no-op', await sh('ansible-playbook', aArgs, env));
    }
  } finally {
    await tsplay(['persist', 'stop']);
    if (!args.includes('--keep')) await tsplay(['lab', 'down', '--name', LAB]);
  }
  const f = (x) => (x === undefined ? '-' : x.toFixed(2));
  const r = (a, b) => (a === undefined || b === undefined ? '-' : (a / b).toFixed(1) + 'x');
  console.log(
    '\nhosts | floor s | tsplay cold no-op | cold, starting holder | tsplay warm no-op | ansible warm no-op | ansible/warm | cold/floor | warm/floor',
  );
  console.log('----- | ------- | ----------------- | --------------------- | ----------------- | ------------------ | ------------ | ---------- | ----------');
  console.log(
    [
      n,
      f(row.floor),
      f(row.cold),
      f(row.coldPersist),
      f(row.warm),
      f(row.ansible),
      r(row.ansible, row.warm),
      r(row.cold, row.floor),
      r(row.warm, row.floor),
    ].join(' | '),
  );
}

await main();
