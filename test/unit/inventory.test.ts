import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInventory, type Inventory } from '../../src/config/inventory/index.js';
import { EncryptedString } from '../../src/config/yaml.js';
import { TsplayError } from '../../src/errors.js';

const FIX = join(import.meta.dirname, '../fixtures/inventory');
const fx = (p: string): string => join(FIX, p);

describe('YAML inventory with group_vars/ and host_vars/ (cluster/)', () => {
  let inv: Inventory;
  let withPlaybook: Inventory;
  beforeAll(async () => {
    inv = await loadInventory([fx('cluster/hosts.yml')]);
    withPlaybook = await loadInventory([fx('cluster/hosts.yml')], { playbookDir: fx('playbook') });
  });

  it('lists hosts in inventory order and groups sorted', () => {
    expect(inv.hostNames()).toEqual(['gateway', 'nfs01', 'ctl01', 'node04', 'gpua', 'gpub', 'node01', 'node02', 'node03', 'node05', 'node06']);
    expect(inv.groupNames()).toEqual(['all', 'compute', 'controller', 'empty_group', 'gpu', 'null_group', 'rack_a', 'rack_b', 'slurm', 'storage', 'ungrouped']);
    expect(inv.hasHost('node01')).toBe(true);
    expect(inv.hasHost('node[01:04]')).toBe(false);
    expect(inv.hasHost('localhost')).toBe(false);
  });

  it.each([
    ['gateway', ['ungrouped']],
    ['nfs01', ['storage']],
    ['ctl01', ['controller', 'slurm']],
    ['node04', ['compute', 'gpu', 'rack_a', 'slurm']],
    ['node05', ['compute', 'rack_b', 'slurm']],
    ['localhost', []],
  ])('group_names of %s', (host, groups) => {
    expect(inv.groupsOf(host)).toEqual(groups);
  });

  it('gives the groups magic variable, with all, ungrouped and empty groups', () => {
    const g = inv.groupsMap();
    expect(g['all']).toEqual(inv.hostNames());
    expect(g['ungrouped']).toEqual(['gateway']);
    expect(g['gpu']).toEqual(['node04', 'gpua', 'gpub']);
    expect(g['compute']).toEqual(['node01', 'node02', 'node03', 'node04', 'node05', 'node06']);
    expect(g['empty_group']).toEqual([]);
    expect(g['null_group']).toEqual([]);
  });

  // `tier` is set at every level; which one wins shows the precedence
  it.each([
    ['gateway', 'ungrouped-group_vars', 'ungrouped-group_vars'],
    ['nfs01', 'all-group_vars', 'all-playbook'], // storage sets no tier: group_vars/all wins over the inventory file
    ['ctl01', 'slurm-group_vars', 'slurm-group_vars'],
    ['node01', 'node01-host_vars', 'node01-host_vars'],
    ['node02', 'rack_a-group_vars', 'node02-playbook'], // rack_a (depth 3) over compute (depth 2)
    ['node04', 'rack_a-group_vars', 'compute-playbook'], // playbook group_vars come after all inventory group_vars
    ['node05', 'compute-group_vars', 'compute-playbook'],
    ['gpua', 'gpu-group_vars', 'gpu-group_vars'],
    ['localhost', 'all-group_vars', 'all-playbook'],
  ])('precedence of tier for %s: %s, with the playbook dir: %s', (host, tier, tierWithPlaybook) => {
    expect(inv.hostVars(host)['tier']).toBe(tier);
    expect(withPlaybook.hostVars(host)['tier']).toBe(tierWithPlaybook);
  });

  it('orders groups of the same depth by ansible_group_priority, then name', () => {
    // node04 is in compute and gpu (both depth 2); gpu has priority 10 so its slurm_partition wins
    expect(inv.hostVars('node04')['slurm_partition']).toBe('gpu');
    expect(inv.hostVars('node01')['slurm_partition']).toBe('batch');
    expect(inv.hostVars('node04')).not.toHaveProperty('ansible_group_priority');
  });

  it('merges files of a group_vars directory in name order, replacing whole keys', () => {
    const v = inv.hostVars('node03');
    expect(v['dns']).toEqual({ search: ['lab.example'] }); // 20-override replaced 10-base's dns
    expect(v['base_file']).toBe('10-base');
    expect(v['extra_file']).toBe('20-override');
    expect(v).not.toHaveProperty('ignored'); // README.txt is not a vars file
    expect(v['mounts']).toEqual(['/home', '/scratch']); // compute.yaml
    expect(inv.hostVars('gpua')['cuda']).toBe('12.4'); // gpu.json
  });

  it('keeps connection variables as ordinary variables', () => {
    expect(inv.hostVars('gateway')).toMatchObject({ ansible_host: '10.0.0.1', ansible_port: 2222 });
    expect(inv.hostVars('gpua')['ansible_port']).toBe(2200); // from gpu[a:b]:2200
    expect(inv.hostVars('node05')['ansible_host']).toBe('10.0.1.5'); // host_vars/node05 (no extension)
    expect(inv.hostVars('ctl01')['ansible_user']).toBe('admin');
  });

  it('keeps !vault values as EncryptedString', () => {
    const pw = inv.hostVars('ctl01')['db_password'];
    expect(pw).toBeInstanceOf(EncryptedString);
    expect((pw as EncryptedString).ciphertext).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n6231/);
  });

  it('adds playbook-side host_vars over inventory-side ones', () => {
    expect(withPlaybook.hostVars('node01')['slurm_weight']).toBe(20);
    expect(inv.hostVars('node01')['slurm_weight']).toBe(10);
    expect(withPlaybook.hostVars('node01')['playbook_all']).toBe(true);
  });

  it('applies a playbook dir added after loading', async () => {
    const late = await loadInventory([fx('cluster/hosts.yml')]);
    expect(late.hostVars('node02')['tier']).toBe('rack_a-group_vars');
    await late.addPlaybookDir(fx('playbook'));
    expect(late.hostVars('node02')['tier']).toBe('node02-playbook');
  });

  it('gives the implicit localhost a local connection, group_vars/all and host_vars/localhost', () => {
    expect(inv.isImplicitLocalhost('localhost')).toBe(true);
    expect(inv.hostVars('localhost')).toMatchObject({ ansible_connection: 'local', local_note: 'from host_vars', site: 'lab' });
    expect(inv.hostVars('127.0.0.1')['ansible_connection']).toBe('local');
  });

  it('returns a copy of the merged variables', () => {
    const v = inv.hostVars('node01');
    v['tier'] = 'changed';
    expect(inv.hostVars('node01')['tier']).toBe('node01-host_vars');
  });

  it('gives the magic variables separately', () => {
    expect(inv.hostVars('node01')).not.toHaveProperty('inventory_hostname');
    expect(inv.hostMagic('node01')).toEqual({
      inventory_hostname: 'node01',
      inventory_hostname_short: 'node01',
      group_names: ['compute', 'rack_a', 'slurm'],
      inventory_file: resolve(fx('cluster/hosts.yml')),
      inventory_dir: resolve(fx('cluster')),
    });
    expect(inv.hostMagic('localhost')).toMatchObject({ inventory_file: null, group_names: [] });
  });

  it('rejects unknown hosts', () => {
    expect(() => inv.hostVars('nosuch')).toThrow('unknown host: nosuch');
    expect(() => inv.groupsOf('nosuch')).toThrow(TsplayError);
  });

  it('draws the group graph like ansible-inventory --graph', () => {
    expect(inv.toGraph('compute')).toBe(
      [
        '@compute:',
        '  |--@rack_a:',
        '  |  |--node01',
        '  |  |--node02',
        '  |  |--node03',
        '  |  |--node04',
        '  |--@rack_b:',
        '  |  |--node05',
        '  |  |--node06',
      ].join('\n'),
    );
    expect(inv.toGraph().split('\n').slice(0, 4)).toEqual(['@all:', '  |--@ungrouped:', '  |  |--gateway', '  |--@slurm:']);
    expect(() => inv.toGraph('node01')).toThrow('Pattern must be valid group name when using --graph');
  });

  it('lists like ansible-inventory --list', () => {
    const l = inv.toList() as Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    expect(l['all']).toEqual({ children: ['ungrouped', 'slurm', 'storage', 'empty_group', 'null_group'] });
    expect(l['compute']).toEqual({ children: ['rack_a', 'rack_b'] });
    expect(l['gpu']).toEqual({ hosts: ['node04', 'gpua', 'gpub'] });
    expect(l).not.toHaveProperty('empty_group'); // empty groups are left out (still listed as children)
    expect(Object.keys(l._meta.hostvars).sort()).toEqual([...inv.hostNames()].sort());
  });

  it('limits --list to selected hosts', () => {
    const l = inv.toList({ limit: 'rack_b' }) as Record<string, { hosts?: string[] }> & { _meta: { hostvars: object } };
    expect(Object.keys(l._meta.hostvars)).toEqual(['node05', 'node06']);
    expect(l['rack_b']).toEqual({ hosts: ['node05', 'node06'] });
    expect(l).not.toHaveProperty('gpu');
  });
});

describe('INI inventory (ini/hosts.ini)', () => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await loadInventory([fx('ini/hosts.ini')]);
  });

  it('reads hosts, ranges, sections and children', () => {
    // breadth first from all: ungrouped, datacenter, then app and monitoring, then web and db
    expect(inv.hostNames()).toEqual([
      'bastion',
      'mon1',
      'mon5',
      'mon9',
      'web01.example.com',
      'web02.example.com',
      'web03.example.com',
      'web04.example.com',
      'db-a',
      'db-b',
      'db-c',
      'db-d',
    ]);
    expect(inv.groupsOf('bastion')).toEqual(['ungrouped']);
    expect(inv.groupsOf('web01.example.com')).toEqual(['app', 'datacenter', 'web']);
    expect(inv.groupsOf('mon5')).toEqual(['datacenter', 'monitoring']);
    expect(inv.hostMagic('web01.example.com').inventory_hostname_short).toBe('web01');
  });

  it.each([
    ['bastion', 'ansible_host', '192.0.2.10'],
    ['bastion', 'ansible_port', 2201],
    ['web01.example.com', 'ansible_user', 'deploy'],
    ['web01.example.com', 'http_port', 8080],
    ['web04.example.com', 'ansible_port', 2222],
    ['web04.example.com', 'weight', 1.5],
    ['web04.example.com', 'enabled', true],
    ['web04.example.com', 'legacy', 'yes'], // not a Python literal: stays a string
    ['web04.example.com', 'mode', '0644'], // not a Python 3 literal either
    ['web04.example.com', 'hexval', 31],
    ['db-d', 'note', 'two words'],
    ['db-d', 'raw', 'single quoted'],
    ['db-d', 'list', [1, 2]],
    ['db-d', 'empty', ''],
    ['db-d', 'nothing', null],
    ['db-d', 'pw', 'abc'], // '#' starts a comment even inside a word, as in Ansible
    ['db-d', 'role', 'db-d'], // host_vars/db-d
    ['db-a', 'app_env', 'from-group_vars'], // group_vars/app.yml beats [app:vars]
    ['db-a', 'app_port', 8000],
    ['db-a', 'app_list', ['a', 'b']],
    ['mon1', 'scrape_interval', '30s'],
  ])('%s: %s', (host, key, value) => {
    expect(inv.hostVars(host)[key]).toEqual(value);
  });

  it('takes ansible_group_priority out of the variables', () => {
    expect(inv.hostVars('web01.example.com')).not.toHaveProperty('ansible_group_priority');
  });
});

describe('[g:vars] text', () => {
  it('does not strip a " # ..." tail in [g:vars] (Ansible does not either)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-ini-'));
    writeFileSync(join(dir, 'hosts'), '[g]\nh1\n[g:vars]\nmotd = hello # world\nq="quoted" \n');
    const inv = await loadInventory([join(dir, 'hosts')]);
    expect(inv.hostVars('h1')).toEqual({ motd: 'hello # world', q: 'quoted' });
  });
});

describe('directory as inventory (dir/)', () => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await loadInventory([fx('dir')]);
  });

  it('reads every file in name order, recursing, skipping ignored names', () => {
    expect(inv.hostNames().sort()).toEqual(['c1', 'c2', 'c3', 'login1', 'sub1']);
    expect(inv.groupNames()).toEqual(['all', 'compute', 'gpu_compute', 'login', 'ungrouped']);
    expect(inv.groupsOf('c3')).toEqual(['compute', 'gpu_compute']);
  });

  it('warns about the *.ini file Ansible skips in a directory', () => {
    expect(inv.warnings.some((w) => w.includes('ignored.ini'))).toBe(true);
  });

  it('reads group_vars/ and host_vars/ inside the directory', () => {
    expect(inv.hostVars('c1')).toEqual({ dir_var: 1, from_ini: 1 });
    expect(inv.hostVars('c3')).toEqual({ dir_var: 1, from_ini: 2 });
    expect(inv.hostVars('sub1')).toEqual({ dir_var: 1, hv: 1 });
  });
});

describe('several sources (multi/) and host lists', () => {
  it.each([
    // gv_all: a/group_vars/web.yml sets it too, and any group's group_vars beat every group_vars/all
    [['multi/a/hosts.ini', 'multi/b/hosts.yml'], { src: 'b', layer: 'b-inventory', gv: 'b', gv_all: 'a' }, 'b-all'],
    [['multi/b/hosts.yml', 'multi/a/hosts.ini'], { src: 'a', layer: 'a-inventory', gv: 'a', gv_all: 'a' }, 'a-all'],
  ])('merges %j in order, later sources winning', async (sources, expected, dbAll) => {
    const inv = await loadInventory(sources.map(fx));
    expect(inv.hostVars('w2')).toEqual(expected);
    expect(inv.hostVars('d1')).toEqual({ gv_all: dbAll });
    expect(inv.select('web').hosts.sort()).toEqual(['w1', 'w2', 'w3']);
    expect(inv.groupsOf('d1')).toEqual(['db']);
  });

  it('reads a comma-separated host list (ports, no range expansion, duplicates once)', async () => {
    const inv = await loadInventory(['h1, h2:2222,[2001:db8::5]:22,node[1:2],h1,']);
    expect(inv.hostNames()).toEqual(['h1', 'h2', '2001:db8::5', 'node[1:2]']);
    expect(inv.hostVars('h2')).toEqual({ ansible_port: 2222 });
    expect(inv.hostVars('2001:db8::5')).toEqual({ ansible_port: 22 });
    expect(inv.groupsOf('h1')).toEqual(['ungrouped']);
  });

  it('accepts a single host with a trailing comma and mixes with files', async () => {
    const inv = await loadInventory([fx('multi/a/hosts.ini'), 'extra1,']);
    expect(inv.hostNames()).toEqual(['extra1', 'w1', 'w2']);
  });
});

describe('YAML shorthand forms (yaml-forms.yml)', () => {
  it('accepts string hosts/children, null hosts, and warns about what it skips', async () => {
    const inv = await loadInventory([fx('yaml-forms.yml')]);
    expect(inv.groupsOf('web1')).toEqual(['web']);
    expect(inv.groupsOf('db3')).toEqual(['db', 'replicas']);
    expect(inv.hostVars('web1')).toEqual({ from_all: 1, http_port: 80 });
    expect(inv.hostVars('db3')).toEqual({ from_all: 1, role: 'replica' });
    expect(inv.groupNames()).not.toContain('broken');
    expect(inv.warnings).toEqual([
      `${fx('yaml-forms.yml')}:11:3: Skipping unexpected key (colour) in group (db), only "vars", "children" and "hosts" are valid`,
      `${fx('yaml-forms.yml')}:16:1: Skipping 'broken' as this is not a valid group definition`,
    ]);
  });
});

describe('errors carry file:line:col', () => {
  const cases: [string, string, number, number][] = [
    ['errors/hosts-list.yml', 'Invalid "hosts" entry for "web" group, requires a dictionary, found "list" instead.', 5, 9],
    ['errors/syntax.yml', 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]', 5, 1],
    ['errors/bad-range.yml', "host range must have begin <= end (in 'node[5:1]')", 5, 9],
    ['errors/cycle.yml', "Adding group 'b' as child to 'a' creates a recursive dependency loop.", 5, 9],
    ['errors/priority.yml', 'ansible_group_priority must be an integer, got "high"', 3, 29],
    ['errors/empty.yml', 'Parsed empty YAML file', 1, 1],
    ['errors/plugin.yml', 'inventory plugin configuration (plugin: amazon.aws.aws_ec2) is not supported; only static YAML/INI inventories are', 1, 1],
    ['errors/hostvars-not-map.yml', 'Invalid data from file, expected dictionary and got: str (host web1)', 3, 11],
    ['errors/unknown-section.ini', 'Section [web:foo] has unknown type: foo', 4, 1],
    ['errors/vars-undefined.ini', 'Section [db:vars] not valid for undefined group: db', 4, 1],
    ['errors/children-undefined.ini', 'Section [app:children] includes undefined group: db', 6, 1],
    ['errors/no-closing-quote.ini', `Error parsing host definition 'web1 motd="hello': No closing quotation`, 2, 1],
    ['errors/bad-kv.ini', 'Expected key=value host variable assignment, got: novalue', 2, 1],
    ['errors/vars-no-eq.ini', 'Expected key=value, got: justakey', 4, 1],
    ['errors/trailing-colon.ini', "Invalid host pattern 'web1:' supplied, ending in ':' is not allowed, this character is reserved to provide a port.", 2, 1],
    [
      'errors/bad-section.ini',
      "Invalid section entry: '[web servers]'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters",
      1,
      1,
    ],
    ['errors/bad-range.ini', "host range must specify equal-length begin and end formats (in 'node[01:100]')", 2, 1],
    ['errors/yaml-as-ini.cfg', "Invalid host pattern '---' supplied, '---' is normally a sign this is a YAML file.", 1, 1],
  ];
  it.each(cases)('%s', async (file, message, line, col) => {
    const err = await loadInventory([fx(file)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TsplayError);
    const e = err as TsplayError;
    expect(e.code).toBe('inventory');
    expect(e.message).toBe(message);
    expect(e.source).toEqual({ file: fx(file), line, col });
  });

  it.each([
    ['errors/gv-list/hosts.yml', 'errors/gv-list/group_vars/web.yml', 'vars file must contain a mapping of variable names to values, got a list', 1, 1],
    [
      'errors/gv-syntax/hosts',
      'errors/gv-syntax/host_vars/web1.yml',
      'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
      3,
      1,
    ],
  ])('%s: bad vars file %s', async (source, varsFile, message, line, col) => {
    const e = (await loadInventory([fx(source)]).catch((x: unknown) => x)) as TsplayError;
    expect(e).toBeInstanceOf(TsplayError);
    expect(e.code).toBe('inventory');
    expect(e.message).toBe(message);
    expect(e.source).toEqual({ file: fx(varsFile), line, col });
  });

  it('names a missing source, with a hint when it looks like a single host', async () => {
    const e = (await loadInventory(['node1']).catch((x: unknown) => x)) as TsplayError;
    expect(e.message).toBe('Unable to parse node1 as an inventory source: no such file or directory');
    expect(e.hint).toBe('a single host needs a trailing comma: -i node1,');
    const e2 = (await loadInventory([fx('nosuch.yml')]).catch((x: unknown) => x)) as TsplayError;
    expect(e2.hint).toBeUndefined();
  });
});
