#!/usr/bin/env node
/**
 * What a task costs when tsplay runs the Ansible module itself (no native module: ansible-core on the controller
 * builds the AnsiballZ payload, the target's python3 runs it over the persistent shell) against a native module,
 * and the same tasks under ansible-playbook (pipelining, ControlPersist). On one lab host: a play of N idempotent
 * tasks, run once to converge and then timed (best of 3) without and with the N tasks; the difference / N is the
 * per-task cost. Figures only.
 *
 *   npm run build && node bench/ansible-module.mjs [--tasks 20] [--no-ansible] [--keep]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAB = `${process.env.TSPLAY_TEST_LAB_PREFIX ?? ''}bench-ansmod`;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const N = Number(opt('--tasks', '20'));
const withAnsible = !args.includes('--no-ansible') && spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
const work = mkdtempSync(join(tmpdir(), 'tsplay-bench-ansmod-'));
for (const d of ['library', 'module_utils']) symlinkSync(join(ROOT, 'test/fixtures/ansible-module/roles/marker', d), join(work, d));

function sh(cmd, argv, env = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => resolve({ code, out, secs: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}
const tsplay = (argv) => sh(process.execPath, [join(ROOT, 'bin/tsplay.js'), ...argv]);
const ansibleEnv = {
  ANSIBLE_PIPELINING: 'True',
  ANSIBLE_HOST_KEY_CHECKING: 'True',
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  ANSIBLE_RETRY_FILES_ENABLED: 'False',
  ANSIBLE_SSH_ARGS: '-C -o ControlMaster=auto -o ControlPersist=60s',
};

/** A play of n copies of `task` (YAML, one mapping), as root on node1. */
function playbook(name, task, n) {
  const f = join(work, `${name}-${n}.yml`);
  const tasks = Array.from({ length: n }, (_, i) => `    - name: t${i}\n      ${task}\n`).join('');
  writeFileSync(f, `- hosts: node1\n  gather_facts: false\n  become: true\n  tasks:\n    - debug: { msg: start }\n${tasks}`);
  return f;
}

const KINDS = {
  'native lineinfile': 'lineinfile: { path: /etc/bench-native.conf, line: cloud=on, create: true }',
  'Ansible module (library/ tsplay_marker)': 'tsplay_marker: { path: /etc/bench-marker.conf, line: cloud=on }',
  'Ansible module ansible.builtin.known_hosts': `known_hosts: { path: /etc/bench_known_hosts, name: gw.example, key: "gw.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" }`,
};

async function best(run, what) {
  const t = [];
  for (let i = 0; i < 3; i++) {
    const r = await run();
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.out.slice(-3000)}`);
    t.push(r.secs);
  }
  return Math.min(...t);
}

async function main() {
  const load = (await sh('cat', ['/proc/loadavg'])).out.trim();
  console.log(`# Ansible modules in tsplay — ${new Date().toISOString()}, ${(await sh('nproc', [])).out.trim()} CPUs, load ${load}, ${N} tasks per play`);
  const up = await tsplay(['lab', 'up', '--name', LAB, '--sudo', 'nopasswd', '1']);
  if (up.code !== 0) throw new Error(`lab up failed:\n${up.out}`);
  const inv = (await tsplay(['lab', 'inventory', '--name', LAB, '--path'])).out.trim();
  const rows = [];
  try {
    for (const [kind, task] of Object.entries(KINDS)) {
      const empty = playbook('empty', task, 0);
      const full = playbook(kind.replace(/\W+/g, '_'), task, N);
      const row = { kind };
      const ts = (pb) => () => tsplay(['run', pb, '-i', inv, '--no-persist']);
      await ts(full)(); // converge: the timed runs change nothing
      row.tsBase = await best(ts(empty), `tsplay ${kind} (0 tasks)`);
      row.tsFull = await best(ts(full), `tsplay ${kind}`);
      if (withAnsible) {
        const an = (pb) => () => sh('ansible-playbook', [pb, '-i', inv], ansibleEnv);
        await an(full)();
        row.anBase = await best(an(empty), `ansible-playbook ${kind} (0 tasks)`);
        row.anFull = await best(an(full), `ansible-playbook ${kind}`);
      }
      rows.push(row);
    }
  } finally {
    if (!args.includes('--keep')) await tsplay(['lab', 'down', '--name', LAB]);
  }
  const ms = (full, base) => (full === undefined ? '-' : (((full - base) / N) * 1000).toFixed(0));
  const s = (x) => (x === undefined ? '-' : x.toFixed(2));
  console.log(`\ntask | tsplay run s (${N} tasks / 0) | tsplay ms per task | ansible-playbook run s (${N} / 0) | ansible-playbook ms per task`);
  console.log('---- | --- | --- | --- | ---');
  for (const r of rows)
    console.log(`${r.kind} | ${s(r.tsFull)} / ${s(r.tsBase)} | ${ms(r.tsFull, r.tsBase)} | ${s(r.anFull)} / ${s(r.anBase)} | ${ms(r.anFull, r.anBase)}`);
}

await main();
