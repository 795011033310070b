#!/usr/bin/env node
/**
 * tsplay's transport on an inventory: per host connect + become (sudo) + N trivial commands as root, all
 * hosts in parallel from this one Node process. Compare with bench/floor.mjs (OpenSSH + sudo, one each).
 *
 *   npm run build && node bench/connection.mjs INVENTORY.yml [--commands 10] [--runs N] [--hosts K]
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConnectionPool } from '../dist/src/connection/pool.js';
import { targetFromVars } from '../dist/src/connection/target.js';

const argv = process.argv.slice(2);
let file;
let commands = 10;
let runs = 1;
let limit = Infinity;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--commands') commands = Number(argv[++i]);
  else if (argv[i] === '--runs') runs = Number(argv[++i]);
  else if (argv[i] === '--hosts') limit = Number(argv[++i]);
  else file = argv[i];
}
if (!file) {
  console.error('usage: node bench/connection.mjs INVENTORY.yml [--commands 10] [--runs N] [--hosts K]');
  process.exit(2);
}

function hostsOf(inv) {
  const out = new Map();
  const walk = (group, inherited) => {
    const vars = { ...inherited, ...(group?.vars ?? {}) };
    for (const [name, hv] of Object.entries(group?.hosts ?? {})) out.set(name, { ...(out.get(name) ?? {}), ...vars, ...(hv ?? {}) });
    for (const child of Object.values(group?.children ?? {})) walk(child, vars);
  };
  walk(inv.all ?? inv, {});
  return [...out].map(([name, vars]) => ({ name, vars }));
}

const hosts = hostsOf(parse(readFileSync(file, 'utf8'))).slice(0, limit);
const times = [];
for (let r = 0; r < runs; r++) {
  const pool = new ConnectionPool();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const phase = { connect: 0, become: 0 };
  const failed = [];
  await Promise.all(
    hosts.map(async ({ name, vars }) => {
      try {
        const c = await pool.get(targetFromVars(name, vars));
        phase.connect = Math.max(phase.connect, Number(process.hrtime.bigint() - t0) / 1e9);
        for (let i = 0; i < commands; i++) {
          const res = await c.run('true', { become: true });
          if (i === 0) phase.become = Math.max(phase.become, Number(process.hrtime.bigint() - t0) / 1e9);
          if (res.rc !== 0) throw new Error(`rc ${res.rc}: ${res.stderr}`);
        }
      } catch (e) {
        failed.push(`${name}: ${e.message}`);
      }
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await pool.closeAll();
  for (const f of failed) console.error(f);
  times.push(s);
  console.log(
    `run ${r + 1}: ${hosts.length} hosts, connect + sudo + ${commands} commands: ${s.toFixed(2)} s ` +
      `(all connected ${phase.connect.toFixed(2)} s, all became root ${phase.become.toFixed(2)} s; ` +
      `controller CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s)${failed.length ? `, ${failed.length} failed` : ''}`,
  );
}
times.sort((a, b) => a - b);
if (runs > 1) console.log(`tsplay transport: min ${times[0].toFixed(2)} s, median ${times[Math.floor(times.length / 2)].toFixed(2)} s`);
