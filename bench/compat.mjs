#!/usr/bin/env node
/**
 * tsplay measured against ansible-core's own integration targets. Each role target (TARGET/tasks/main.yml) runs
 * as ansible-test runs it: `hosts: testhost`, `gather_facts: true`, `vars: {output_dir: ...}`, `roles: [TARGET]`,
 * roles_path = the targets dir, connected as root (become) — with ansible-playbook on lab host node1 and with
 * tsplay on its twin node2. Prints pass/fail per tool, tasks run, tsplay's first divergence (first failed task or
 * load error) and whether the listing of output_dir agrees.
 *
 *   npm run build && node bench/compat.mjs --ansible-src /work/ansible-src [--targets a,b] [--md docs/compat.md]
 *                                          [--lab NAME] [--timeout SEC] [--fresh] [--keep] [--show TARGET]
 *
 * --ansible-src: an unpacked ansible-core source (GPLv3 test code: never copied into this repository), or
 * $TSPLAY_ANSIBLE_SRC. --fresh: a clean lab (new disks) before every target instead of removing output_dir only.
 * --show TARGET: print both tools' whole output for that target. Needs root (the lab) and ansible-playbook.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The targets the issue lists; script targets (runme.sh only) are reported as such. */
export const DEFAULT_TARGETS = [
  'lineinfile', 'blockinfile', 'file', 'copy', 'template', 'stat', 'command_shell', 'ping', 'user', 'group', 'hostname',
  'include_vars', 'failed_when', 'changed_when', 'ignore_errors', 'loops', 'loop-until', 'until', 'lookup_items',
  'lookup_list', 'lookup_dict', 'lookup_nested', 'lookup_together', 'lookup_indexed_items', 'lookup_sequence',
  'lookup_subelements', 'groupby_filter', 'conditionals', 'handlers', 'blocks', 'include_import', 'tags',
  'any_errors_fatal', 'setup', 'set_fact', 'assert', 'debug', 'fetch', 'slurp', 'script', 'replace', 'find', 'tempfile',
  'cron', 'getent',
]; // prettier-ignore

const OUTPUT_DIR = '/tmp/compat-output';

function parseArgs(argv) {
  const o = { src: process.env.TSPLAY_ANSIBLE_SRC, targets: DEFAULT_TARGETS, lab: `${process.env.TSPLAY_TEST_LAB_PREFIX ?? ''}compat`, timeout: 600 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ansible-src') o.src = argv[++i];
    else if (a === '--targets') o.targets = argv[++i].split(',').filter(Boolean);
    else if (a === '--md') o.md = argv[++i];
    else if (a === '--lab') o.lab = argv[++i];
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--show') o.show = argv[++i];
    else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!o.src || !existsSync(join(o.src, 'test/integration/targets'))) {
    console.error('usage: node bench/compat.mjs --ansible-src DIR (an ansible-core 2.14 source tree with test/integration/targets)');
    process.exit(2);
  }
  return o;
}

function run(cmd, args, { env, cwd, timeout } = {}) {
  return new Promise((res) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeout * 1000);
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: timedOut ? 124 : (code ?? 1), stdout, stderr, timedOut, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

const tsplayCli = (...args) => spawnSync(process.execPath, [join(ROOT, 'bin/tsplay.js'), ...args], { encoding: 'utf8' });

function labUp(name) {
  const r = tsplayCli('lab', 'up', '--name', name, '--sudo', 'nopasswd', '2');
  if (r.status !== 0) throw new Error(`lab up ${name} failed: ${r.stderr}`);
  const ip = (h) => /ansible_host:\s*(\S+)/.exec(tsplayCli('lab', 'inventory', '--name', name).stdout.split(`${h}:`)[1] ?? '')?.[1];
  return { node1: ip('node1'), node2: ip('node2') };
}

const labExec = (lab, host, cmd) => tsplayCli('lab', 'exec', '--name', lab, host, cmd);

/** ansible-test's inventory: host testhost (here a lab host), connected as root through sudo. */
function inventory(dir, lab, name, ip) {
  const p = join(dir, `inventory-${name}.yml`);
  const labDir = `/tmp/tsplay-lab/${lab}`;
  writeFileSync(
    p,
    `all:
  children:
    testgroup:
      hosts:
        testhost:
          ansible_host: ${ip}
          ansible_user: ops
          ansible_become: true
          ansible_ssh_private_key_file: ${labDir}/id_ed25519
          ansible_ssh_common_args: '-o UserKnownHostsFile=${labDir}/known_hosts -o StrictHostKeyChecking=yes'
          ansible_python_interpreter: /usr/bin/python3
`,
  );
  return p;
}

function playbook(dir, target) {
  const p = join(dir, `${target}.yml`);
  writeFileSync(p, `- hosts: testhost\n  gather_facts: true\n  vars:\n    output_dir: ${OUTPUT_DIR}\n  roles:\n    - ${target}\n`);
  return p;
}

const RECAP = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)/m;

/** What a run did: passed (exit 0, nothing failed or unreachable), tasks run (banners), its first error. */
export function summarize(r) {
  const out = r.stdout;
  const m = RECAP.exec(out.slice(out.lastIndexOf('PLAY RECAP')));
  const tasks = (out.match(/^(TASK|RUNNING HANDLER) \[/gm) ?? []).length;
  const passed = r.code === 0 && !!m && m[4] === '0' && m[5] === '0';
  let first;
  if (!passed) {
    const lines = out.split('\n');
    let task = '';
    for (const [j, l] of lines.entries()) {
      const t = /^(?:TASK|RUNNING HANDLER) \[(.*)\]/.exec(l);
      if (t) task = t[1];
      if ((/^(fatal|failed): /.test(l) || /^\S+ \| FAILED/.test(l)) && !/^\.\.\.ignoring/.test(lines[j + 1] ?? '')) {
        const msg = /"msg": "((?:[^"\\]|\\.)*)"/.exec(l)?.[1] ?? l.replace(/^.*?=> /, '');
        first = `task [${task}]: ${msg.replace(/\\n/g, ' ').replace(/\\"/g, '"').slice(0, 220)}`;
        break;
      }
    }
    if (!first && r.timedOut) first = `timed out after ${r.seconds.toFixed(0)} s (last task [${task}])`;
    if (!first) {
      const err = (r.stderr.trim() || out.trim()).split('\n').find((l) => l.trim() && !/^\[WARNING\]|^warning:/i.test(l)) ?? `exit ${r.code}`;
      first = (tasks ? `after task [${task}]: ` : 'load: ') + err.slice(0, 240);
    }
  }
  return { passed, tasks, code: r.code, recap: m ? m.slice(2).map(Number) : undefined, first, seconds: r.seconds };
}

function listing(lab, host) {
  const r = labExec(lab, host, `cd ${OUTPUT_DIR} 2>/dev/null && find . -mindepth 1 -printf '%p %y %m %u %g %s\\n' | sort`);
  return r.stdout;
}

function mdEscape(s) {
  return String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const targetsDir = join(o.src, 'test/integration/targets');
  const version = /__version__ = '([^']+)'/.exec(spawnSync('cat', [join(o.src, 'lib/ansible/release.py')], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  const ansibleVersion = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const dir = mkdtempSync(join(tmpdir(), 'compat-'));
  console.log(`ansible-core source ${version} (${targetsDir}); ${ansibleVersion}; lab ${o.lab}`);
  let ips = labUp(o.lab);
  const invA = inventory(dir, o.lab, 'ansible', ips.node1);
  const invT = inventory(dir, o.lab, 'tsplay', ips.node2);
  const env = {
    ANSIBLE_ROLES_PATH: targetsDir,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_DEPRECATION_WARNINGS: 'False',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_PIPELINING: 'True',
    NO_COLOR: '1',
  };
  const rows = [];
  try {
    for (const [i, target] of o.targets.entries()) {
      const tdir = join(targetsDir, target);
      if (!existsSync(tdir)) {
        rows.push({ target, kind: 'missing' });
        console.log(`${target}: not in this ansible-core source`);
        continue;
      }
      if (!existsSync(join(tdir, 'tasks'))) {
        rows.push({ target, kind: 'script' });
        console.log(`${target}: script target (runme.sh), not run`);
        continue;
      }
      if (o.fresh && i > 0) {
        ips = labUp(o.lab);
        inventory(dir, o.lab, 'ansible', ips.node1);
        inventory(dir, o.lab, 'tsplay', ips.node2);
      }
      for (const h of ['node1', 'node2']) labExec(o.lab, h, `rm -rf ${OUTPUT_DIR} && mkdir -p ${OUTPUT_DIR}`);
      const pb = playbook(dir, target);
      const [ra, rt] = await Promise.all([
        run('ansible-playbook', [pb, '-i', invA], { env, cwd: dir, timeout: o.timeout }),
        run(process.execPath, [join(ROOT, 'bin/tsplay.js'), 'run', pb, '-i', invT], { env, cwd: dir, timeout: o.timeout }),
      ]);
      if (o.show === target) {
        console.log(`----- ansible-playbook\n${ra.stdout}${ra.stderr}\n----- tsplay\n${rt.stdout}${rt.stderr}\n-----`);
      }
      const a = summarize(ra);
      const t = summarize(rt);
      const sameState = listing(o.lab, 'node1') === listing(o.lab, 'node2');
      rows.push({ target, kind: 'role', a, t, sameState });
      const mark = (s) => (s.passed ? 'pass' : 'FAIL');
      console.log(
        `${target}: ansible ${mark(a)} (${a.tasks} tasks, ${a.seconds.toFixed(0)} s) | tsplay ${mark(t)} (${t.tasks} tasks, ${t.seconds.toFixed(0)} s)` +
          ` | output_dir ${sameState ? 'same' : 'differs'}${t.passed ? '' : `\n    tsplay: ${t.first}`}${a.passed ? '' : `\n    ansible: ${a.first}`}`,
      );
    }
  } finally {
    if (!o.keep) tsplayCli('lab', 'down', '--name', o.lab);
  }
  const role = rows.filter((r) => r.kind === 'role');
  const aPass = role.filter((r) => r.a.passed);
  const both = aPass.filter((r) => r.t.passed);
  const tasksA = role.reduce((n, r) => n + r.a.tasks, 0);
  const tasksT = role.reduce((n, r) => n + r.t.tasks, 0);
  const pct = aPass.length ? Math.round((100 * both.length) / aPass.length) : 0;
  const summary =
    `role targets run: ${role.length}; ansible-playbook passes ${aPass.length}, tsplay ${role.filter((r) => r.t.passed).length}; ` +
    `tsplay passes ${both.length} of the ${aPass.length} that ansible-playbook passes (${pct} %); tasks run: ansible-playbook ${tasksA}, tsplay ${tasksT}`;
  console.log(`\n${summary}`);
  if (o.md) {
    const lines = [
      "# tsplay against ansible-core's integration targets",
      '',
      `Generated by \`node bench/compat.mjs --ansible-src DIR --md docs/compat.md\` (ansible-core source ${version}; ${ansibleVersion}; Debian 12 lab hosts).`,
      'Each role target runs as ansible-test runs it (`hosts: testhost`, `gather_facts: true`, `vars: {output_dir: ...}`, `roles: [TARGET]`,',
      'roles_path = the targets dir, become root), ansible-playbook on one lab host, tsplay on its twin. "pass": exit 0, nothing failed or unreachable.',
      '"output_dir": whether the listing of output_dir (path, type, mode, owner, group, size) is the same on both hosts afterwards.',
      '',
      `**${summary}.**`,
      '',
      "| target | ansible-playbook | tsplay | tasks (ansible / tsplay) | output_dir | tsplay's first divergence |",
      '|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      if (r.kind !== 'role') {
        lines.push(`| ${r.target} | ${r.kind === 'script' ? 'script target (runme.sh): not run' : 'not in the source'} | | | | |`);
        continue;
      }
      const m = (s) => (s.passed ? 'pass' : 'fail');
      lines.push(
        `| ${r.target} | ${m(r.a)} | ${m(r.t)} | ${r.a.tasks} / ${r.t.tasks} | ${r.sameState ? 'same' : 'differs'} | ${mdEscape(r.t.passed ? '' : r.t.first)}${r.a.passed ? '' : ` (ansible: ${mdEscape(r.a.first)})`} |`,
      );
    }
    writeFileSync(o.md, lines.join('\n') + '\n');
    console.log(`wrote ${o.md}`);
  }
}

await main();
