/**
 * Slurm's hostlist form in inventories (INI and YAML host names) and in host patterns (--limit, play
 * hosts:), next to Ansible's `[a:b]` ranges and `group[i]` subscripts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInventory, type Inventory } from '../../src/config/inventory/index.js';
import { TsplayError } from '../../src/errors.js';
import { tsplay } from '../harness/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-hostlist-inv-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const INI = `
login
login1
login2

[slurm]
cloud[001-004,010] ansible_user=slurm
ctl01

[accel]
gpu[1-2]:2222

[rack1]
r1n[1-2]

[rack2]
r2n[1-2]

[web]
web[01:03]

# a group whose name is also the start of its hosts' names: node[1-2] is its subscript
[node]
node[1-3]
`;

const YAML = `
all:
  children:
    burst:
      hosts:
        burst[08-10]:
          ansible_user: slurm
        r[1-2]n[01-02]:
        spot[1-2]:2200:
        legacy[1:2]:
`;

const CLOUD = ['cloud001', 'cloud002', 'cloud003', 'cloud004', 'cloud010'];

let ini: Inventory;
let yaml: Inventory;
beforeAll(async () => {
  ini = await loadInventory([file('inv.ini', INI)]);
  yaml = await loadInventory([file('inv.yml', YAML)]);
});

describe('host names in Slurm form', () => {
  it('INI: a host line expands to every name, each with the line variables and port', () => {
    expect(ini.groupMembers('slurm').hosts).toEqual([...CLOUD, 'ctl01']);
    for (const h of CLOUD) expect(ini.hostVars(h)).toMatchObject({ ansible_user: 'slurm' });
    expect(ini.groupMembers('accel').hosts).toEqual(['gpu1', 'gpu2']);
    expect(ini.hostVars('gpu2')).toMatchObject({ ansible_port: 2222 });
    // Ansible's form is unchanged
    expect(ini.groupMembers('web').hosts).toEqual(['web01', 'web02', 'web03']);
  });

  it('YAML: host keys expand the same way (several groups in Slurm order, ports, Ansible ranges)', () => {
    expect(yaml.groupMembers('burst').hosts).toEqual([
      'burst08',
      'burst09',
      'burst10',
      'r1n01',
      'r1n02',
      'r2n01',
      'r2n02',
      'spot1',
      'spot2',
      'legacy1',
      'legacy2',
    ]);
    expect(yaml.hostVars('burst10')).toMatchObject({ ansible_user: 'slurm' });
    expect(yaml.hostVars('spot1')).toMatchObject({ ansible_port: 2200 });
  });

  const bad: [string, string, RegExp][] = [
    ['lo > hi', '[g]\ncloud[3-1]\n', /inv-bad\.ini:2:1: invalid hostlist 'cloud\[3-1\]' at column 7: range '3-1' goes down/],
    ['an empty range', '[g]\nok1\ncloud[1,,2]\n', /inv-bad\.ini:3:1: .*at column 9: empty range/],
    ['too many names', 'a[1-300]b[1-300]\n', /inv-bad\.ini:1:1: .*expands to more than 65536 names/],
    ['two forms in one name', 'r[1:2]n[1-3]\n', /inv-bad\.ini:1:1: host range must be begin:end/],
    // [5] alone is neither form's range: Ansible's error stays
    ['a single number', 'n[5]\n', /inv-bad\.ini:1:1: host range must be begin:end/],
  ];
  it.each(bad)('INI: %s is an error with file:line', async (_, text, message) => {
    const e = (await loadInventory([file('inv-bad.ini', text)]).catch((x: unknown) => x)) as TsplayError;
    expect(e).toBeInstanceOf(TsplayError);
    expect(e.format()).toMatch(message);
  });

  it('YAML: a bad Slurm range is an error with file:line', async () => {
    const e = (await loadInventory([file('inv-bad.yml', 'all:\n  hosts:\n    ok1:\n    cloud[09-08]:\n')]).catch((x: unknown) => x)) as TsplayError;
    expect(e).toBeInstanceOf(TsplayError);
    expect(e.format()).toMatch(/inv-bad\.yml:4:\d+: invalid hostlist 'cloud\[09-08\]' at column 7: range '09-08' goes down/);
  });
});

describe('host patterns in Slurm form', () => {
  const cases: [string, string[]][] = [
    ['cloud[001-002,010]', ['cloud001', 'cloud002', 'cloud010']],
    ['cloud[010,001]', ['cloud010', 'cloud001']],
    // commas inside brackets do not split the pattern
    ['cloud[001,010],ctl01', ['cloud001', 'cloud010', 'ctl01']],
    ['cloud[001-003]:!cloud002', ['cloud001', 'cloud003']],
    ['slurm:!cloud[002-004]', ['cloud001', 'cloud010', 'ctl01']],
    ['all:&cloud[003-010]', ['cloud003', 'cloud004', 'cloud010']],
    ['cloud00[1-2]', ['cloud001', 'cloud002']],
    // names of a hostlist may be groups
    ['rack[1-2]', ['r1n1', 'r1n2', 'r2n1', 'r2n2']],
    ['r[1-2]n[1-2]', ['r1n1', 'r1n2', 'r2n1', 'r2n2']],
    // a host named like the base is no group: login[1-2] is a hostlist (Ansible: a subscript of [login])
    ['login[1-2]', ['login1', 'login2']],
    // on a group, a bracket is Ansible's subscript, [x-y] included (as a hostlist node[1-2] would be node1, node2)
    ['node[1-2]', ['node2', 'node3']],
    ['node[0:1]', ['node1', 'node2']],
    ['slurm[1-2]', ['cloud002', 'cloud003']],
    ['slurm[0]', ['cloud001']],
    ['slurm[4:]', ['cloud010', 'ctl01']],
    ['web[0:1]', ['web01', 'web02']],
    // globs and regexes keep their meaning
    ['cloud*[0-1]', ['cloud001', 'cloud002']],
    ['cloud00[!1-3]', ['cloud004']],
    ['~cloud0[01][0-4]', ['cloud001', 'cloud002', 'cloud003', 'cloud004', 'cloud010']],
    // a number alone stays a subscript (of the non-group cloud: nothing)
    ['cloud[1]', []],
  ];
  it.each(cases)('%s', (pattern, expected) => {
    expect(ini.select(pattern).hosts).toEqual(expected);
  });

  it('warns about the [x-y] subscript on a group, as Ansible does', async () => {
    const inv = await loadInventory([join(dir, 'inv.ini')]);
    inv.select('node[1-2]');
    expect(inv.warnings).toContain('Use [x:y] inclusive subscripts instead of [x-y] which has been removed');
  });

  it('takes play hosts: lists', () => {
    expect(ini.select(['cloud[001-002]', 'gpu[1-2]', '!cloud001']).hosts).toEqual(['cloud002', 'gpu1', 'gpu2']);
  });

  it('reports the names that match nothing, folded, as one unmatched pattern', () => {
    expect(ini.select('cloud[001-012]')).toEqual({ hosts: CLOUD, unmatched: ['cloud[005-009,011-012]'] });
    expect(ini.select('nosuch[1-3]')).toEqual({ hosts: [], unmatched: ['nosuch[1-3]'] });
  });

  it('errors on a bad hostlist instead of matching nothing', () => {
    expect(() => ini.select('cloud[3-1]')).toThrow(TsplayError);
    expect(() => ini.select('cloud[3-1]')).toThrow("Invalid host list pattern: invalid hostlist 'cloud[3-1]' at column 7: range '3-1' goes down (lo > hi)");
  });

  it('works in --limit, also from an @file', () => {
    expect(ini.select('all', { limit: 'cloud[001-002,010]' }).hosts).toEqual(['cloud001', 'cloud002', 'cloud010']);
    expect(ini.select('slurm', { limit: 'cloud[001,003],gpu1' }).hosts).toEqual(['cloud001', 'cloud003']);
    const limitFile = file('burst.limit', 'cloud[003-004,010]\ngpu[1-2]\n');
    expect(ini.select('all', { limit: `@${limitFile}` }).hosts).toEqual(['cloud003', 'cloud004', 'cloud010', 'gpu1', 'gpu2']);
  });

  it('works through tsplay inventory --limit (needs npm run build)', async () => {
    const r = await tsplay(['inventory', '-i', join(dir, 'inv.ini'), '--list', '--limit', 'cloud[002-003]']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { _meta: { hostvars: Record<string, unknown> } };
    expect(Object.keys(list._meta.hostvars)).toEqual(['cloud002', 'cloud003']);
  });
});
