/**
 * A host whose link goes down (the lab veth on this machine's side, `ip link set tspKvI down`) is declared
 * UNREACHABLE within a bound whatever it was doing, the other hosts get the next task, and the run ends by
 * itself: idle between tasks, mid-command, mid-upload of a large file, while sudo is starting, before the
 * connection, with keepalives "off" in the inventory (ServerAliveInterval=0), and with a stricter
 * ServerAliveInterval/CountMax. The handshake case (a host that accepts TCP and then says nothing) needs no lab.
 * Figures are printed; the assertions are bounds (20 s for the 12 s default), not timings.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/connection/ssh.js';
import { targetFromVars } from '../../src/connection/target.js';
import { UnreachableError } from '../../src/errors.js';
import { BIN, recap } from '../harness/cli.js';
import { startLab, stopLab, type Lab } from '../harness/lab.js';

const run = promisify(execFile);
const LAB = 'lkdead';
const VICTIM = 'node2';
const OTHERS = ['node1', 'node3'];
/** the default deadline is 12 s; the bound leaves room for a loaded CI machine */
const BOUND_S = 20;
/** a run that has not ended by then hangs */
const HANG_MS = 100_000;
const BIG = 48 * 1024 * 1024;

let lab: Lab;
let tmp: string;
let veth: string;
const figures: string[] = [];

interface Line {
  t: number;
  text: string;
}
interface Timed {
  code: number | null;
  hung: boolean;
  lines: Line[];
  out: string;
  downAt: number;
  /** seconds from link down to the victim's UNREACHABLE line */
  detectS: number;
}

async function linkDown(): Promise<void> {
  await run('ip', ['link', 'set', veth, 'down']);
}

/** Link up again, no shaping, and sshd answering on the victim. */
async function restore(): Promise<void> {
  await run('tc', ['qdisc', 'del', 'dev', veth, 'root']).catch(() => undefined);
  await run('ip', ['link', 'set', veth, 'up']);
  const ip = lab.host(VICTIM).ip;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((res) => {
      const s: Socket = tcpConnect({ host: ip, port: 22 });
      const t = setTimeout(() => (s.destroy(), res(false)), 1000);
      s.once('data', () => (clearTimeout(t), s.destroy(), res(true)));
      s.once('error', () => (clearTimeout(t), res(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${VICTIM}: sshd did not answer again after the link came back`);
}

/** An inventory of the lab's hosts with the given ssh args (the lab key, its known_hosts, strict checking). */
function inventory(name: string, sshArgs = ''): string {
  const hosts = lab.hosts.map((h) => `    ${h.name}: {ansible_host: ${h.ip}}`).join('\n');
  const file = join(tmp, `${name}.yml`);
  writeFileSync(
    file,
    `all:\n  vars:\n    ansible_user: ops\n    ansible_ssh_private_key_file: ${lab.key}\n` +
      `    ansible_ssh_common_args: '-o UserKnownHostsFile=${lab.knownHosts} -o StrictHostKeyChecking=yes ${sshArgs}'\n` +
      `  hosts:\n${hosts}\n`,
  );
  return file;
}

function playbook(name: string, tasks: string): string {
  const file = join(tmp, `${name}-play.yml`);
  writeFileSync(
    file,
    `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: first\n      command: "true"\n${tasks}` + `    - name: next\n      command: echo next\n`,
  );
  return file;
}

/**
 * Run the CLI; take the link down `delayMs` after the first output line matching `trigger` (or before the run
 * when there is none), call `during` right then, and time the victim's UNREACHABLE line.
 */
async function runWithDeadLink(
  name: string,
  play: string,
  opts: { trigger?: RegExp; delayMs?: number; inventory?: string; during?: () => Promise<void> },
): Promise<Timed> {
  const start = performance.now();
  const now = (): number => (performance.now() - start) / 1000;
  let downAt = -1;
  let duringDone: Promise<void> = Promise.resolve();
  if (!opts.trigger) {
    await linkDown();
    downAt = now();
  }
  const child = spawn(process.execPath, [BIN, 'run', '-i', opts.inventory ?? inventory(name), play], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  let partial = '';
  let triggered = false;
  const onChunk = (b: Buffer): void => {
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const text of parts) {
      lines.push({ t: now(), text });
      if (opts.trigger && !triggered && opts.trigger.test(text)) {
        triggered = true;
        setTimeout(() => {
          duringDone = (async () => {
            await linkDown();
            downAt = now();
            await opts.during?.();
          })();
        }, opts.delayMs ?? 0);
      }
    }
  };
  child.stdout.on('data', onChunk);
  child.stderr.on('data', onChunk);
  let hung = false;
  const killer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, HANG_MS);
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  clearTimeout(killer);
  await duringDone;
  const out = lines.map((l) => l.text).join('\n');
  const unreachable = lines.find((l) => l.text.startsWith(`fatal: [${VICTIM}]: UNREACHABLE!`));
  const detectS = unreachable && downAt >= 0 ? unreachable.t - downAt : Number.NaN;
  figures.push(`${name}: ${VICTIM} UNREACHABLE ${detectS.toFixed(1)} s after its link went down`);
  console.log(figures.at(-1));
  return { code, hung, lines, out, downAt, detectS };
}

/**
 * The victim UNREACHABLE within the bound (for the silence deadline's reason unless told otherwise), the
 * others ok through the next task, the run ended by itself with rc 4.
 */
function expectIsolated(r: Timed, boundS = BOUND_S, why = /connection lost \(no data from the host for \d+\.\d s: link or host down\)/): void {
  expect(r.hung, `the run hung:\n${r.out}`).toBe(false);
  const line = r.lines.find((l) => l.text.startsWith(`fatal: [${VICTIM}]: UNREACHABLE!`));
  expect(line?.text, r.out).toMatch(why);
  expect(r.detectS, r.out).toBeLessThanOrEqual(boundS);
  expect(r.code, r.out).toBe(4);
  const rc = recap(r.out);
  expect(rc[VICTIM], r.out).toMatchObject({ unreachable: 1, failed: 0 });
  const next = r.lines.findIndex((l) => l.text.startsWith('TASK [next]'));
  expect(next, r.out).toBeGreaterThan(r.lines.findIndex((l) => l.text.startsWith(`fatal: [${VICTIM}]`)));
  const after = r.lines.slice(next).map((l) => l.text);
  for (const h of OTHERS) {
    expect(rc[h], r.out).toMatchObject({ unreachable: 0, failed: 0 });
    expect(after, r.out).toContain(`changed: [${h}]`);
  }
}

async function victimExec(cmd: string): Promise<string> {
  const r = await lab.exec(VICTIM, cmd);
  if (r.rc !== 0) throw new Error(`${VICTIM}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

afterAll(() => console.log(['dead-link figures:', ...figures].join('\n  ')));

describe('a host whose link goes down', () => {
  beforeAll(async () => {
    lab = await startLab(LAB, { hosts: 3 });
    veth = lab.state.hosts.find((h) => h.name === VICTIM)!.veth;
    tmp = mkdtempSync(join(tmpdir(), 'tsplay-dead-link-'));
  });

  afterAll(async () => {
    try {
      if (veth) await restore().catch(() => undefined);
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      await stopLab(LAB);
    }
  });

  it('before the connection: UNREACHABLE within the connect timeout', async () => {
    try {
      const r = await runWithDeadLink('connect', playbook('connect', ''), {});
      expectIsolated(r, BOUND_S, /ssh: connect to host 10\.231\.\d+\.\d+ port 22: (No route to host|Connection timed out)/);
    } finally {
      await restore();
    }
  });

  it('idle between tasks', async () => {
    const play = playbook(
      'idle',
      `    - name: others busy\n      shell: sleep 6\n      when: inventory_hostname != '${VICTIM}'\n` + `    - name: after idle\n      command: "true"\n`,
    );
    try {
      const r = await runWithDeadLink('idle', play, { trigger: /^TASK \[others busy\]/, delayMs: 500 });
      expectIsolated(r);
      // the victim was skipped (idle) when its link went down
      expect(r.out).toContain(`skipping: [${VICTIM}]`);
    } finally {
      await restore();
    }
  });

  it('in the middle of a command (shell: sleep 60)', async () => {
    const play = playbook('cmd', `    - name: long\n      shell: "sleep {{ 60 if inventory_hostname == '${VICTIM}' else 1 }}"\n`);
    try {
      expectIsolated(await runWithDeadLink('mid-command', play, { trigger: /^TASK \[long\]/, delayMs: 2000 }));
    } finally {
      await restore();
    }
  });

  it('with keepalives off in the inventory (-o ServerAliveInterval=0): still bounded', async () => {
    const play = playbook('off', `    - name: long\n      shell: "sleep {{ 60 if inventory_hostname == '${VICTIM}' else 1 }}"\n`);
    try {
      const r = await runWithDeadLink('ServerAliveInterval=0', play, {
        trigger: /^TASK \[long\]/,
        delayMs: 2000,
        inventory: inventory('off', '-o ServerAliveInterval=0'),
      });
      expectIsolated(r);
    } finally {
      await restore();
    }
  });

  it('with a stricter ServerAliveInterval=1 / ServerAliveCountMax=3 (about 4 s, as OpenSSH)', async () => {
    const play = playbook('strict', `    - name: long\n      shell: "sleep {{ 60 if inventory_hostname == '${VICTIM}' else 1 }}"\n`);
    try {
      const r = await runWithDeadLink('ServerAliveInterval=1,CountMax=3', play, {
        trigger: /^TASK \[long\]/,
        delayMs: 2000,
        inventory: inventory('strict', '-o ServerAliveInterval=1 -o ServerAliveCountMax=3'),
      });
      // well under the 12 s default: both options are honoured
      expectIsolated(r, 9);
    } finally {
      await restore();
    }
  });

  it('in the middle of uploading a large file (copy)', async () => {
    const src = join(tmp, 'big.bin');
    const data = randomBytes(BIG);
    writeFileSync(src, data);
    const sha = createHash('sha256').update(data).digest('hex');
    const dest = '/tmp/dead-link-big.bin';
    const play = playbook('copy', `    - name: big copy\n      copy: {src: ${src}, dest: ${dest}}\n`);
    // 32 Mbit/s towards the victim (the lab veth): its 48 MiB take ~12 s, so the link dies mid-upload
    await run('tc', ['qdisc', 'add', 'dev', veth, 'root', 'tbf', 'rate', '32mbit', 'burst', '64kb', 'latency', '500ms']);
    try {
      const r = await runWithDeadLink('mid-copy', play, { trigger: /^TASK \[big copy\]/, delayMs: 2000 });
      expectIsolated(r);
      for (const h of OTHERS) expect((await lab.exec(h, `sha256sum ${dest}`)).stdout).toContain(sha);
    } finally {
      await restore();
    }
    // cut mid-upload: nothing of the new file reached the victim's destination
    expect(await victimExec(`test -e ${dest} && echo present || echo absent`)).toBe('absent\n');
  });

  it('while sudo is starting (a PAM account module that takes 40 s)', async () => {
    const play = playbook('sudo', `    - name: as root\n      command: id -u\n      become: true\n`);
    await victimExec(`cp /etc/pam.d/sudo /etc/pam.d/sudo.orig && sed -i '1i account optional pam_exec.so quiet /bin/sleep 40' /etc/pam.d/sudo`);
    let sudoWaiting = '';
    try {
      const r = await runWithDeadLink('sudo-start', play, {
        trigger: /^TASK \[as root\]/,
        delayMs: 2000,
        during: async () => {
          sudoWaiting = (await lab.exec(VICTIM, 'pgrep -a -f "^/bin/sleep 40"')).stdout;
        },
      });
      expectIsolated(r);
      // without the deadline this would be sudo's 20 s start timeout, reported as a sudo failure
      expect(r.out).not.toMatch(/did not answer/);
    } finally {
      await restore();
      await victimExec('mv /etc/pam.d/sudo.orig /etc/pam.d/sudo; pkill -f "^/bin/sleep 40" || true');
    }
    // the link went down while sudo was held up in PAM
    expect(sudoWaiting).toContain('sleep 40');
  });
});

describe('a host that accepts the TCP connection and then says nothing', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];

  afterAll(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
  });

  /** A listener on loopback that accepts and stays silent (or sends only the SSH banner). */
  async function tarpit(banner: boolean): Promise<number> {
    const srv = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      if (banner) s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
    });
    servers.push(srv);
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
    return (srv.address() as { port: number }).port;
  }

  async function timeConnect(port: number): Promise<{ e: unknown; s: number }> {
    const t = targetFromVars('tarpit', { ansible_host: '127.0.0.1', ansible_port: port, ansible_host_key_checking: false });
    const c = new SshConnection({ ...t, agent: undefined });
    const t0 = performance.now();
    try {
      await c.connect();
      return { e: null, s: (performance.now() - t0) / 1000 };
    } catch (e) {
      return { e, s: (performance.now() - t0) / 1000 };
    } finally {
      await c.close();
    }
  }

  it('is UNREACHABLE within the bound with default settings, before or after its banner', async () => {
    const [silent, afterBanner] = await Promise.all([timeConnect(await tarpit(false)), timeConnect(await tarpit(true))]);
    for (const [what, r] of [
      ['silent', silent],
      ['banner only', afterBanner],
    ] as const) {
      figures.push(`handshake (${what}): UNREACHABLE after ${r.s.toFixed(1)} s`);
      console.log(figures.at(-1));
      expect(r.e).toBeInstanceOf(UnreachableError);
      expect((r.e as Error).message).toMatch(/no data from the host for 1\d\.\d s: link or host down during the ssh handshake/);
      expect(r.s).toBeLessThanOrEqual(BOUND_S);
    }
  });
});
