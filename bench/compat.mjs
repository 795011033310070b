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
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
  // script targets connect as root (ansible-test runs them as root): the lab key for root too
  for (const h of ['node1', 'node2'])
    labExec(name, h, 'mkdir -p -m 700 /root/.ssh && cp /home/ops/.ssh/authorized_keys /root/.ssh/ && chmod 600 /root/.ssh/authorized_keys');
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

/**
 * A script target (runme.sh) runs as ansible-test runs it, on the controller, in a private copy of the target
 * (the others are symlinked beside it, so ../setup_remote_tmp_dir and ../../inventory resolve), with
 * `ansible-playbook` on PATH being either the real one or a shim that runs `tsplay run`. ansible-test connects
 * to testhost locally as root; here every host of every inventory the script names is redirected to the
 * tool's own lab host (as root over SSH) by an extra-vars file put first on each command line, so the script's
 * own -e still win. Pass = runme.sh exits 0.
 */
function scriptTree(dir, targetsDir, target, name, ip, lab) {
  const root = join(dir, `tree-${name}-${target}`, 'test/integration');
  const tdir = join(root, 'targets');
  mkdirSync(tdir, { recursive: true });
  for (const t of readdirSync(targetsDir)) if (t !== target) symlinkSync(join(targetsDir, t), join(tdir, t));
  cpSync(join(targetsDir, target), join(tdir, target), { recursive: true, verbatimSymlinks: true });
  const labDir = `/tmp/tsplay-lab/${lab}`;
  const conn =
    `ansible_connection=ssh ansible_host=${ip} ansible_user=root ansible_ssh_private_key_file=${labDir}/id_ed25519 ` +
    `ansible_python_interpreter=/usr/bin/python3`;
  writeFileSync(join(root, 'inventory'), `[testgroup]\ntesthost ${conn}\n`);
  const redirect = join(dir, `redirect-${name}-${target}.yml`);
  writeFileSync(
    redirect,
    `ansible_connection: ssh\nansible_host: ${ip}\nansible_user: root\nansible_ssh_private_key_file: ${labDir}/id_ed25519\n` +
      `ansible_ssh_common_args: '-o UserKnownHostsFile=${labDir}/known_hosts -o StrictHostKeyChecking=yes'\n` +
      `ansible_python_interpreter: /usr/bin/python3\n`,
  );
  const bin = join(dir, `bin-${name}-${target}`);
  mkdirSync(bin);
  const real = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).stdout.trim();
  const shim =
    name === 'tsplay'
      ? `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin/tsplay.js'))} run -e @${redirect} "$@"\n`
      : `#!/bin/sh\nexec ${real} -e @${redirect} "$@"\n`;
  writeFileSync(join(bin, 'ansible-playbook'), shim);
  chmodSync(join(bin, 'ansible-playbook'), 0o755);
  // Any other ansible command would act on this machine: refused in both variants (none of the chosen scripts uses one).
  for (const c of ['ansible', 'ansible-inventory', 'ansible-config', 'ansible-vault', 'ansible-galaxy', 'ansible-pull', 'ansible-console', 'ansible-doc']) {
    writeFileSync(join(bin, c), `#!/bin/sh\necho "compat harness: ${c} is not redirected to a lab host; refused" >&2\nexit 127\n`);
    chmodSync(join(bin, c), 0o755);
  }
  const out = join(dir, `output-${name}-${target}`);
  mkdirSync(out);
  return { cwd: join(tdir, target), bin, out, inventory: join(root, 'inventory') };
}

/**
 * ansible-test's controllers have the en_US.UTF-8 locale, and some scripts set LC_ALL to it (tags: --list-tasks
 * output is locale-dependent). Where this machine lacks it, it is compiled into the harness's own directory
 * (localedef, LOCPATH) so nothing of the machine's /etc or /usr changes. Returns extra env vars, or {}.
 */
function utf8Locale(dir) {
  const have = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout ?? '';
  if (/^en_US\.utf-?8$/im.test(have)) return {};
  const locpath = join(dir, 'locale');
  mkdirSync(locpath, { recursive: true });
  const r = spawnSync('localedef', ['-i', 'en_US', '-f', 'UTF-8', join(locpath, 'en_US.UTF-8')], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(locpath, 'en_US.UTF-8'))) {
    console.error(`compat: en_US.UTF-8 locale not available (localedef: ${(r.stderr ?? '').trim() || r.error}); scripts that set it may fail for both tools`);
    return {};
  }
  return { LOCPATH: locpath };
}

/** Summary of a script target's run: runme.sh's exit code decides; tasks = banners over all its playbook runs. */
export function summarizeScript(r) {
  const out = r.stdout + r.stderr;
  const tasks = (r.stdout.match(/^(TASK|RUNNING HANDLER) \[/gm) ?? []).length;
  const passed = r.code === 0;
  let first;
  if (!passed) {
    const s = summarize({ ...r, code: 1 });
    const fatal = /^(fatal|failed): .*$/m.exec(r.stdout);
    if (r.timedOut) first = `timed out after ${r.seconds.toFixed(0)} s`;
    else if (fatal && s.first?.startsWith('task [')) first = s.first;
    else if (/^--- .*\n\+\+\+ /m.test(out)) {
      // the script compares output with a file it ships: the first differing lines
      const d = out.slice(out.search(/^--- /m)).split('\n');
      const minus = d.find((l) => /^-(?!--)/.test(l)) ?? '';
      const plus = d.find((l) => /^\+(?!\+\+)/.test(l)) ?? '';
      first = `output differs from the expected file: ${minus.slice(0, 100)} | ${plus.slice(0, 100)}`;
    } else {
      // the last command of `set -x` and what it printed last
      const lines = out.split('\n').filter((l) => l.trim());
      const cmd = [...lines].reverse().find((l) => /^\+ /.test(l)) ?? '';
      const err = [...lines].reverse().find((l) => /ERROR!|error|Error|unknown|not supported|undefined/.test(l) && !/^\+ /.test(l)) ?? lines.at(-1) ?? '';
      first = `${err.slice(0, 200)}${cmd ? ` (at ${cmd.slice(0, 120)})` : ''}`;
    }
  }
  return { passed, tasks, code: r.code, first, seconds: r.seconds };
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
    // direct connections: no holder outlives the measurement
    TSPLAY_PERSIST: '0',
  };
  const rows = [];
  let locale;
  try {
    for (const [i, target] of o.targets.entries()) {
      const tdir = join(targetsDir, target);
      if (!existsSync(tdir)) {
        rows.push({ target, kind: 'missing' });
        console.log(`${target}: not in this ansible-core source`);
        continue;
      }
      if (!existsSync(join(tdir, 'tasks'))) {
        if (!existsSync(join(tdir, 'runme.sh'))) {
          rows.push({ target, kind: 'missing' });
          continue;
        }
        const trees = {
          ansible: scriptTree(dir, targetsDir, target, 'ansible', ips.node1, o.lab),
          tsplay: scriptTree(dir, targetsDir, target, 'tsplay', ips.node2, o.lab),
        };
        locale ??= utf8Locale(dir);
        const senv = (t) => ({
          ...env,
          ...locale,
          ANSIBLE_ROLES_PATH: join(t.cwd, '..'),
          PATH: `${t.bin}:${process.env.PATH}`,
          OUTPUT_DIR: t.out,
          INVENTORY_PATH: t.inventory,
        });
        const [ra, rt] = await Promise.all([
          run('bash', ['./runme.sh'], { env: senv(trees.ansible), cwd: trees.ansible.cwd, timeout: o.timeout }),
          run('bash', ['./runme.sh'], { env: senv(trees.tsplay), cwd: trees.tsplay.cwd, timeout: o.timeout }),
        ]);
        if (o.show === target) console.log(`----- ansible-playbook\n${ra.stdout}${ra.stderr}\n----- tsplay\n${rt.stdout}${rt.stderr}\n-----`);
        const a = summarizeScript(ra);
        const t = summarizeScript(rt);
        rows.push({ target, kind: 'script', a, t });
        const mark = (x) => (x.passed ? 'pass' : 'FAIL');
        console.log(
          `${target} (runme.sh): ansible ${mark(a)} (${a.tasks} tasks, ${a.seconds.toFixed(0)} s) | tsplay ${mark(t)} (${t.tasks} tasks, ${t.seconds.toFixed(0)} s)` +
            `${t.passed ? '' : `\n    tsplay: ${t.first}`}${a.passed ? '' : `\n    ansible: ${a.first}`}`,
        );
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
  const role = rows.filter((r) => r.kind === 'role' || r.kind === 'script');
  const aPass = role.filter((r) => r.a.passed);
  const both = aPass.filter((r) => r.t.passed);
  const tasksA = role.reduce((n, r) => n + r.a.tasks, 0);
  const tasksT = role.reduce((n, r) => n + r.t.tasks, 0);
  const pct = aPass.length ? Math.round((100 * both.length) / aPass.length) : 0;
  const summary =
    `targets run: ${role.length} (${rows.filter((r) => r.kind === 'script').length} of them runme.sh scripts); ansible-playbook passes ${aPass.length}, tsplay ${role.filter((r) => r.t.passed).length}; ` +
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
      'A script target (runme.sh) runs as ansible-test runs it, in a private copy of the target with `test/integration/inventory` pointing',
      'at the lab host; `ansible-playbook` on its PATH is the real one, or a shim that runs `tsplay run` with the same arguments; "pass": runme.sh exits 0.',
      '',
      `**${summary}.**`,
      '',
      "| target | ansible-playbook | tsplay | tasks (ansible / tsplay) | output_dir | tsplay's first divergence |",
      '|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      if (r.kind === 'missing') {
        lines.push(`| ${r.target} | not in the source | | | | |`);
        continue;
      }
      const m = (s) => (s.passed ? 'pass' : 'fail');
      lines.push(
        `| ${r.target}${r.kind === 'script' ? ' (runme.sh)' : ''} | ${m(r.a)} | ${m(r.t)} | ${r.a.tasks} / ${r.t.tasks} | ${r.kind === 'script' ? 'n/a' : r.sameState ? 'same' : 'differs'} | ${mdEscape(r.t.passed ? '' : r.t.first)}${r.a.passed ? '' : ` (ansible: ${mdEscape(r.a.first)})`} |`,
      );
    }
    writeFileSync(o.md, lines.join('\n') + '\n');
    console.log(`wrote ${o.md}`);
  }
}

await main();
