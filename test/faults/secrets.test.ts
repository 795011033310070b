/**
 * Issue 8 §2: a secret never touches a target's disk outside its destination, and a sudo I/O log holds none.
 * A playbook carries every kind of secret a run has (a PSK through libreswan_secret, a `!vault` value, a
 * whole-file vault vars file, a `no_log` copy, a secret on a command's stdin, the become password from a
 * `!vault` inventory value); fresh random secrets each run. Two lab hosts with a sudo password; node2 also
 * logs sudo I/O (`Defaults log_input,log_output`, uncompressed). After a normal run, after runs killed with
 * SIGKILL at seeded random points, and after a root shell killed outright, EVERY file the hosts wrote (the
 * overlay upper directory, and the tmpfs mounts /run, /dev/shm, /dev) is searched for every secret: 0 hits
 * outside the destinations, and no tsplay spool left in /tmp, /var/tmp, /dev/shm or /run after a run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap, ROOT } from '../harness/cli.js';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import {
  clip,
  faultSeed,
  freshSecret,
  grepHost,
  killAt,
  killLeftovers,
  seededRandom,
  sleep,
  spools,
  startRun,
  timedRun,
  vaultString,
  waitNoLeftovers,
  writeInventory,
  writeVaultFile,
  type SecretHit,
} from './helpers.js';

const LAB = 'fl-sec';
const HOSTS = ['node1', 'node2'];
/** the host that logs sudo I/O */
const IOLOG_HOST = 'node2';
const PB = join(ROOT, 'test/fixtures/faults/secrets.yml');
const SEED = faultSeed(8_2);
/** the big write of a vault value: ~12 MB, so that a kill often lands while a secret is on its way */
const REPS = 400_000;

let lab: Lab;
let tmp: string;
let passwordFile: string;

/** One run's secrets and where each may be found on a host. */
interface Secrets {
  values: Record<string, string>;
  /** label → the host paths that are its destinations */
  allowed: Record<string, string[]>;
  dir: string;
  inventory: string;
}

let runNo = 0;

/** Fresh secrets: the vars files, an inventory with the become password as a !vault value, the hosts' password. */
async function prepare(): Promise<Secrets> {
  const n = ++runNo;
  const values = {
    psk: freshSecret('psk'),
    inline: freshSecret('inl'),
    file: freshSecret('fil'),
    nolog: freshSecret('nol'),
    become: freshSecret('bec'),
  };
  const dir = join(tmp, `run${n}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'vars.yml'), `inline_secret: ${await vaultString(values.inline, passwordFile)}\nnolog_secret: ${values.nolog}\n`);
  await writeVaultFile(join(dir, 'secret-vars.yml'), `file_secret: ${values.file}\npsk_secret: ${values.psk}\n`, passwordFile);
  const become = await vaultString(values.become, passwordFile);
  const inventory = join(dir, 'inventory.yml');
  writeInventory(
    inventory,
    lab,
    lab.hosts.filter((h) => HOSTS.includes(h.name)).map((h) => ({ name: h.name, ip: h.ip })),
    { ansible_become_password: become },
  );
  for (const h of HOSTS) {
    // the login password is the sudo password; chpasswd reads it on stdin
    const r = await lab.exec(h, 'chpasswd && rm -rf /etc/fl /etc/ipsec.d/fl.secrets', { input: `ops:${values.become}\n` });
    if (r.rc !== 0) throw new Error(`${h}: chpasswd: ${r.stderr}`);
  }
  const allowed = {
    psk: ['/etc/ipsec.d/fl.secrets'],
    inline: ['/etc/fl/inline.conf', '/etc/fl/stdin.conf'],
    file: ['/etc/fl/file.conf', '/etc/fl/lines.conf', '/etc/fl/bulk.conf'],
    nolog: ['/etc/fl/nolog.conf', '/etc/fl/bulk-nolog.conf'],
    become: [],
  };
  return { values: { ...values, 'vault password': vaultPassword }, allowed: { ...allowed, 'vault password': [] }, dir, inventory };
}

let vaultPassword = '';

function args(s: Secrets, extra: Record<string, unknown> = {}): string[] {
  return [PB, '-i', s.inventory, '-e', JSON.stringify({ secrets_dir: s.dir, reps: REPS, ...extra }), '--vault-password-file', passwordFile];
}

/** Hits outside the destinations, per host; and, for a finished run, that each destination does hold its secret. */
async function secretsOnDisk(s: Secrets, host: string): Promise<{ outside: SecretHit[]; found: SecretHit[] }> {
  const hits = await grepHost(lab, host, s.values);
  const outside = hits.filter((h) => !s.allowed[h.secret]!.includes(h.path));
  return { outside, found: hits.filter((h) => !outside.includes(h)) };
}

async function expectNothingOutside(s: Secrets, what: string): Promise<void> {
  for (const h of HOSTS) {
    const { outside } = await secretsOnDisk(s, h);
    expect
      .soft(
        outside.map((x) => `${x.secret} in ${x.path}`),
        `${what}: ${h}: secrets outside their destinations`,
      )
      .toEqual([]);
    expect.soft(await spools(lab, h), `${what}: ${h}: spools left`).toEqual([]);
  }
}

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: HOSTS.length, sudo: 'password' });
  tmp = mkdtempSync(join(tmpdir(), 'tsplay-faults-secrets-'));
  passwordFile = join(tmp, 'vault-password');
  vaultPassword = freshSecret('vpw');
  writeFileSync(passwordFile, `${vaultPassword}\n`, { mode: 0o600 });
  const r = await lab.exec(
    IOLOG_HOST,
    'printf "Defaults log_input,log_output\\nDefaults !compress_io\\n" > /etc/sudoers.d/zz-iolog && chmod 440 /etc/sudoers.d/zz-iolog && visudo -c >/dev/null',
  );
  if (r.rc !== 0) throw new Error(`sudo I/O logging: ${r.stderr}`);
  console.log(`secrets suite seed ${SEED} (replay: TSPLAY_FAULT_SEED=${SEED})`);
}, 300_000);

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await stopLab(LAB);
}, 120_000);

/** how long the big write took in the first run */
let bigWriteMs = 1000;
const BIG_WRITE = 'a big write of a vault value';

describe('a run that completes', () => {
  let s: Secrets;

  it('writes each secret to its destination and nowhere else; a second run changes nothing', async () => {
    s = await prepare();
    const first = await timedRun(args(s), BIG_WRITE);
    expect(first.code, clip(first.stdout + first.stderr)).toBe(0);
    bigWriteMs = first.taskMs;
    const second = await startRun(args(s)).done;
    expect(second.code, clip(second.stdout + second.stderr)).toBe(0);
    for (const c of Object.values(recap(second.stdout))) expect(c).toMatchObject({ changed: 0, failed: 0 });
    for (const out of [first, second])
      for (const [k, v] of Object.entries(s.values)) expect((out.stdout + out.stderr).includes(v), `${k} in the output`).toBe(false);
    await expectNothingOutside(s, 'after two runs');
    // the search works: every destination is found with its secret
    for (const h of HOSTS) {
      const { found } = await secretsOnDisk(s, h);
      const expected = Object.entries(s.allowed).flatMap(([secret, paths]) =>
        paths.filter((p) => !p.endsWith('bulk-nolog.conf')).map((path) => `${secret} in ${path}`),
      );
      expect(found.map((x) => `${x.secret} in ${x.path}`).sort(), h).toEqual(expected.sort());
    }
  });

  it('the sudo I/O log holds the protocol, none of the secrets', async () => {
    const log = await lab.exec(IOLOG_HOST, 'find /var/log/sudo-io -type f -name stdin -size +0 | wc -l; cat /var/log/sudo-io/*/*/*/stdin | head -c 100000');
    const [count, ...rest] = log.stdout.split('\n');
    // I/O logging is on and readable (uncompressed): sudo logged what went in on its stdin
    expect(Number(count), 'sudo-io sessions with input').toBeGreaterThan(0);
    expect(rest.join('\n')).toMatch(/head -c/);
    const hits = (await grepHost(lab, IOLOG_HOST, s.values)).filter((h) => h.path.startsWith('/var/log/sudo-io/'));
    expect(hits.map((x) => `${x.secret} in ${x.path}`)).toEqual([]);
  });
});

describe('a big no_log copy', () => {
  it('runs (12 MB of content registered as one secret must not break the masking of the output)', async () => {
    const s = await prepare();
    const r = await startRun([...args(s), '-t', 'bignolog']).done;
    expect(r.code, clip(r.stdout + r.stderr)).toBe(0);
    expect((r.stdout + r.stderr).includes(s.values.nolog), 'the no_log value in the output').toBe(false);
    for (const h of HOSTS) {
      const { outside } = await secretsOnDisk(s, h);
      expect
        .soft(
          outside.map((x) => `${x.secret} in ${x.path}`),
          h,
        )
        .toEqual([]);
    }
  });
});

const rnd = seededRandom(SEED);
/** tasks a kill may land in (each carries a secret; not the last, so that the run is still going) */
const KILL_TASKS = ["the tunnel's PSK", 'a !vault value in a file', 'a whole-file vault value through a template', 'a no_log copy', 'a line with a secret'];
/** three kills: two during the big write (at a random point of it), one at the start of another task */
const KILLS = [0, 1, 2].map((n) => {
  const big = n !== 1;
  const task = big ? BIG_WRITE : KILL_TASKS[Math.floor(rnd() * KILL_TASKS.length)]!;
  return { n, task, big, at: big ? 0.05 + 0.9 * rnd() : rnd() };
});

describe('a run killed with SIGKILL', () => {
  it.each(KILLS.map((k) => [`#${k.n} during '${k.task}' (${k.big ? `${Math.round(k.at * 100)} % of it` : `${Math.round(k.at * 100)} ms in`})`, k] as const))(
    '%s leaves no secret outside its destination',
    async (name, k) => {
      const s = await prepare();
      // the run holds open at its end, so a run faster than the measured one still meets its kill
      const out = await killAt(args(s, { hold: true }), { task: k.task, delayMs: k.big ? k.at * bigWriteMs : k.at * 100, signal: 'SIGKILL' });
      expect(out.endedBefore, 'the kill came after the end of the run').toBe(false);
      expect(out.signal).toBe('SIGKILL');
      console.log(`kill #${k.n}: ${Math.round(out.killedAfterMs)} ms after the task's header; ${out.taskFinished ? 'after' : 'before'} its first result`);
      for (const h of HOSTS) {
        const { left } = await waitNoLeftovers(lab, h, 10_000);
        if (left.length) await killLeftovers(lab, h);
        expect.soft(left, `${h}: still running 10 s after the kill`).toEqual([]);
      }
      await expectNothingOutside(s, name);
    },
  );
});

describe('a root shell killed outright (no exit trap runs)', () => {
  it('leaves its spool on a tmpfs at most; the next run removes it and leaves no secret outside its destinations', async () => {
    const s = await prepare();
    const run = startRun(args(s));
    await run.waitLine(/^TASK \[a big write of a vault value\]/);
    // kill the root shells (the loop and its helpers) the moment the big input is on its way
    for (let i = 0; i < 100; i++) {
      const spooled = await Promise.all(HOSTS.map((h) => spools(lab, h)));
      if (spooled.every((x) => x.length)) break;
      await sleep(20);
    }
    await Promise.all(HOSTS.map((h) => lab.exec(h, "pkill -KILL -u root -f '^/bin/sh -c echo tsplay-ready-'; true")));
    const killed = await run.done;
    expect(killed.code, clip(killed.stdout)).not.toBe(0);
    const stale = await Promise.all(HOSTS.map((h) => spools(lab, h)));
    console.log(`spools a killed root shell left: ${JSON.stringify(stale)}`);
    for (const h of HOSTS) {
      await waitNoLeftovers(lab, h, 10_000);
      await killLeftovers(lab, h);
      // what may remain is on a tmpfs, never on the disk
      const onDisk = (await grepHost(lab, h, s.values)).filter((x) => !s.allowed[x.secret]!.includes(x.path) && !/^\/(dev\/shm|run)\//.test(x.path));
      expect
        .soft(
          onDisk.map((x) => `${x.secret} in ${x.path}`),
          `${h}: secrets on disk outside their destinations`,
        )
        .toEqual([]);
    }
    const next = await prepare();
    const again = await startRun(args(next)).done;
    expect(again.code, clip(again.stdout + again.stderr)).toBe(0);
    // the old run's secrets as well as the new run's: nothing of either outside the destinations, no spool
    await expectNothingOutside(next, 'after the next run');
    // the killed run's destinations were removed before the next run: its secrets are nowhere any more
    const { 'vault password': _same, ...killedOnly } = s.values;
    for (const h of HOSTS) {
      const stillThere = await grepHost(lab, h, killedOnly);
      expect
        .soft(
          stillThere.map((x) => `${x.secret} in ${x.path}`),
          `${h}: the killed run's secrets`,
        )
        .toEqual([]);
    }
  });
});
