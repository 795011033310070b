/**
 * tsplay's hostlists against the real Slurm: `scontrol show hostnames|hostlist|hostlistsorted` (package
 * slurm-client) on a few hundred generated expressions, compared byte for byte. scontrol needs no slurmctld
 * for these, only a configuration to parse: SLURM_CONF points at a minimal file in a temporary directory.
 * Without scontrol the tests are skipped, saying so (as test/helpers/features.ts does for kernel features).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { count, expand, fold, HostlistError } from '../../lib/hostlist.js';
import { tsplay } from '../harness/cli.js';

const confDir = mkdtempSync(join(tmpdir(), 'tsplay-slurm-conf-'));
writeFileSync(join(confDir, 'slurm.conf'), 'ClusterName=tsplaytest\nSlurmctldHost=localhost\n');
const env = { ...process.env, SLURM_CONF: join(confDir, 'slurm.conf') };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function scontrol(...args: string[]): Run {
  // a timeout: scontrol 22.05 can spin for minutes on a name with a newline inside brackets
  const r = spawnSync('scontrol', args, { env, encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { code: null, stdout: '', stderr: r.error.message };
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like featureGate: is scontrol here and working; if not, one line saying what is skipped and why. */
function scontrolGate(): { available: boolean; version: string; title(t: string): string } {
  const probe = scontrol('show', 'hostnames', 'n[1-2]');
  let reason = '';
  if (probe.code === null) reason = 'scontrol (package slurm-client) is not installed';
  else if (probe.stdout !== 'n1\nn2\n') reason = `scontrol does not work here: ${(probe.stderr || probe.stdout).trim()}`;
  if (reason) console.log(`${reason}: the comparison with Slurm's hostlists is skipped`);
  const version = reason ? '' : scontrol('--version').stdout.trim();
  return { available: !reason, version, title: (t) => (reason ? `${t} [skipped: ${reason}]` : t) };
}

const gate = scontrolGate();

/**
 * What the installed Slurm reads: text after the last bracket group came with Slurm 23.11 (before, the
 * whole list is invalid), a newline separates names since 23.02. Expressions use them only when it does.
 */
const slurmHas = {
  suffix: gate.available && scontrol('show', 'hostnames', 'a[1]b').stdout === 'a1b\n',
  // (before 23.02 the newline is part of the name: a\nb1, a\nb2)
  newline: gate.available && scontrol('show', 'hostnames', 'a\nb[1-2]').stdout === 'a\nb1\nb2\n',
};

/** mulberry32: a small seeded generator, so every run tests the same expressions. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = prng(20240601);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const num = (n: number): string => String(n).padStart(pick([0, 0, 1, 2, 3, 4]), '0');

/** `lo`, `lo-hi` with padded bounds; overlapping and repeated ranges on purpose. */
function range(): string {
  const lo = pick([int(0, 12), int(0, 120), int(95, 105), int(990, 1010)]);
  return rnd() < 0.3 ? num(lo) : `${num(lo)}-${num(lo + int(0, 14))}`;
}

function group(): string {
  return `[${Array.from({ length: int(1, 4) }, range).join(',')}]`;
}

/** One name: a prefix, one to three bracket groups with text between, maybe a suffix; or a plain name. */
function name(): string {
  if (rnd() < 0.2) return pick(['login', 'ctl01', 'n7', 'n07', 'gpu-a100-3', '42', 'x.y']);
  let out = pick(['n', 'cloud', 'gpu-', 'r1n', 'node.', 'c', 'az-eu-', '']) + group();
  for (let g = int(1, 3); g > 1; g--) out += pick(['', 'n', '-', '.', 's0']) + group();
  if (slurmHas.suffix && rnd() < 0.15) out += pick(['.ib', '-eth0', 'x']);
  return out;
}

function expression(): string {
  const seps = [',', ' ', '\t', ', ', ',,', ...(slurmHas.newline ? ['\n'] : [])];
  const names = Array.from({ length: int(1, 4) }, name);
  if (rnd() < 0.2) names.push(pick(names)); // a duplicate name
  return names.reduce((acc, n) => acc + pick(seps) + n);
}

/** Expressions of at most 2000 names: overlapping runs make Slurm's sorted folding (and ours) quadratic. */
function smallExpression(): string {
  for (;;) {
    const e = expression();
    if (count(e) <= 2000) return e;
  }
}

const EXPRESSIONS = Array.from({ length: 400 }, smallExpression);
const lines = (names: string[]): string => names.map((n) => n + '\n').join('');

describe.skipIf(!gate.available)(`hostlists as Slurm reads them (${gate.version || 'scontrol missing'})`, () => {
  it(gate.title(`expand gives what scontrol show hostnames prints, for ${EXPRESSIONS.length} expressions`), () => {
    const diffs: string[] = [];
    for (const e of EXPRESSIONS) {
      const want = scontrol('show', 'hostnames', e);
      const got = lines(expand(e));
      if (want.stdout !== got || want.stderr) diffs.push(`${JSON.stringify(e)}: scontrol ${JSON.stringify(want)} tsplay ${JSON.stringify(got)}`);
    }
    expect(diffs).toEqual([]);
  });

  it(gate.title('fold and fold --sorted give what scontrol show hostlist|hostlistsorted print, for expressions and for their names'), () => {
    const diffs: string[] = [];
    const slurmLost: string[] = [];
    const sortedNames = (hostlist: string): string[] => scontrol('show', 'hostnames', hostlist).stdout.split('\n').filter(Boolean).sort();
    for (const e of EXPRESSIONS) {
      const names = expand(e);
      const shuffled = [...names].sort(() => rnd() - 0.5);
      for (const input of [e, names.join(','), shuffled.join(',')]) {
        for (const [cmd, sorted] of [
          ['hostlist', false],
          ['hostlistsorted', true],
        ] as const) {
          const want = scontrol('show', cmd, input).stdout;
          const got = fold(input, { sorted }) + '\n';
          if (want === got) continue;
          // Slurm's sorting can drop names where runs of several widths overlap; tsplay keeps them all
          const all = [...names].sort();
          if (sorted && want && JSON.stringify(sortedNames(want.trim())) !== JSON.stringify(all)) {
            slurmLost.push(input);
            expect(sortedNames(got.trim())).toEqual(all);
            continue;
          }
          diffs.push(`${cmd} ${JSON.stringify(input)}: scontrol ${JSON.stringify(want)} tsplay ${JSON.stringify(got)}`);
        }
      }
    }
    if (slurmLost.length) {
      console.log(
        `${gate.version}: hostlistsorted lost names for ${slurmLost.length} inputs (tsplay keeps them), e.g. ${JSON.stringify(slurmLost[0]!.slice(0, 120))}`,
      );
    }
    expect(diffs).toEqual([]);
  });

  it(gate.title('fold --sorted keeps every name where Slurm 22.05 loses some (runs of several widths overlapping)'), () => {
    const input = 'a[9-10],a[9-11],a00';
    const slurm = scontrol('show', 'hostlistsorted', input).stdout.trim();
    console.log(`${gate.version}: hostlistsorted ${input} gives ${slurm} (${expand(slurm).length} of 5 names)`);
    expect(expand(fold(input, { sorted: true })).sort()).toEqual(expand(input).sort());
  });

  it(gate.title('the CLI prints the same bytes as scontrol'), async () => {
    const some = EXPRESSIONS.slice(0, 40);
    const want = some.map((e) => scontrol('show', 'hostnames', e).stdout).join('');
    expect(await tsplay(['hostlist', 'expand', ...some])).toMatchObject({ code: 0, stdout: want, stderr: '' });
    for (const e of some.slice(0, 10)) {
      expect((await tsplay(['hostlist', 'fold', e])).stdout).toBe(scontrol('show', 'hostlist', e).stdout);
      expect((await tsplay(['hostlist', 'fold', '--sorted', e])).stdout).toBe(scontrol('show', 'hostlistsorted', e).stdout);
    }
  });

  it.each(['n[3-1]', 'n[]', 'n[1,,2]', 'n[a-b]', 'n[-1]', 'n[1--2]', 'n[1-2-3]', 'n[0-65536]', 'n[1-3]]'])(gate.title('both reject %j'), (e) => {
    expect(scontrol('show', 'hostnames', e)).toMatchObject({ stdout: '', stderr: expect.stringContaining(`Invalid hostlist: ${e}`) });
    expect(() => expand(e)).toThrow(HostlistError);
  });

  it(gate.title(`allows exactly the ${65536} names of n[0-65535], as Slurm does`), () => {
    expect(scontrol('show', 'hostnames', 'n[0-65535]').stdout).toBe(lines(expand('n[0-65535]')));
  });
});
