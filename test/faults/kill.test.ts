/**
 * Issue 8 §1: a controller killed in the middle of a write never leaves a partial file, and nothing it started
 * runs on. The real CLI (`node bin/tsplay.js run`) writes big files over existing ones on two lab hosts (node1
 * NOPASSWD sudo, node2 sudo with a password) and is sent SIGKILL or SIGINT at seeded random points of the
 * task (copy of a 64 MiB file, a ~20 MB template, lineinfile on a ~15 MB file, a ~32 MB copy whose content
 * comes from a vault); the host's sshd session is killed mid-write as well. After each kill, byte for byte
 * (sha256 on the host): the destination holds the old content or the new, never anything else, no temp file
 * is left beside it, and within 10 s no process of the run is left on the host.
 *
 * Replay a failing schedule with TSPLAY_FAULT_SEED=<seed printed below>.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../harness/cli.js';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import {
  clip,
  faultSeed,
  killAt,
  killLeftovers,
  seededRandom,
  sha256,
  sha256On,
  sleep,
  startRun,
  timedRun,
  waitNoLeftovers,
  writeVaultFile,
  leftovers,
  type KillOutcome,
} from './helpers.js';

const LAB = 'fl-kill';
const HOSTS = ['node1', 'node2'];
const PB = join(ROOT, 'test/fixtures/faults/kill.yml');
const SEED = faultSeed(8_1);
const MiB = 1 << 20;
/** how long a host may take to end what a killed run left (the shell's grace for a running command + TERM/KILL) */
const CLEAN_MS = 10_000;

const ROWS = 200_000;
const REPS = 500_000;
const TEXT_SEED = 'kill-test';
const LINE = 'added by the kill test';
const VAULT_LINE = `vault ${randomBytes(24).toString('hex')} 0123456789\n`;

interface Kind {
  tag: string;
  task: string;
  dest: string;
  /** makes the old content at /srv/ref/<file> */
  old: string;
  /** the new content, computed here */
  content: () => Buffer;
}

let bigFile = '';
const KINDS: Kind[] = [
  { tag: 'copy', task: 'big copy', dest: '/srv/kill/copy.bin', old: 'head -c 1048576 /dev/urandom', content: () => readBig() },
  {
    tag: 'template',
    task: 'big template',
    dest: '/srv/kill/template.txt',
    old: 'yes "an old template line" | head -n 40000',
    content: () => {
      const rows: string[] = [];
      for (let i = 0; i < ROWS; i++)
        rows.push(`row ${i}: the quick brown fox jumps over the lazy dog, seed ${TEXT_SEED}, 0123456789abcdefghijklmnopqrstuvwxyz\n`);
      return Buffer.from(rows.join(''));
    },
  },
  {
    tag: 'lineinfile',
    task: 'line in a big file',
    dest: '/srv/kill/lines.txt',
    old: 'seq 1 2000000',
    content: () => Buffer.concat([seqText(2_000_000), Buffer.from(`${LINE}\n`)]),
  },
  {
    tag: 'vault',
    task: 'content from a vault',
    dest: '/srv/kill/vault.txt',
    old: 'yes "old vault content" | head -n 1000',
    content: () => Buffer.from(VAULT_LINE.repeat(REPS)),
  },
];

let bigData: Buffer | undefined;
function readBig(): Buffer {
  bigData ??= randomBytes(64 * MiB);
  return bigData;
}

function seqText(n: number): Buffer {
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) parts.push(String(i));
  return Buffer.from(parts.join('\n') + '\n');
}

let lab: Lab;
let tmp: string;
let vaultVars: string;
let passwordFile: string;
/** sha256 of the old content per "host tag" (copy's old content is random per host), of the new one per tag */
const shaOld = new Map<string, string>();
const shaNew = new Map<string, string>();
const taskMs = new Map<string, number>();

function args(tag: string): string[] {
  const extra = JSON.stringify({ big_src: bigFile, vault_vars: vaultVars, rows: ROWS, seed: TEXT_SEED, reps: REPS, line: LINE });
  return [PB, '-i', lab.inventory, '-t', tag, '-e', extra, '--vault-password-file', passwordFile];
}

async function resetDest(k: Kind): Promise<void> {
  await Promise.all(
    HOSTS.map(async (h) => {
      const r = await lab.exec(h, `cp /srv/ref/${k.tag} ${k.dest} && chmod 0644 ${k.dest}`);
      if (r.rc !== 0) throw new Error(`${h}: reset ${k.dest}: ${r.stderr}`);
    }),
  );
}

const DEST_NAMES = ['copy.bin', 'lines.txt', 'template.txt', 'vault.txt'];

/** What one host looks like after a kill: leftover processes after the wait, the destination's state, stray files. */
interface HostAfter {
  host: string;
  cleanMs: number;
  left: string[];
  state: 'old' | 'new' | 'other';
  size: string;
  stray: string[];
}

async function inspect(k: Kind, host: string): Promise<HostAfter> {
  const { ms, left } = await waitNoLeftovers(lab, host, CLEAN_MS);
  if (left.length) await killLeftovers(lab, host); // so that this case does not spoil the next
  const sha = await sha256On(lab, host, k.dest);
  const state = sha === shaOld.get(`${host} ${k.tag}`) ? 'old' : sha === shaNew.get(k.tag) ? 'new' : 'other';
  const size = (await lab.exec(host, `stat -c %s ${k.dest} 2>&1`)).stdout.trim();
  const names = (await lab.exec(host, 'ls -A /srv/kill')).stdout.split('\n').filter(Boolean);
  const stray = names.filter((n) => !DEST_NAMES.includes(n));
  if (stray.length) await lab.exec(host, `cd /srv/kill && rm -f -- ${stray.map((s) => `'${s}'`).join(' ')}`);
  return { host, cleanMs: ms, left, state, size, stray };
}

function expectClean(after: HostAfter[], what: string): void {
  for (const a of after) {
    expect.soft(a.state, `${what}: ${a.host} holds neither the old nor the new content (${a.size} bytes)`).not.toBe('other');
    expect.soft(a.left, `${what}: ${a.host} still runs after ${CLEAN_MS / 1000} s`).toEqual([]);
    expect.soft(a.stray, `${what}: ${a.host} has stray files beside the destinations`).toEqual([]);
  }
}

// ---------------------------------------------------------------- the schedule (seeded)

interface Planned {
  n: number;
  kind: Kind;
  signal: 'SIGKILL' | 'SIGINT';
  /** fraction of the task's calibrated duration at which the signal is sent */
  at: number;
}

const rnd = seededRandom(SEED);
const SCHEDULE: Planned[] = Array.from({ length: 20 }, (_, n) => ({
  n,
  kind: KINDS[n % KINDS.length]!,
  signal: Math.floor(n / KINDS.length) % 2 === 0 ? 'SIGKILL' : 'SIGINT',
  at: 0.05 + 0.9 * rnd(),
}));
const SSHD_SCHEDULE = KINDS.map((kind) => ({ kind, at: 0.1 + 0.8 * rnd() }));

interface Tally {
  run: string;
  killedAfterMs: number;
  inTask: boolean;
  states: string;
  cleanMs: number;
}
const tally: Tally[] = [];

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: HOSTS.length, sudo: 'mixed' });
  tmp = mkdtempSync(join(tmpdir(), 'tsplay-faults-kill-'));
  bigFile = join(tmp, 'big.bin');
  writeFileSync(bigFile, readBig());
  passwordFile = join(tmp, 'vault-password');
  writeFileSync(passwordFile, `${randomBytes(12).toString('hex')}\n`, { mode: 0o600 });
  vaultVars = join(tmp, 'vault.yml');
  await writeVaultFile(vaultVars, `vault_line: ${JSON.stringify(VAULT_LINE)}\n`, passwordFile);
  for (const k of KINDS) shaNew.set(k.tag, sha256(k.content()));
  bigData = undefined; // keep only the file
  for (const h of HOSTS) {
    const setup = KINDS.map((k) => `${k.old} > /srv/ref/${k.tag} && cp /srv/ref/${k.tag} ${k.dest}`).join(' && ');
    const r = await lab.exec(h, `mkdir -p /srv/ref /srv/kill && ${setup}`);
    if (r.rc !== 0) throw new Error(`${h}: setup: ${r.stderr}`);
  }
  for (const k of KINDS) for (const h of HOSTS) shaOld.set(`${h} ${k.tag}`, await sha256On(lab, h, `/srv/ref/${k.tag}`));
  // the old content really is the one the new content replaces (lineinfile: new = old + the line)
  if (shaOld.get(`node1 lineinfile`) !== sha256(seqText(2_000_000))) throw new Error('seq output differs from the expected old lines.txt');
  console.log(`kill suite seed ${SEED} (replay: TSPLAY_FAULT_SEED=${SEED})`);
}, 300_000);

afterAll(async () => {
  if (tally.length) {
    const inTask = tally.filter((t) => t.inTask).length;
    const states = tally.map((t) => t.states).join(' ');
    const worst = Math.max(...tally.map((t) => t.cleanMs));
    console.log(
      `kill suite: ${tally.length} kills, ${inTask} inside the task; per run and host o=old n=new X=other: ${states}; slowest clean-up ${(worst / 1000).toFixed(1)} s`,
    );
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await stopLab(LAB);
}, 120_000);

describe('reference: every write completes when nothing is killed', () => {
  it.each(KINDS.map((k) => [k.tag, k] as const))('%s', async (_tag, k) => {
    await resetDest(k);
    const r = await timedRun(args(k.tag), k.task);
    expect(r.code, clip(r.stdout + r.stderr)).toBe(0);
    taskMs.set(k.tag, r.taskMs);
    for (const h of HOSTS) expect(await sha256On(lab, h, k.dest), `${h} ${k.dest}`).toBe(shaNew.get(k.tag));
    console.log(`${k.tag}: ${(r.taskMs / 1000).toFixed(2)} s for the task on ${HOSTS.length} hosts`);
  });
});

async function afterKill(k: Kind): Promise<HostAfter[]> {
  return Promise.all(HOSTS.map((h) => inspect(k, h)));
}

function record(run: string, out: KillOutcome, after: HostAfter[]): void {
  tally.push({
    run,
    killedAfterMs: out.killedAfterMs,
    inTask: !out.taskFinished,
    states: after.map((a) => ({ old: 'o', new: 'n', other: 'X' })[a.state]).join(''),
    cleanMs: Math.max(...after.map((a) => a.cleanMs)),
  });
}

describe('the controller is killed in the middle of a write', () => {
  it.each(SCHEDULE.map((p) => [`#${p.n} ${p.signal} during ${p.kind.tag} at ${Math.round(p.at * 100)} %`, p] as const))('%s', async (name, p) => {
    await resetDest(p.kind);
    const duration = taskMs.get(p.kind.tag) ?? 1000;
    const out = await killAt(args(p.kind.tag), { task: p.kind.task, delayMs: p.at * duration, signal: p.signal });
    // a signal after the PLAY RECAP (or racing with the exit) finds a run whose work was done
    const completed = out.recapBefore || out.endedBefore || (out.code === 0 && out.stdout.includes('PLAY RECAP'));
    if (completed) expect.soft(out.stdout, 'a completed run has its recap').toContain('PLAY RECAP');
    else if (p.signal === 'SIGKILL') expect.soft(out.signal).toBe('SIGKILL');
    else {
      // ansible-playbook's answer to Ctrl-C
      expect.soft({ code: out.code, signal: out.signal }).toEqual({ code: 99, signal: null });
      expect.soft(out.stderr).toContain('[ERROR]: User interrupted execution');
    }
    expect.soft(out.exitMs, 'the controller exits at once').toBeLessThan(5000);
    const after = await afterKill(p.kind);
    record(name, out, after);
    expectClean(after, name);
  });

  it('most kills landed inside the task (the schedule is not vacuous)', () => {
    const inTask = tally.filter((t) => t.inTask && t.run.startsWith('#')).length;
    expect(inTask).toBeGreaterThanOrEqual(SCHEDULE.length / 2);
  });
});

describe("the host's sshd session is killed in the middle of a write", () => {
  it.each(SSHD_SCHEDULE.map((p) => [`${p.kind.tag} at ${Math.round(p.at * 100)} %`, p] as const))('%s', async (name, p) => {
    await resetDest(p.kind);
    const duration = taskMs.get(p.kind.tag) ?? 1000;
    const killSessions = async (): Promise<void> => {
      // only the session's processes ("sshd: ops [priv]", "sshd: ops@notty"): the listener stays for the next run
      await Promise.all(HOSTS.map((h) => lab.exec(h, "pkill -KILL -f '^sshd: ops'; true")));
    };
    const out = await killAt(args(p.kind.tag), { task: p.kind.task, delayMs: p.at * duration, action: killSessions });
    if (!out.taskFinished) {
      expect.soft(out.code, clip(out.stdout)).toBe(4);
      expect.soft(out.stdout).toMatch(/UNREACHABLE!/);
    }
    const after = await afterKill(p.kind);
    record(`sshd ${name}`, out, after);
    expectClean(after, `sshd killed during ${name}`);
    // the host still serves the next run
    await resetDest(p.kind);
    const again = await startRun(args(p.kind.tag)).done;
    expect(again.code, clip(again.stdout + again.stderr)).toBe(0);
    for (const h of HOSTS) expect(await sha256On(lab, h, p.kind.dest)).toBe(shaNew.get(p.kind.tag));
  });
});

describe('a command that runs on after the controller is gone', () => {
  it.each(['SIGKILL', 'SIGINT'] as const)('%s during `shell: sleep 30`: within 10 s no `sleep 30` and no root shell on the hosts', async (signal) => {
    const run = startRun([...args('sleep')]);
    await run.waitLine(/^TASK \[sleep\]/);
    // the command really runs on both hosts before the controller goes
    for (const h of HOSTS) {
      let seen = false;
      for (let i = 0; i < 50 && !seen; i++) {
        seen = (await leftovers(lab, h)).some((l) => / sleep 30$/.test(l));
        if (!seen) await sleep(100);
      }
      expect(seen, `${h} runs sleep 30`).toBe(true);
    }
    run.kill(signal);
    await run.done;
    const t0 = performance.now();
    const after = await Promise.all(HOSTS.map((h) => waitNoLeftovers(lab, h, CLEAN_MS)));
    const ms = performance.now() - t0;
    for (const [i, a] of after.entries()) {
      if (a.left.length) await killLeftovers(lab, HOSTS[i]!);
      expect.soft(a.left, `${HOSTS[i]} after ${(a.ms / 1000).toFixed(1)} s`).toEqual([]);
    }
    console.log(`${signal} during sleep 30: hosts clean after ${(ms / 1000).toFixed(1)} s`);
  });
});
