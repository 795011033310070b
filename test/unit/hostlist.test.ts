/**
 * lib/hostlist.ts: Slurm's hostlist grammar. The fold expectations are what `scontrol show hostlist` /
 * `hostlistsorted` (Slurm 22.05) print for the same input; test/e2e/hostlist-scontrol.test.ts compares
 * generated expressions with a real scontrol.
 */
import { describe, expect, it } from 'vitest';
import { count, expand, fold, HostlistError, isSlurmRangeSyntax, MAX_HOSTS } from '../../lib/hostlist.js';
import { tsplay } from '../harness/cli.js';

const seq = (prefix: string, lo: number, hi: number, width = 0): string[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => prefix + String(lo + i).padStart(width, '0'));

describe('expand', () => {
  const cases: [string, string[]][] = [
    ['n1', ['n1']],
    ['plain', ['plain']],
    ['n[1-3]', ['n1', 'n2', 'n3']],
    ['n[8-10]', ['n8', 'n9', 'n10']],
    ['n[001-004,010]', ['n001', 'n002', 'n003', 'n004', 'n010']],
    // the width is the lower bound's text, whatever the upper bound is written with
    ['n[01-3]', ['n01', 'n02', 'n03']],
    ['n[1-03]', ['n1', 'n2', 'n3']],
    ['n[7]', ['n7']],
    ['n[3,1,2]', ['n3', 'n1', 'n2']],
    ['n[1,1,2]', ['n1', 'n1', 'n2']],
    ['n[1-2,2-3]', ['n1', 'n2', 'n2', 'n3']],
    ['[1-3]', ['1', '2', '3']],
    ['10.0.0.[1-3]', ['10.0.0.1', '10.0.0.2', '10.0.0.3']],
    ['cloud[1-2].example.com', ['cloud1.example.com', 'cloud2.example.com']],
    ['r[1-2]n[01-03]', ['r1n01', 'r1n02', 'r1n03', 'r2n01', 'r2n02', 'r2n03']],
    ['rack[1-2]-n[01-02]', ['rack1-n01', 'rack1-n02', 'rack2-n01', 'rack2-n02']],
    ['n[1-2][0-1]', ['n10', 'n11', 'n20', 'n21']],
    // three groups and more: the second-to-last group is the slowest, the last the fastest
    ['a[1-2]b[1-2]c[1-2]', ['a1b1c1', 'a1b1c2', 'a2b1c1', 'a2b1c2', 'a1b2c1', 'a1b2c2', 'a2b2c1', 'a2b2c2']],
    ['a[1-2]b[1-2]c[1-2]d[1]', ['a1b1c1d1', 'a2b1c1d1', 'a1b2c1d1', 'a2b2c1d1', 'a1b1c2d1', 'a2b1c2d1', 'a1b2c2d1', 'a2b2c2d1']],
    // separators outside brackets: comma, space, tab, newline, any number of them
    ['n[1-2],x y\tz\nw', ['n1', 'n2', 'x', 'y', 'z', 'w']],
    [',, n1,,n2 \n', ['n1', 'n2']],
    ['', []],
    // a name without '[' is taken as it is, as Slurm takes it
    ['n]', ['n]']],
  ];
  it.each(cases)('%j', (input, expected) => {
    expect(expand(input)).toEqual(expected);
    expect(count(input)).toBe(expected.length);
  });

  it('expands several expressions in order', () => {
    expect(expand(['n[1-2]', 'm1', 'n[1-2]'])).toEqual(['n1', 'n2', 'm1', 'n1', 'n2']);
  });

  it('keeps zero padding over a long range', () => {
    expect(expand('c[0001-1200]')).toEqual(seq('c', 1, 1200, 4));
    expect(expand('c[1-1200]')).toEqual(seq('c', 1, 1200));
  });

  it(`allows ${MAX_HOSTS} names and no more (one range, the product of groups, or all expressions together)`, () => {
    expect(MAX_HOSTS).toBe(65536);
    expect(expand('n[0-65535]')).toHaveLength(65536);
    expect(count('r[1-256]n[1-256]')).toBe(65536);
    expect(() => expand('n[0-65536]')).toThrow(/expands to more than 65536 names/);
    expect(() => expand('a[1-300]b[1-300]')).toThrow(/expands to more than 65536 names/);
    expect(() => expand(['n[1-40000]', 'm[1-40000]'])).toThrow(/'m\[1-40000\]' at column 1: expands to more than 65536/);
    expect(() => expand('n[1-40000] m[1-40000]')).toThrow(/at column 12: expands to more than 65536/);
    // counted before anything is made: a huge range fails at once
    expect(() => expand('n[0-9007199254740990]')).toThrow(HostlistError);
  });
});

describe('errors', () => {
  const errors: [string, number, string][] = [
    ['n[3-1]', 3, "range '3-1' goes down (lo > hi)"],
    ['n[1-3]x,m[10-9]', 11, "range '10-9' goes down (lo > hi)"],
    ['n[1-3', 2, "'[' without a closing ']'"],
    ['n[1,2 m3', 2, "'[' without a closing ']'"],
    ['ok,n[1-2', 5, "'[' without a closing ']'"],
    ['n[]', 3, 'empty range'],
    ['n[1,,2]', 5, 'empty range'],
    ['n[1,]', 5, 'empty range'],
    ['n[a-b]', 3, "range 'a-b' is not a number or lo-hi"],
    ['n[-1]', 3, "range '-1' is not a number or lo-hi"],
    ['n[1-]', 3, "range '1-' is not a number or lo-hi"],
    ['n[1-2-3]', 3, "range '1-2-3' is not a number or lo-hi"],
    ['n[1:3]', 3, "range '1:3' is not a number or lo-hi"],
    ['n[ 1-2]', 3, "range ' 1-2' is not a number or lo-hi"],
    ['n[1[2]]', 4, "'[' inside a bracket group"],
    ['n[1-2]]', 7, "']' without an opening '['"],
    ['n[99999999999999999999]', 3, "range '99999999999999999999' has a number above 9007199254740991"],
  ];
  it.each(errors)('%j: column %i', (input, column, reason) => {
    let err: unknown;
    try {
      expand(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HostlistError);
    const e = err as HostlistError;
    expect(e.message).toBe(`invalid hostlist '${input}' at column ${column}: ${reason}`);
    expect(e.expression).toBe(input);
    expect(e.position).toBe(column - 1);
    expect(() => fold(input)).toThrow(e.message);
  });
});

describe('fold (scontrol show hostlist)', () => {
  const cases: [string | string[], string][] = [
    ['n1', 'n1'],
    ['n1,n2,n3', 'n[1-3]'],
    [['n1', 'n2', 'n3'], 'n[1-3]'],
    ['n1 n2\tn3\nn4', 'n[1-4]'],
    ['n1,n2,n4', 'n[1-2,4]'],
    ['n[1-3],n[4-5],n7', 'n[1-5,7]'],
    // input order is kept, and duplicates too
    ['n3,n1,n2', 'n[3,1-2]'],
    ['n1,n1,n2', 'n[1,1-2]'],
    ['n[1-3],n2', 'n[1-3,2]'],
    ['a,b,a', 'a,b,a'],
    ['n1,x,n2', 'n1,x,n2'],
    ['n1,n2,m1,n3', 'n[1-2],m1,n3'],
    // widths: an unpadded number joins any run it reads the same in; padded ones only their width
    ['n9,n10,n11', 'n[9-11]'],
    ['n09,n10', 'n[09-10]'],
    ['n01,n1', 'n[01,1]'],
    ['n1,n01', 'n[1,01]'],
    ['n0,n00,n000', 'n[0,00,000]'],
    ['n009,n10,n0011', 'n[009,10,0011]'],
    ['n007,n8', 'n[007,8]'],
    ['n001,n002,n003,n004,n010', 'n[001-004,010]'],
    // only the last number of a name is ranged
    ['r1n1,r1n2,r2n1', 'r1n[1-2],r2n1'],
    ['n1-1,n1-2', 'n1-[1-2]'],
    ['x1.y,x2.y', 'x1.y,x2.y'],
    ['n1a,n2a', 'n1a,n2a'],
    ['foo,foo1,foo2', 'foo,foo[1-2]'],
    ['1,2,3,007,x', '[1-3,007],x'],
  ];
  it.each(cases)('%j → %s', (input, expected) => {
    expect(fold(input)).toBe(expected);
  });
});

describe('fold sorted (scontrol show hostlistsorted)', () => {
  const cases: [string, string][] = [
    ['n3,n1,n2', 'n[1-3]'],
    ['n01,n1', 'n[1,01]'],
    ['n100,n01', 'n[01,100]'],
    ['n009,n10,n0011', 'n[10,009,0011]'],
    ['n8,n007', 'n[8,007]'],
    ['n5,n03,n4,n10,n010,n1,n01', 'n[1,4-5,01,03,10,010]'],
    ['a,b,a', 'a,a,b'],
    ['n1,x,n2', 'n[1-2],x'],
    ['n1,n2,m1,n3', 'm1,n[1-3]'],
    ['foo2,foo,foo1', 'foo,foo[1-2]'],
    // duplicates stay, each run split where it overlaps the next
    ['n1,n1,n2', 'n[1,1-2]'],
    ['n[1-3],n2', 'n[1-2,2-3]'],
    ['n2,n[1-3]', 'n[1-2,2-3]'],
    ['n[1-5],n[2-4]', 'n[1-2,2-3,3-4,4-5]'],
  ];
  it.each(cases)('%s → %s', (input, expected) => {
    expect(fold(input, { sorted: true })).toBe(expected);
  });
});

describe('fold sorted where Slurm loses names', () => {
  // scontrol 22.05 prints a[9,9-10,10] here: a11 and a00 are gone
  it.each(['a[9-10],a[9-11],a00', 'a[00-01],a[2-13],a[3-14]'])('%s keeps every name', (input) => {
    expect(expand(fold(input, { sorted: true })).sort()).toEqual(expand(input).sort());
  });
});

/** A small seeded generator (mulberry32): the same names on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('round trips', () => {
  it.each(['n[001-004,010]', 'cloud[1-3,7-8]', 'n[8-12],m[08-12]', 'gpu[1-2],cpu[001-100],login'])('fold(expand(%s)) gives the expression back', (expr) => {
    expect(fold(expand(expr))).toBe(expr);
  });

  it('folds a product on its last number only, as Slurm does', () => {
    expect(fold(expand('r[1-2]n[01-03]'))).toBe('r1n[01-03],r2n[01-03]');
  });

  it('expand(fold(names)) gives the names back, in order, for random names', () => {
    const rnd = prng(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    for (let round = 0; round < 300; round++) {
      const names = Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => {
        const n = Math.floor(rnd() * 40);
        return pick(['n', 'cloud', 'r1n', 'x-', '']) + String(n).padStart(pick([0, 2, 3]), '0') + pick(['', '', '.ib']);
      });
      const folded = fold(names);
      expect(expand(folded)).toEqual(names);
      expect(fold(folded)).toBe(folded);
      expect(expand(fold(names, { sorted: true })).sort()).toEqual([...names].sort());
    }
  });
});

describe('isSlurmRangeSyntax', () => {
  it.each([
    ['cloud[001-004,010]', true],
    ['n[1,3]', true],
    ['r[1-2]n[5]', true],
    ['n[5]', false],
    ['n[1:3]', false],
    ['r[1:2]n[1-3]', false],
    ['n[!1-3]', false],
    ['n[a-c]', false],
    ['plain', false],
  ])('%s: %s', (text, expected) => {
    expect(isSlurmRangeSyntax(text)).toBe(expected);
  });
});

describe('tsplay hostlist (CLI; needs npm run build)', () => {
  it('expand prints one name per line, all expressions in order', async () => {
    const r = await tsplay(['hostlist', 'expand', 'n[1-2]', 'cloud[08-10],x']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('n1\nn2\ncloud08\ncloud09\ncloud10\nx\n');
  });

  it('fold prints one line; --sorted sorts', async () => {
    expect(await tsplay(['hostlist', 'fold', 'n3', 'n1,n2', 'm1'])).toMatchObject({ code: 0, stdout: 'n[3,1-2],m1\n', stderr: '' });
    expect(await tsplay(['hostlist', 'fold', '--sorted', 'n3', 'n1,n2', 'm1'])).toMatchObject({ code: 0, stdout: 'm1,n[1-3]\n' });
  });

  it.each([
    [['expand', 'n[3-1]'], "tsplay: hostlist: invalid hostlist 'n[3-1]' at column 3: range '3-1' goes down (lo > hi)\n"],
    [['fold', 'n1', 'n[1-2'], "tsplay: hostlist: invalid hostlist 'n[1-2' at column 2: '[' without a closing ']'\n"],
    [['expand', 'a[1-300]b[1-300]'], "tsplay: hostlist: invalid hostlist 'a[1-300]b[1-300]' at column 1: expands to more than 65536 names\n"],
    [['expand'], 'tsplay: hostlist: no hostlist given\n'],
    [['fold', '--bogus', 'n1'], "tsplay: hostlist: unknown option '--bogus'\n"],
    [[], 'tsplay: hostlist: expand or fold expected\n'],
    [['squash', 'n1'], "tsplay: hostlist: unknown action 'squash' (expand or fold)\n"],
  ])('%j: exit 5 and one line on stderr', async (args, stderr) => {
    const r = await tsplay(['hostlist', ...args]);
    expect(r).toMatchObject({ code: 5, stdout: '', stderr });
  });

  it('is listed in the usage text', async () => {
    expect((await tsplay(['--help'])).stdout).toMatch(/^ {2}hostlist expand\|fold /m);
    expect(await tsplay(['hostlist', '--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('tsplay hostlist expand EXPR...') });
  });
});
