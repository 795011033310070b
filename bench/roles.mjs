#!/usr/bin/env node
/**
 * Published roles (Ansible Galaxy, GitHub), run unchanged with ansible-playbook on lab host node1 and with tsplay
 * on its twin node2, twice each (first run, then the second that should change nothing). Prints per role and run:
 * exit codes, both PLAY RECAPs, and whether the whole output is the same once the host names are swapped; with
 * --files, whether the listed files are the same on both hosts (content with host names swapped, mode, owner).
 *
 *   npm run build && node bench/roles.mjs --role DIR[:VARS.yml] [--role ...] [--files /etc/a,/etc/b]
 *                                         [--lab NAME] [--timeout SEC] [--keep] [--show ROLE]
 *
 * DIR: an unpacked role (its directory name is the role's name, e.g. geerlingguy.nfs); VARS.yml: play vars for it
 * (write host names as {{ inventory_hostname }} so both hosts get the same content). The roles are not part of
 * this repository. The lab hosts have no network: roles that install packages the lab image lacks fail, the same
 * way under both tools. Needs root (the lab) and ansible-playbook.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { roles: [], files: [], lab: `${process.env.TSPLAY_TEST_LAB_PREFIX ?? ''}roles`, timeout: 600 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--role') {
      const [dir, vars] = argv[++i].split(':');
      o.roles.push({ dir: resolve(dir), vars: vars ? resolve(vars) : undefined });
    } else if (a === '--files') o.files = argv[++i].split(',').filter(Boolean);
    else if (a === '--lab') o.lab = argv[++i];
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--keep') o.keep = true;
    else if (a === '--show') o.show = argv[++i];
    else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!o.roles.length) {
    console.error('usage: node bench/roles.mjs --role DIR[:VARS.yml] [--role ...] [--files PATHS] [--lab NAME]');
    process.exit(2);
  }
  return o;
}

function run(cmd, args, { env, timeout }) {
  return new Promise((res) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeout * 1000);
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? 124, out, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

const tsplayCli = (...args) => spawnSync(process.execPath, [join(ROOT, 'bin/tsplay.js'), ...args], { encoding: 'utf8' });
const labExec = (lab, host, cmd) => tsplayCli('lab', 'exec', '--name', lab, host, cmd).stdout;

/** The output with the host's name as HOST and what differs by nature (timings, temp names) masked. */
function normalize(text, host) {
  return text
    .replace(new RegExp(`\\b${host}\\b`, 'g'), 'HOST')
    .replace(/"(delta|start|end)": "[^"]*"/g, '"$1": "-"')
    .replace(/\/tmp\/ansible[-.\w]*|\/tmp\/tsplay[-.\w]*/g, '/tmp/TMP')
    .replace(/^No config file found; using defaults\n/m, '')
    .trimEnd();
}

const recapOf = (text) => (/^\S+\s+: (ok=.*?)\s*$/m.exec(text.slice(text.lastIndexOf('PLAY RECAP'))) ?? [])[1] ?? '(no recap)';

function firstDiff(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++)
    if (la[i] !== lb[i])
      return `line ${i + 1}: ansible ${JSON.stringify((la[i] ?? '(end)').slice(0, 160))} / tsplay ${JSON.stringify((lb[i] ?? '(end)').slice(0, 160))}`;
  return '';
}

function fileState(lab, host, path) {
  const st = labExec(lab, host, `sudo stat -c '%a %U %G %F' -- '${path}' 2>/dev/null || echo missing`).trim();
  const body = st.endsWith('regular file') ? labExec(lab, host, `sudo cat -- '${path}'`) : '';
  return `${st}\n${body.replace(new RegExp(`\\b${host}\\b`, 'g'), 'HOST')}`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const up = tsplayCli('lab', 'up', '--name', o.lab, '--sudo', 'nopasswd', '2');
  if (up.status !== 0) throw new Error(`lab up ${o.lab} failed: ${up.stderr}`);
  const inv = `/tmp/tsplay-lab/${o.lab}/inventory.yml`;
  const dir = mkdtempSync(join(tmpdir(), 'roles-'));
  const rolesPath = join(dir, 'roles');
  mkdirSync(rolesPath);
  const env = {
    ANSIBLE_ROLES_PATH: rolesPath,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    NO_COLOR: '1',
    TSPLAY_PERSIST: '0',
  };
  const ansibleVersion = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  console.log(`${ansibleVersion}; tsplay ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}; lab ${o.lab}`);
  let same = 0;
  let total = 0;
  try {
    for (const role of o.roles) {
      const name = basename(role.dir);
      symlinkSync(role.dir, join(rolesPath, name));
      const vars = role.vars ? readFileSync(role.vars, 'utf8') : '';
      const book = (host) => {
        const p = join(dir, `${name}-${host}.yml`);
        const v = vars.trim() ? `  vars:\n${vars.replace(/^---\n/, '').replace(/^/gm, '    ')}\n` : '';
        writeFileSync(p, `- hosts: ${host}\n  become: true\n${v}  roles: [${name}]\n`);
        return p;
      };
      const [pa, pt] = [book('node1'), book('node2')];
      for (const n of [1, 2]) {
        const [a, t] = await Promise.all([
          run('ansible-playbook', ['-i', inv, pa], { env, timeout: o.timeout }),
          run(process.execPath, [join(ROOT, 'bin/tsplay.js'), 'run', '-i', inv, pt], { env, timeout: o.timeout }),
        ]);
        if (o.show === name) console.log(`----- ansible-playbook (run ${n})\n${a.out}\n----- tsplay (run ${n})\n${t.out}\n-----`);
        const d = firstDiff(normalize(a.out, 'node1'), normalize(t.out, 'node2'));
        total++;
        if (!d && a.code === t.code) same++;
        console.log(
          `${name} run ${n}: ansible rc=${a.code} (${a.seconds.toFixed(1)} s) ${recapOf(a.out)}\n` +
            `${' '.repeat(name.length)}        tsplay  rc=${t.code} (${t.seconds.toFixed(1)} s) ${recapOf(t.out)}\n` +
            `${' '.repeat(name.length)}        output: ${d ? `differs, first at ${d}` : 'same'}`,
        );
      }
      for (const f of o.files) {
        const fa = fileState(o.lab, 'node1', f);
        const ft = fileState(o.lab, 'node2', f);
        console.log(`${name}: ${f} ${fa === ft ? 'same on both hosts' : `differs (ansible: ${fa.split('\n')[0]} / tsplay: ${ft.split('\n')[0]})`}`);
      }
    }
    console.log(`\nruns with the same output and exit code: ${same} of ${total}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (!o.keep) tsplayCli('lab', 'down', '--name', o.lab);
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
