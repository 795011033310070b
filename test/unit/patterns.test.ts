import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInventory, type Inventory } from '../../src/config/inventory/index.js';
import { orderPatterns, regexPattern, splitHostPattern } from '../../src/config/inventory/patterns.js';
import { globToRegExp } from '../../lib/shell/glob.js';
import { TsplayError } from '../../src/errors.js';

const FIX = join(import.meta.dirname, '../fixtures/inventory');
const PATTERNS_INI = join(FIX, 'patterns.ini');

const ALL = [
  'localhost-like',
  'ctl01',
  'web01',
  'web02',
  'web03',
  'web04',
  'web99',
  'db1',
  'db2',
  'db3',
  'node001',
  'node002',
  'node003',
  'node004',
  'node005',
  'node006',
  'gpu1',
];

/** pattern → hosts, in Ansible's order (these are what ansible-core 2.14 returns for patterns.ini) */
const SELECT: [string, string[]][] = [
  ['all', ALL],
  ['*', ALL],
  ['web', ['web01', 'web02', 'web03', 'web04']],
  ['web*', ['web01', 'web02', 'web03', 'web04', 'web99']],
  ['~web0[12]', ['web01', 'web02']],
  ['~db', ['db1', 'db2', 'db3']],
  ['~.*1$', ['ctl01', 'web01', 'db1', 'node001', 'gpu1']],
  ['web:db', ['web01', 'web02', 'web03', 'web04', 'db1', 'db2', 'db3']],
  ['web,db', ['web01', 'web02', 'web03', 'web04', 'db1', 'db2', 'db3']],
  ['db2:db1', ['db2', 'db1']],
  ['web01:web01:web02', ['web01', 'web02']],
  ['web01,', ['web01']],
  ['web:&webstage', ['web04']],
  ['webstage:&web:&db', []],
  ['web:!webstage', ['web01', 'web02', 'web03']],
  // exclusions apply last whatever the written order
  ['!webstage:web', ['web01', 'web02', 'web03']],
  ['slurm:!gpu', ['node001', 'node002', 'node003', 'node004']],
  ['gpu:compute', ['node005', 'node006', 'gpu1', 'node001', 'node002', 'node003', 'node004']],
  ['all:!ungrouped', ALL.slice(2)],
  // only & or ! means "all" first
  ['&web', ['web01', 'web02', 'web03', 'web04']],
  ['!web', ALL.filter((h) => !/^web0/.test(h))],
  ['slurm[0]', ['node001']],
  ['slurm[-1]', ['gpu1']],
  ['slurm[1:3]', ['node002', 'node003', 'node004']],
  ['slurm[4:]', ['node005', 'node006', 'gpu1']],
  ['web[0:0]', ['web01']],
  ['web[2:1]', []],
  ['web[1-2]', ['web02', 'web03']],
  // the subscript applies to the raw matches (group hosts, then matching host names), duplicates included
  ['web*[1:]:&web', ['web02', 'web03', 'web04', 'web01']],
  ['node00?', ['node001', 'node002', 'node003', 'node004', 'node005', 'node006']],
  ['node00[!1-3]', ['node004', 'node005', 'node006']],
  // node00[1-3] (node00 is no group) is a Slurm hostlist in tsplay, nothing in Ansible: see inventory-hostlist.test.ts
  ['localhost', ['localhost']],
  ['local*', ['localhost-like']],
  ['ungrouped', ['localhost-like', 'ctl01']],
  ['ungrouped_only', []],
  ['nosuch', []],
  ['nosuch:web', ['web01', 'web02', 'web03', 'web04']],
];

let inv: Inventory;
beforeAll(async () => {
  inv = await loadInventory([PATTERNS_INI]);
});

describe('select', () => {
  it.each(SELECT)('%s', (pattern, expected) => {
    expect(inv.select(pattern).hosts).toEqual(expected);
  });

  it.each([
    ['nosuch', ['nosuch']],
    ['nosuch:web:other*', ['nosuch', 'other*']],
    ['ungrouped_only', []], // an empty group is a match, not an unknown pattern
    ['web:&nosuch', ['nosuch']],
    ['all', []],
  ])('reports unmatched patterns of %s', (pattern, unmatched) => {
    expect(inv.select(pattern).unmatched).toEqual(unmatched);
  });

  it('takes a list of patterns (a play with hosts: [a, b]); & and ! apply to the whole union', () => {
    expect(inv.select(['db1', 'web', '!web02']).hosts).toEqual(['db1', 'web01', 'web03', 'web04']);
    expect(inv.select(['db1', 'web:&webstage']).hosts).toEqual(['web04']);
  });

  it('returns nothing for an empty pattern', () => {
    expect(inv.select('').hosts).toEqual([]);
    expect(inv.select([]).hosts).toEqual([]);
  });

  it('errors on a subscript past the end, like Ansible', () => {
    expect(() => inv.select('db[5]')).toThrow(TsplayError);
    expect(() => inv.select('db[5]')).toThrow("No hosts matched the subscripted pattern 'db[5]'");
  });

  it('errors on an invalid regex', () => {
    expect(() => inv.select('~web(')).toThrow('Invalid host list pattern: ~web(');
  });

  it('matches the implicit localhost by any of its names', () => {
    expect(inv.select('127.0.0.1').hosts).toEqual(['127.0.0.1']);
    expect(inv.select('::1').hosts).toEqual(['::1']);
    expect(inv.select('all').hosts).not.toContain('localhost');
    expect(inv.select('localhost:web01').hosts).toEqual(['localhost', 'web01']);
  });

  it('uses an inventory host named like localhost instead of the implicit one', async () => {
    const i2 = await loadInventory(['127.0.0.1,web1,']);
    expect(i2.select('localhost').hosts).toEqual(['127.0.0.1']);
  });
});

describe('select with --limit', () => {
  it.each([
    ['all', 'web', ['web01', 'web02', 'web03', 'web04']],
    ['web', 'web0[12]*', ['web01', 'web02']],
    // a glob ending in [n] is a subscript, as in Ansible: web0[12] is web0's 13th host, so nothing
    ['web', 'web0[12]', []],
    ['web', 'all:!web01', ['web02', 'web03', 'web04']],
    ['slurm', 'gpu:&compute', ['node005', 'node006']],
    ['web', 'db', []],
  ])('%s limited to %s', (pattern, limit, expected) => {
    expect(inv.select(pattern, { limit }).hosts).toEqual(expected);
  });

  it('reads @file limits (one pattern per line, like a .retry file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-limit-'));
    writeFileSync(join(dir, 'site.retry'), 'web02\n\nnode00[12]*\ndb*\n');
    expect(inv.select('web:slurm', { limit: '@site.retry', cwd: dir }).hosts).toEqual(['web02', 'node001', 'node002']);
    expect(inv.select('all', { limit: ['@site.retry'], cwd: dir }).hosts).toEqual(['web02', 'db1', 'db2', 'db3', 'node001', 'node002']);
    expect(() => inv.select('all', { limit: '@missing.retry', cwd: dir })).toThrow('Unable to find limit file missing.retry');
    expect(() => inv.select('all', { limit: `@${dir}` })).toThrow('must be a file, not a directory');
  });

  it('reports unmatched limit patterns', () => {
    expect(inv.select('all', { limit: 'web01:typo' }).unmatched).toEqual(['typo']);
  });
});

describe('pattern helpers', () => {
  it.each([
    ['a:b', ['a', 'b']],
    ['a, b ,c', ['a', 'b', 'c']],
    ['web[1:3]', ['web[1:3]']],
    ['web[1:3]:db', ['web[1:3]', 'db']],
    ['a:&b:!c', ['a', '&b', '!c']],
    ['fe80::1', ['fe80::1']],
    ['host:22', ['host:22']],
    ['a,b:c', ['a', 'b:c']],
    ['~web.*:db', ['~web.*', 'db']],
    ['', []],
  ])('splitHostPattern(%j)', (input, expected) => {
    expect(splitHostPattern(input)).toEqual(expected);
  });

  it('orders unions, then intersections, then exclusions', () => {
    expect(orderPatterns(['!a', '&b', 'c', '!d', 'e'])).toEqual(['c', 'e', '&b', '!a', '!d']);
    expect(orderPatterns(['!a'])).toEqual(['all', '!a']);
  });

  it.each([
    ['web*', 'web01', true],
    ['web*', 'aweb', false],
    ['w?b', 'web', true],
    ['n[0-9]', 'n5', true],
    ['n[!0-9]', 'n5', false],
    ['n[!0-9]', 'nx', true],
    ['a.b', 'axb', false],
    ['a[b', 'a[b', true],
    ['*', 'anything.at.all', true],
    ['Web*', 'web1', false],
  ] as const)('glob %s vs %s', (glob, name, match) => {
    expect(globToRegExp(glob).test(name)).toBe(match);
  });

  it('anchors ~regex at the start only (Python re.match)', () => {
    expect(regexPattern('eb').test('web1')).toBe(false);
    expect(regexPattern('we').test('web1')).toBe(true);
    expect(regexPattern('(?i)WEB').test('web1')).toBe(true);
    expect(regexPattern('(?P<n>w)(?P=n)').test('ww')).toBe(true);
  });
});

const ansible = existsSync('/usr/bin/ansible-inventory') && existsSync('/usr/bin/python3');

describe.skipIf(!ansible)('same results as ansible-core (installed here)', () => {
  const dump = (req: object): { hosts: string[]; groups: Record<string, string[]>; group_names: Record<string, string[]>; select: Record<string, unknown> } =>
    JSON.parse(
      execFileSync('/usr/bin/python3', [join(FIX, 'ansible-dump.py'), JSON.stringify(req)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );

  it('selects the same hosts for every pattern of the table', () => {
    const patterns = SELECT.map(([p]) => p);
    const ref = dump({ sources: [PATTERNS_INI], patterns });
    for (const p of patterns) expect([p, inv.select(p).hosts]).toEqual([p, ref.select[p]]);
  });

  it('selects the same hosts under a limit', () => {
    const patterns = ['all', 'web', 'slurm[1:]', 'gpu:!node006'];
    const ref = dump({ sources: [PATTERNS_INI], patterns, limit: 'slurm:web0[13]' });
    for (const p of patterns) expect([p, inv.select(p, { limit: 'slurm:web0[13]' }).hosts]).toEqual([p, ref.select[p]]);
  });
});
