#!/usr/bin/env node
/**
 * The OpenSSH floor: for every host of an inventory, one `ssh ... sudo true` (a fresh connection each, all
 * in parallel), timed from the first spawn to the last exit. No configuration tool can connect and escalate
 * on all hosts faster than this.
 *
 *   node bench/floor.mjs INVENTORY.yml [--runs N] [--hosts K]   (K: only the first K hosts)
 *
 * Reads the lab-style YAML inventory (all: vars / children / hosts, group vars inherited): ansible_host,
 * ansible_user, ansible_port, ansible_ssh_private_key_file, ansible_ssh_common_args, ansible_become_password.
 * NOPASSWD hosts run `sudo -n true`; hosts with a become password get it on stdin (`sudo -S -p '' true`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

function usage() {
  console.error('usage: node bench/floor.mjs INVENTORY.yml [--runs N] [--hosts K]');
  process.exit(2);
}

const argv = process.argv.slice(2);
let runs = 1;
let limit = Infinity;
let file;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--runs') runs = Number(argv[++i]);
  else if (argv[i] === '--hosts') limit = Number(argv[++i]);
  else if (!file) file = argv[i];
  else usage();
}
if (!file || !(runs >= 1)) usage();

/** Flatten all/children/hosts into [{name, vars}] with group vars inherited (host vars win). */
function hostsOf(inv) {
  const out = new Map();
  const walk = (group, inherited) => {
    const vars = { ...inherited, ...(group?.vars ?? {}) };
    for (const [name, hv] of Object.entries(group?.hosts ?? {})) {
      out.set(name, { ...(out.get(name) ?? {}), ...vars, ...(hv ?? {}) });
    }
    for (const child of Object.values(group?.children ?? {})) walk(child, vars);
  };
  walk(inv.all ?? inv, {});
  return [...out].map(([name, vars]) => ({ name, vars }));
}

function splitArgs(s) {
  return (s.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, ''));
}

function sshOne({ name, vars }) {
  const args = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20'];
  if (vars.ansible_ssh_private_key_file) args.push('-i', vars.ansible_ssh_private_key_file, '-o', 'IdentitiesOnly=yes');
  if (vars.ansible_port) args.push('-p', String(vars.ansible_port));
  if (vars.ansible_ssh_common_args) args.push(...splitArgs(vars.ansible_ssh_common_args));
  const password = vars.ansible_become_password;
  const user = vars.ansible_user ? `${vars.ansible_user}@` : '';
  args.push(`${user}${vars.ansible_host ?? name}`, password ? "sudo -S -p '' true" : 'sudo -n true');
  return new Promise((resolve) => {
    const p = spawn('ssh', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.stdin.on('error', () => {});
    p.stdin.end(password ? `${password}\n` : '');
    p.on('close', (code) => resolve({ name, code, err: err.trim() }));
  });
}

const hosts = hostsOf(parse(readFileSync(file, 'utf8'))).slice(0, limit);
if (hosts.length === 0) {
  console.error(`no hosts in ${file}`);
  process.exit(1);
}
const times = [];
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(hosts.map(sshOne));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const failed = results.filter((x) => x.code !== 0);
  for (const f of failed) console.error(`${f.name}: rc ${f.code}: ${f.err}`);
  times.push(s);
  console.log(`run ${r + 1}: ${hosts.length} hosts, ssh + sudo true in parallel: ${s.toFixed(2)} s${failed.length ? ` (${failed.length} failed)` : ''}`);
}
times.sort((a, b) => a - b);
if (runs > 1) console.log(`floor: min ${times[0].toFixed(2)} s, median ${times[Math.floor(times.length / 2)].toFixed(2)} s`);
else console.log(`floor: ${times[0].toFixed(2)} s`);
