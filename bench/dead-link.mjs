#!/usr/bin/env node
/**
 * Dead-link detection times: a lab of 3 hosts, node2's link goes down (the lab veth on this machine's side)
 * while tsplay runs a playbook; prints how long after that node2 was reported UNREACHABLE, per situation and
 * setting, and the same for OpenSSH (`ssh host sleep 60`) with the same ServerAlive options. Root needed.
 *
 *   npm run build && node bench/dead-link.mjs [--runs N]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'tsplay.js');
const LABCLI = join(ROOT, 'dist', 'src', 'lab', 'main.js');
const LAB = 'lkbench';
const VICTIM = 'node2';
const argv = process.argv.slice(2);
const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 1;

const lab = (...a) => execFileSync(process.execPath, [LABCLI, ...a], { encoding: 'utf8' });
lab('up', '--name', LAB, '3');
const state = JSON.parse(readFileSync(join(lab('inventory', '--name', LAB, '--path').trim(), '..', 'state.json'), 'utf8'));
const victim = state.hosts.find((h) => h.name === VICTIM);
const tmp = mkdtempSync(join(tmpdir(), 'tsplay-bench-dead-'));
const down = () => execFileSync('ip', ['link', 'set', victim.veth, 'down']);
const up = () => execFileSync('ip', ['link', 'set', victim.veth, 'up']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function inventory(args) {
  const f = join(tmp, `inv-${Math.random().toString(36).slice(2)}.yml`);
  const hosts = state.hosts.map((h) => `    ${h.name}: {ansible_host: ${h.ip}}`).join('\n');
  writeFileSync(
    f,
    `all:\n  vars:\n    ansible_user: ops\n    ansible_ssh_private_key_file: ${state.key}\n` +
      `    ansible_ssh_common_args: '-o UserKnownHostsFile=${state.knownHosts} ${args}'\n  hosts:\n${hosts}\n`,
  );
  return f;
}

function playbook(name, tasks) {
  const f = join(tmp, `${name}.yml`);
  writeFileSync(
    f,
    `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: first\n      command: "true"\n${tasks}    - name: next\n      command: echo next\n`,
  );
  return f;
}

const PLAYS = {
  idle: [
    playbook('idle', `    - name: busy\n      shell: sleep 6\n      when: inventory_hostname != '${VICTIM}'\n    - name: after\n      command: "true"\n`),
    /^TASK \[busy\]/,
    500,
  ],
  'mid-command': [playbook('cmd', `    - name: busy\n      shell: "sleep {{ 60 if inventory_hostname == '${VICTIM}' else 1 }}"\n`), /^TASK \[busy\]/, 2000],
};

/** seconds from link down to the UNREACHABLE line (null: not within 120 s) */
function tsplayRun(play, trigger, delay, inv) {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, 'run', '-i', inv, play], { env: { ...process.env, NO_COLOR: '1' } });
    let triggered = false;
    let downAt = 0;
    let buf = '';
    let done = false;
    const finish = (v) => {
      if (!done) ((done = true), res(v));
    };
    const killer = setTimeout(() => (child.kill('SIGKILL'), finish(null)), 120_000);
    child.stdout.on('data', (b) => {
      buf += b;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        if (!triggered && trigger.test(l)) {
          triggered = true;
          setTimeout(() => {
            down();
            downAt = performance.now();
          }, delay);
        }
        if (l.startsWith(`fatal: [${VICTIM}]: UNREACHABLE!`)) finish((performance.now() - downAt) / 1000);
      }
    });
    child.on('close', () => (clearTimeout(killer), finish(null)));
  });
}

/** OpenSSH: seconds from link down until `ssh host sleep 60` gives up (null: not within 60 s) */
async function opensshRun(opts) {
  const child = spawn('ssh', ['-F', state.sshConfig, ...opts.flatMap((o) => ['-o', o]), VICTIM, 'sleep 60'], { stdio: 'ignore' });
  await sleep(2000);
  down();
  const t0 = performance.now();
  const r = await Promise.race([new Promise((res) => child.on('close', () => res((performance.now() - t0) / 1000))), sleep(60_000).then(() => null)]);
  child.kill('SIGKILL');
  return r;
}

const cases = [
  ['tsplay', 'idle', 'defaults', ''],
  ['tsplay', 'mid-command', 'defaults', ''],
  ['tsplay', 'mid-command', 'ServerAliveInterval=0', '-o ServerAliveInterval=0'],
  ['tsplay', 'mid-command', 'ServerAliveInterval=1 CountMax=3', '-o ServerAliveInterval=1 -o ServerAliveCountMax=3'],
  ['tsplay', 'mid-command', 'ServerAliveInterval=2 CountMax=1', '-o ServerAliveInterval=2 -o ServerAliveCountMax=1'],
  ['tsplay', 'mid-command', 'ServerAliveInterval=5 CountMax=5', '-o ServerAliveInterval=5 -o ServerAliveCountMax=5'],
  ['openssh', 'mid-command', 'ServerAliveInterval=1 CountMax=3', ['ServerAliveInterval=1', 'ServerAliveCountMax=3']],
  ['openssh', 'mid-command', 'ServerAliveInterval=2 CountMax=1', ['ServerAliveInterval=2', 'ServerAliveCountMax=1']],
  ['openssh', 'mid-command', 'defaults (no ServerAlive)', []],
];

try {
  console.log(`dead-link detection (${VICTIM}'s link down), seconds, ${runs} run(s) each`);
  for (const [tool, situation, label, args] of cases) {
    const times = [];
    for (let i = 0; i < runs; i++) {
      try {
        if (tool === 'tsplay') {
          const [play, trigger, delay] = PLAYS[situation];
          times.push(await tsplayRun(play, trigger, delay, inventory(args)));
        } else times.push(await opensshRun(args));
      } finally {
        up();
        await sleep(1500);
      }
    }
    const shown = times.map((t) => (t === null ? 'never (gave up waiting)' : t.toFixed(1))).join(' ');
    console.log(`  ${tool.padEnd(8)} ${situation.padEnd(12)} ${label.padEnd(34)} ${shown}`);
  }
} finally {
  try {
    up();
  } catch {
    /* already up */
  }
  rmSync(tmp, { recursive: true, force: true });
  lab('down', '--name', LAB);
}
