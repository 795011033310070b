/**
 * Shared pieces of the fault-injection suite (test/faults): a controller run as a child process that can be
 * killed at a chosen moment, seeded randomness, and what a host looks like afterwards (content hashes, the
 * processes tsplay left, spool directories, every file that holds a secret).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, tsplay } from '../harness/cli.js';
import { upperDir, type Lab } from '../harness/lab.js';

// ---------------------------------------------------------------- randomness

/** mulberry32: a small seeded PRNG, so that a failing kill point can be replayed with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The suite's seed: TSPLAY_FAULT_SEED to replay a run, else a fixed default (CI runs are reproducible). */
export function faultSeed(fallback: number): number {
  const env = process.env.TSPLAY_FAULT_SEED;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : fallback;
}

/** A fresh secret for one run: letters and digits only (valid in a PSK, a password, YAML and sh). */
export function freshSecret(label: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(24);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return `${label}${s}`;
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A long output cut to its head and tail, for assertion messages. */
export function clip(s: string, n = 1500): string {
  return s.length <= 2 * n ? s : `${s.slice(0, n)}\n[... ${s.length - 2 * n} characters ...]\n${s.slice(-n)}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the controller as a child process

export interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms since the controller was started, per stdout line */
  lines: { at: number; text: string }[];
}

/** A running `node bin/tsplay.js run ...`. */
export class ControllerRun {
  readonly child: ChildProcess;
  readonly started = performance.now();
  readonly lines: { at: number; text: string }[] = [];
  private stdout = '';
  private stderr = '';
  private partial = '';
  private waiters: { re: RegExp; from: number; resolve: (at: number) => void }[] = [];
  readonly done: Promise<RunOutcome>;

  constructor(args: string[], opts: { env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, [BIN, 'run', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdin!.end();
    this.child.stdout!.on('data', (b: Buffer) => this.onStdout(b.toString()));
    this.child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        if (this.partial) this.addLine(this.partial);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, lines: this.lines });
      });
    });
  }

  private onStdout(s: string): void {
    this.stdout += s;
    this.partial += s;
    let i: number;
    while ((i = this.partial.indexOf('\n')) >= 0) {
      this.addLine(this.partial.slice(0, i));
      this.partial = this.partial.slice(i + 1);
    }
  }

  private addLine(text: string): void {
    const at = performance.now() - this.started;
    this.lines.push({ at, text });
    const idx = this.lines.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (idx >= w.from && w.re.test(text)) {
        w.resolve(at);
        return false;
      }
      return true;
    });
  }

  /** Resolves (with ms since start) when a stdout line matches; rejects if the run ends or the timeout passes. */
  waitLine(re: RegExp, timeoutMs = 60_000): Promise<number> {
    const seen = this.lines.find((l) => re.test(l.text));
    if (seen) return Promise.resolve(seen.at);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no line ${re} within ${timeoutMs} ms:\n${clip(this.stdout + this.stderr)}`)), timeoutMs);
      this.waiters.push({
        re,
        from: this.lines.length,
        resolve: (at) => {
          clearTimeout(t);
          resolve(at);
        },
      });
      void this.done.then(() => {
        clearTimeout(t);
        reject(new Error(`the run ended without a line ${re}:\n${clip(this.stdout + this.stderr)}`));
      });
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

export function startRun(args: string[], opts?: { env?: Record<string, string> }): ControllerRun {
  return new ControllerRun(args, opts);
}

const TASK_LINE = (task: string): RegExp => new RegExp(`^TASK \\[${task.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]`);
const RESULT_LINE = /^(ok|changed|fatal|failed|skipping|unreachable):? \[/;

/** Where a run was when it was stopped: the task's header was printed; whether some host's result was too. */
export interface KillOutcome extends RunOutcome {
  /** ms between the task's header and the signal */
  killedAfterMs: number;
  /** a result line of the task was printed before the signal: the kill came after the task */
  taskFinished: boolean;
  /** ms between the signal and the controller's exit */
  exitMs: number;
  /** the controller had ended by itself before the signal (the kill came too late) */
  endedBefore: boolean;
  /** the PLAY RECAP was printed before the signal: the run's work was done */
  recapBefore: boolean;
}

/**
 * Start a run, wait for `TASK [task]`, wait `delayMs`, send `signal` (to the controller, or `action()` instead,
 * e.g. killing something on the host), and wait for the controller to end.
 */
export async function killAt(
  args: string[],
  o: { task: string; delayMs: number; signal?: NodeJS.Signals; action?: () => Promise<void>; env?: Record<string, string> },
): Promise<KillOutcome> {
  const run = startRun(args, { env: o.env });
  const header = await run.waitLine(TASK_LINE(o.task));
  const headerIdx = run.lines.findIndex((l) => TASK_LINE(o.task).test(l.text));
  const target = header + o.delayMs;
  await sleep(Math.max(0, target - (performance.now() - run.started)));
  const killedAt = performance.now() - run.started;
  const taskFinished = run.lines.slice(headerIdx + 1).some((l) => RESULT_LINE.test(l.text));
  const endedBefore = run.child.exitCode !== null || run.child.signalCode !== null;
  const recapBefore = run.lines.some((l) => l.text.startsWith('PLAY RECAP'));
  if (o.action) await o.action();
  else run.kill(o.signal ?? 'SIGKILL');
  const timeout = setTimeout(() => run.kill('SIGKILL'), 60_000);
  const out = await run.done;
  clearTimeout(timeout);
  return { ...out, killedAfterMs: killedAt - header, taskFinished, endedBefore, recapBefore, exitMs: performance.now() - run.started - killedAt };
}

/** Run to the end, or SIGKILL it after `limitMs` (a hang is a failure with the output so far, not a test timeout). */
export async function boundedRun(args: string[], limitMs: number): Promise<RunOutcome & { all: string; timedOut: boolean }> {
  const run = startRun(args);
  let timedOut = false;
  const t = setTimeout(() => {
    timedOut = true;
    run.kill('SIGKILL');
  }, limitMs);
  const out = await run.done;
  clearTimeout(t);
  return { ...out, all: out.stdout + out.stderr, timedOut };
}

/** Run to the end; also how long `task` took (its header to the line after its last result). */
export async function timedRun(args: string[], task: string, env?: Record<string, string>): Promise<RunOutcome & { taskMs: number }> {
  const out = await startRun(args, { env }).done;
  const i = out.lines.findIndex((l) => TASK_LINE(task).test(l.text));
  if (i < 0) throw new Error(`no TASK [${task}] in the output:\n${clip(out.stdout + out.stderr)}`);
  const next = out.lines.slice(i + 1).find((l) => /^(TASK|PLAY|RUNNING HANDLER)/.test(l.text)) ?? out.lines[out.lines.length - 1]!;
  return { ...out, taskMs: next.at - out.lines[i]!.at };
}

// ---------------------------------------------------------------- the host afterwards

/** Plain OpenSSH to a lab host as ops (the lab's ssh_config), with extra -o options (e.g. LogLevel=INFO). */
export function plainSsh(
  lab: Lab,
  host: string,
  cmd: string,
  o: { input?: string; options?: string[] } = {},
): Promise<{ rc: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const opts = (o.options ?? []).flatMap((x) => ['-o', x]);
    const child = spawn('ssh', ['-F', lab.sshConfig, ...opts, '-o', 'ConnectTimeout=10', host, cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('latin1')));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('latin1')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ rc: code ?? 1, stdout, stderr }));
    child.stdin!.on('error', () => {});
    child.stdin!.end(o.input ?? '');
  });
}

async function execOk(lab: Lab, host: string, cmd: string, input?: string): Promise<string> {
  const r = await lab.exec(host, cmd, { input });
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

/** sha256 of a file on the host, 'missing' when there is none. */
export async function sha256On(lab: Lab, host: string, path: string): Promise<string> {
  const out = await execOk(lab, host, `if [ -e ${path} ]; then sha256sum < ${path}; else echo missing; fi`);
  return out.trim().split(/\s+/)[0]!;
}

/**
 * Processes on the host that a run left: everything but the lab's own (PID 1, its `sleep`, the sshd
 * listener) and this probe (its own session). One line per process: "user pid args".
 */
export async function leftovers(lab: Lab, host: string): Promise<string[]> {
  const out = await execOk(
    lab,
    host,
    'ps -eo pid=,ppid=,sid=,user=,args= | while read -r pid ppid sid user args; do [ "$sid" = $$ ] || echo "$pid $ppid $user $args"; done',
  );
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(' '))
    .filter(([pid, ppid, , ...args]) => {
      const a = args.join(' ');
      if (pid === '1') return false;
      if (ppid === '1' && (a === 'sleep 3600' || /^sshd: \/usr\/sbin\/sshd( |$)|^\/usr\/sbin\/sshd( |$)/.test(a))) return false;
      return true;
    })
    .map(([pid, , user, ...args]) => `${user} ${pid} ${args.join(' ')}`);
}

/** Poll until the host has no leftover process (or `timeoutMs` passed): ms it took and what is still there. */
export async function waitNoLeftovers(lab: Lab, host: string, timeoutMs = 10_000): Promise<{ ms: number; left: string[] }> {
  const t0 = performance.now();
  for (;;) {
    const left = await leftovers(lab, host);
    const ms = performance.now() - t0;
    if (!left.length || ms > timeoutMs) return { ms, left };
    await sleep(200);
  }
}

/** End whatever a run left on the host (so that one failed case does not spoil the next). */
export async function killLeftovers(lab: Lab, host: string): Promise<void> {
  const pids = (await leftovers(lab, host)).map((l) => l.split(' ')[1]);
  if (pids.length) await lab.exec(host, `kill -KILL ${pids.join(' ')} 2>/dev/null; true`);
}

/** tsplay spool directories (or files) in the usual temporary places of the host. */
export async function spools(lab: Lab, host: string): Promise<string[]> {
  const out = await execOk(
    lab,
    host,
    'for d in /tmp /var/tmp /dev/shm /run /run/user/*; do for f in "$d"/tsplay.*; do [ -e "$f" ] && echo "$f"; done; done; true',
  );
  return out.split('\n').filter(Boolean);
}

export interface SecretHit {
  /** the path on the host */
  path: string;
  secret: string;
}

function walkFiles(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) walkFiles(p, out);
    else if (st.isFile()) out.push(p);
  }
}

/**
 * Every file the host holds a secret in: its overlay upper directory (every file it wrote to its disk, read
 * from this machine) and its tmpfs mounts (/run, /dev with /dev/shm: grepped inside the host, the secrets on
 * grep's stdin). `secrets`: label → value.
 */
export async function grepHost(lab: Lab, host: string, secrets: Record<string, string>): Promise<SecretHit[]> {
  const hits: SecretHit[] = [];
  const upper = upperDir(lab, host);
  const files: string[] = [];
  walkFiles(upper, files);
  const needles = Object.entries(secrets).map(([label, s]) => [label, Buffer.from(s)] as const);
  for (const f of files) {
    let data: Buffer;
    try {
      data = readFileSync(f);
    } catch {
      continue;
    }
    for (const [label, n] of needles) if (data.includes(n)) hits.push({ path: f.slice(upper.length), secret: label });
  }
  for (const [label, s] of Object.entries(secrets)) {
    const r = await lab.exec(host, 'grep -rlaF -D skip -f - /run /dev 2>/dev/null; true', { input: s + '\n' });
    for (const p of r.stdout.split('\n').filter(Boolean)) hits.push({ path: p, secret: label });
  }
  return hits;
}

// ---------------------------------------------------------------- controller-side files

/** `tsplay vault encrypt` of a YAML text into `path` (the plaintext goes through stdin, never argv). */
export async function writeVaultFile(path: string, plaintext: string, passwordFile: string): Promise<void> {
  const r = await tsplay(['vault', 'encrypt', '--vault-password-file', passwordFile, '--output', path], { input: plaintext });
  if (r.code !== 0) throw new Error(`vault encrypt failed: ${r.all}`);
}

/**
 * A `!vault |` YAML value (tsplay vault encrypt-string, the value on stdin): "!vault |" and the lines of the
 * vault indented by 10 spaces, to put after a key indented by less.
 */
export async function vaultString(value: string, passwordFile: string): Promise<string> {
  const r = await tsplay(['vault', 'encrypt-string', '--vault-password-file', passwordFile, '--stdin-name', 'x'], { input: value });
  if (r.code !== 0) throw new Error(`vault encrypt-string failed: ${r.all}`);
  return r.stdout.trim().replace(/^x: /, '');
}

export interface InventoryHost {
  name: string;
  ip: string;
  vars?: Record<string, unknown>;
}

/**
 * A YAML inventory for some lab hosts (user ops, the lab key and known_hosts), with extra per-host vars; a
 * var whose value starts with '!vault |' is written as that YAML value.
 */
export function writeInventory(path: string, lab: Lab, hosts: InventoryHost[], allVars: Record<string, unknown> = {}): void {
  const val = (v: unknown): string => (typeof v === 'string' && v.startsWith('!vault |') ? v : JSON.stringify(v));
  const lines = ['all:', '  vars:', '    ansible_user: ops', `    ansible_ssh_private_key_file: ${JSON.stringify(lab.key)}`];
  lines.push(`    ansible_ssh_common_args: ${JSON.stringify(`-o UserKnownHostsFile=${lab.knownHosts} -o StrictHostKeyChecking=yes`)}`);
  for (const [k, v] of Object.entries(allVars)) lines.push(`    ${k}: ${val(v)}`);
  lines.push('  hosts:');
  for (const h of hosts) {
    lines.push(`    ${h.name}:`, `      ansible_host: ${h.ip}`);
    for (const [k, v] of Object.entries(h.vars ?? {})) lines.push(`      ${k}: ${val(v)}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}
