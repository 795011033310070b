/**
 * Issue 8 §4: hostile but ordinary hosts. Each lab host is made hostile in one way real hosts are (rc files
 * that read stdin or print noise, MOTD and banner, sudo's requiretty and lectures, a sudo password, and all
 * of it at once); each must run a small playbook (copy, command, lineinfile, a command with input, a
 * login-user command, all with become) to the right host state, with clean command output, and a second run
 * must change nothing. A sudo password only ever goes to sudo's prompt: never in any output, never on the
 * host's disk. Before the playbook, each case proves that its host really is hostile (plain ssh shows it).
 *
 * Related coverage elsewhere: sudo's own warnings on stderr (test/e2e/connection.test.ts, "sudo warnings on
 * stderr ... do not reach command output"); wrong/missing sudo passwords (same file).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap, ROOT } from '../harness/cli.js';
import { startLab, stopLab, type CmdResult, type Lab } from '../harness/lab.js';
import { boundedRun, clip, freshSecret, grepHost, plainSsh, writeInventory } from './helpers.js';

/** a run that takes longer than this hangs */
const LIMIT_MS = 45_000;

const LAB = 'fl-host';
const PB = join(ROOT, 'test/fixtures/faults/hostile.yml');
const NOISE = readFileSync(join(ROOT, 'test/fixtures/faults/hostile-noise.sh'), 'utf8');

/** lines put first in an rc file (ops' ~/.bashrc: before Debian's "not interactive: return" guard, as people do) */
const prepend = (file: string, lines: string): string =>
  `f=${file}; { printf '%s\\n' ${shq(lines)}; cat "$f"; } > /root/rc.new && cat /root/rc.new > "$f" && rm /root/rc.new`;
const rcFirst = (lines: string): string => prepend('/home/ops/.bashrc', lines);
const sysRcFirst = (lines: string): string => prepend('/etc/bash.bashrc', lines);
const sudoers = (line: string): string =>
  `printf '%s\\n' ${shq(line)} > /etc/sudoers.d/zz-hostile && chmod 440 /etc/sudoers.d/zz-hostile && visudo -c >/dev/null`;

function shq(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

interface Variant {
  name: string;
  what: string;
  password: boolean;
  /** makes the host hostile (root shell on the host) */
  setup: string[];
  /** proof over plain ssh that it is: command, stdin, what the result shows */
  proof: { cmd: string; input?: string; options?: string[]; shows: (r: CmdResult) => boolean; says: string };
}

const READ_RC = 'read -t 1 -n 1 -p "Press a key to skip the news " junk; echo';
const VARIANTS: Variant[] = [
  {
    name: 'rc-read',
    what: '~/.bashrc prompts and reads a key from stdin (read -t 1 -n 1)',
    password: false,
    setup: [rcFirst(READ_RC)],
    proof: {
      cmd: 'cat',
      input: 'Xrest\n',
      shows: (r) => r.stdout.endsWith('rest\n') && !r.stdout.includes('X'),
      says: 'the rc file ate the first byte of stdin',
    },
  },
  {
    name: 'rc-head',
    what: '~/.bashrc reads up to 100 bytes of stdin (timeout 1 head -c 100)',
    password: false,
    setup: [rcFirst('timeout 1 head -c 100 > /dev/null')],
    proof: { cmd: 'cat', input: 'eaten\n', shows: (r) => r.stdout === '', says: 'the rc file ate stdin' },
  },
  {
    name: 'rc-drain',
    what: '/etc/bash.bashrc reads all of stdin for a second (as a forgotten `ssh` without -n does)',
    password: true,
    setup: [sysRcFirst('timeout 1 cat > /dev/null')],
    proof: { cmd: 'cat', input: 'eaten\n', shows: (r) => r.stdout === '', says: 'the system rc file ate stdin' },
  },
  {
    name: 'rc-noise',
    what: '~/.bashrc prints text and binary noise on stdout and stderr, stty/mesg/tput errors',
    password: false,
    setup: [rcFirst(NOISE)],
    proof: { cmd: 'true', shows: (r) => r.stdout.includes('Welcome to rc-noise') && r.stderr.includes('rc noise on stderr'), says: 'noise on both streams' },
  },
  {
    name: 'motd',
    what: 'MOTD, an SSH banner, PrintMotd and PrintLastLog on',
    password: true,
    setup: [
      `printf 'Authorized use only.\\nThis system is monitored.\\n' > /etc/issue.net && printf 'Message of the day: maintenance on Friday\\n' > /etc/motd`,
      `printf 'Banner /etc/issue.net\\nPrintMotd yes\\nPrintLastLog yes\\n' > /etc/ssh/sshd_config.d/zz-hostile.conf && kill -HUP $(cat /run/sshd.pid) && sleep 0.5`,
    ],
    proof: { cmd: 'true', options: ['LogLevel=INFO'], shows: (r) => r.stderr.includes('Authorized use only.'), says: 'the banner is shown' },
  },
  {
    name: 'tty-pw',
    what: 'sudoers: Defaults requiretty, with a sudo password',
    password: true,
    setup: [sudoers('Defaults requiretty')],
    proof: { cmd: 'sudo -S true', input: 'x\n', shows: (r) => /must have a tty/.test(r.stderr), says: 'sudo refuses without a tty' },
  },
  {
    name: 'tty-nopw',
    what: 'sudoers: Defaults requiretty, NOPASSWD',
    password: false,
    setup: [sudoers('Defaults requiretty')],
    proof: { cmd: 'sudo -n true', shows: (r) => /must have a tty/.test(r.stderr), says: 'sudo refuses without a tty' },
  },
  {
    name: 'lecture',
    what: 'sudoers: Defaults lecture=always, with a sudo password',
    password: true,
    setup: [sudoers('Defaults lecture=always')],
    proof: {
      cmd: 'sudo -S -p PROMPT: true',
      input: 'wrong\n',
      shows: (r) => /We trust you have received the usual lecture/.test(r.stderr),
      says: 'sudo lectures',
    },
  },
  {
    name: 'password',
    what: 'a plain sudo password host',
    password: true,
    setup: [],
    proof: { cmd: 'sudo -n true', shows: (r) => /a password is required/.test(r.stderr), says: 'sudo wants a password' },
  },
  {
    name: 'worst',
    what: 'all at once: requiretty, lecture, password, an rc file that reads stdin and prints noise, a banner',
    password: true,
    setup: [
      sudoers('Defaults requiretty\nDefaults lecture=always'),
      rcFirst(`${READ_RC}\n${NOISE}`),
      `printf 'Authorized use only.\\n' > /etc/issue.net && printf 'Banner /etc/issue.net\\nPrintMotd yes\\n' > /etc/ssh/sshd_config.d/zz-hostile.conf && kill -HUP $(cat /run/sshd.pid) && sleep 0.5`,
    ],
    proof: {
      cmd: 'sudo -S true',
      input: 'x\n',
      shows: (r) => /must have a tty/.test(r.stderr) && r.stdout.includes('Welcome to worst'),
      says: 'requiretty and noise',
    },
  },
];

let lab: Lab;
let tmp: string;
let inventory: string;
/** per password host: its (fresh) sudo password */
const passwords = new Map<string, string>();

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: VARIANTS.map((v) => v.name), sudo: 'nopasswd' });
  tmp = mkdtempSync(join(tmpdir(), 'tsplay-faults-hostile-'));
  for (const v of VARIANTS) {
    const steps = [...v.setup];
    if (v.password) {
      passwords.set(v.name, freshSecret('sudo'));
      steps.unshift("printf 'ops ALL=(ALL:ALL) ALL\\n' > /etc/sudoers.d/ops && chmod 440 /etc/sudoers.d/ops");
    }
    for (const s of steps) {
      const r = await lab.exec(v.name, s);
      if (r.rc !== 0) throw new Error(`${v.name}: setup ${s}: rc ${r.rc}: ${r.stderr}`);
    }
    const pw = passwords.get(v.name);
    if (pw) {
      const r = await lab.exec(v.name, 'chpasswd', { input: `ops:${pw}\n` });
      if (r.rc !== 0) throw new Error(`${v.name}: chpasswd: ${r.stderr}`);
    }
  }
  inventory = join(tmp, 'inventory.yml');
  writeInventory(
    inventory,
    lab,
    lab.hosts.map((h) => ({ name: h.name, ip: h.ip, vars: passwords.has(h.name) ? { ansible_become_password: passwords.get(h.name) } : {} })),
  );
}, 300_000);

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await stopLab(LAB);
}, 120_000);

describe('hostile but ordinary hosts', () => {
  it.each(VARIANTS.map((v) => [v.name, v.what, v] as const))('%s (%s): the playbook converges, second run changes nothing', async (name, _what, v) => {
    const proof = await plainSsh(lab, name, v.proof.cmd, { input: v.proof.input, options: v.proof.options });
    expect(v.proof.shows(proof), `${name} is hostile (${v.proof.says}): ${JSON.stringify(proof)}`).toBe(true);

    const first = await boundedRun([PB, '-i', inventory, '-l', name, '-v'], LIMIT_MS);
    expect(first.timedOut, `the run hangs: ${clip(first.all)}`).toBe(false);
    expect(first.code, clip(first.all)).toBe(0);
    expect(recap(first.stdout)[name], clip(first.all)).toMatchObject({ changed: 3, failed: 0, unreachable: 0 });
    const state = await lab.exec(name, 'stat -c "%U %G %a" /etc/fl-hostile.conf; cat /etc/fl-hostile.conf /etc/fl-hostile.lines /etc/fl-hostile.out');
    // command output is exactly the command's: no rc noise, no banner, no lecture, no prompt in it
    expect(state.stdout).toBe(`root root 640\nhostile ${name}\nuser=root\nroot|ops|in-${name} done|\n`);

    const second = await boundedRun([PB, '-i', inventory, '-l', name, '-vvv'], LIMIT_MS);
    expect(second.timedOut, `the run hangs: ${clip(second.all)}`).toBe(false);
    expect(second.code, clip(second.all)).toBe(0);
    expect(recap(second.stdout)[name], clip(second.all)).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });

    const pw = passwords.get(name);
    if (pw) {
      expect(first.all.includes(pw) || second.all.includes(pw), 'the sudo password in the output').toBe(false);
      const onHost = await grepHost(lab, name, { password: pw });
      expect(
        onHost.map((h) => h.path),
        'the sudo password on the host',
      ).toEqual([]);
    }
  });
});
