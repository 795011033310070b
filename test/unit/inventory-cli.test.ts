import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inventoryCommand } from '../../src/cli/commands/inventory.js';

const FIX = join(import.meta.dirname, '../fixtures/inventory');
const fx = (p: string): string => join(FIX, p);

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await inventoryCommand(args);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('tsplay inventory', () => {
  it('--list prints inventory-script JSON', async () => {
    const r = await run(['-i', fx('multi/a/hosts.ini'), '--list']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      _meta: { hostvars: { w1: { gv: 'a', gv_all: 'a', layer: 'a-inventory' }, w2: { gv: 'a', gv_all: 'a', layer: 'a-inventory', src: 'a' } } },
      all: { children: ['ungrouped', 'web'] },
      web: { hosts: ['w1', 'w2'] },
    });
    expect(r.out).toMatch(/^\{\n {4}"_meta": \{\n {8}"hostvars": \{/); // json.dumps(indent=4, sort_keys=True)
  });

  it('--list --limit restricts hosts, -y prints YAML', async () => {
    const r = await run(['-i', fx('patterns.ini'), '--list', '--limit', 'db:&~db[12]', '-y']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('all:\n  children:\n    db:\n      hosts:\n        db1: {}\n        db2: {}\n');
  });

  it('--graph [GROUP]', async () => {
    const r = await run(['-i', fx('patterns.ini'), '--graph', 'slurm']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      '@slurm:\n  |--@compute:\n' +
        [1, 2, 3, 4, 5, 6].map((i) => `  |  |--node00${i}\n`).join('') +
        '  |--@gpu:\n  |  |--node005\n  |  |--node006\n  |  |--gpu1\n',
    );
  });

  it('--host HOST prints the host variables (vault values as __ansible_vault)', async () => {
    const r = await run(['-i', fx('cluster/hosts.yml'), '--host', 'ctl01', '--playbook-dir', fx('playbook')]);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.out) as Record<string, unknown>;
    expect(v['tier']).toBe('slurm-group_vars');
    expect(v['playbook_all']).toBe(true);
    expect((v['db_password'] as { __ansible_vault: string }).__ansible_vault).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  });

  it('--output FILE writes the result to a file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tsplay-inv-')), 'out.json');
    const r = await run(['-i', 'a,b,', '--list', '--output', file]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8'))['ungrouped']).toEqual({ hosts: ['a', 'b'] });
  });

  it('prints warnings on stderr', async () => {
    const r = await run(['-i', fx('patterns.ini'), '--list', '--limit', 'nosuch:web01']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('[WARNING]: Could not match supplied host pattern, ignoring: nosuch\n');
  });

  it.each([
    [['-i', 'a,', '--list', '--graph'], 'Conflicting options used, only one of --host, --graph or --list can be used at the same time.'],
    [['-i', 'a,'], 'No action selected, at least one of --host, --graph or --list needs to be specified.'],
    [['--list'], 'no inventory given (-i INVENTORY)'],
    [['-i', 'a,', '--list', '--bogus'], "Unknown option '--bogus'"],
    [['-i', 'a,', '--list', 'extra'], 'a group argument is only valid with --graph: extra'],
    [['-i', fx('patterns.ini'), '--graph', 'node001'], 'Pattern must be valid group name when using --graph'],
    [['-i', fx('patterns.ini'), '--host', 'web'], 'You must pass a single valid host to --host parameter'],
    [['-i', 'a,', '--list', '--limit', '@/nonexistent/file'], 'Unable to find limit file /nonexistent/file'],
  ])('exits 5 on bad options %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(5);
    expect(r.out).toBe('');
    expect(r.err).toContain(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 with one file:line:col line on inventory errors', async () => {
    const r = await run(['-i', fx('errors/children-undefined.ini'), '--list']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`ERROR! ${fx('errors/children-undefined.ini')}:6:1: Section [app:children] includes undefined group: db\n`);
  });
});

const ansible = existsSync('/usr/bin/ansible-inventory');

/** Python's json output with vault ciphertexts trimmed (tsplay's EncryptedString keeps no trailing newline). */
function normalize(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) =>
    v && typeof v === 'object' && '__ansible_vault' in v ? { __ansible_vault: String((v as { __ansible_vault: string }).__ansible_vault).trim() } : v,
  );
}

describe.skipIf(!ansible)('same output as ansible-inventory (installed here)', () => {
  const ansibleInventory = (args: string[]): string => {
    const r = spawnSync('/usr/bin/ansible-inventory', args, { encoding: 'utf8', cwd: FIX });
    if (r.status !== 0) throw new Error(`ansible-inventory ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  // [args, exact text?] — text compared byte for byte where no float like 1000.0 or vault value is involved
  const scenarios: [string[], boolean][] = [
    [['-i', 'cluster/hosts.yml'], false],
    [['-i', 'cluster/hosts.yml', '--playbook-dir', 'playbook'], false],
    [['-i', 'ini/hosts.ini'], true],
    [['-i', 'dir'], true],
    [['-i', 'multi/a/hosts.ini', '-i', 'multi/b/hosts.yml'], true],
    [['-i', 'multi/b/hosts.yml', '-i', 'multi/a/hosts.ini'], true],
    [['-i', 'x1,w1,x2:2022', '-i', 'multi/a/hosts.ini'], true],
    [['-i', 'yaml-forms.yml'], true],
    [['-i', 'patterns.ini'], true],
  ];

  const ours = async (args: string[]): Promise<string> => {
    const abs = args.map((a, i) => (i > 0 && ['-i', '--playbook-dir'].includes(args[i - 1]!) && !a.includes(',') ? fx(a) : a));
    const r = await run(abs);
    expect(r.code).toBe(0);
    return r.out;
  };

  it.each(scenarios)('--list %j', async (args, exact) => {
    const theirs = ansibleInventory([...args, '--list']);
    const mine = await ours([...args, '--list']);
    if (exact) expect(mine).toBe(theirs);
    else expect(normalize(mine)).toEqual(normalize(theirs));
  });

  it.each(scenarios)('--graph %j', async (args) => {
    expect(await ours([...args, '--graph'])).toBe(ansibleInventory([...args, '--graph']));
  });

  it.each([[['-i', 'dir']], [['-i', 'multi/a/hosts.ini', '-i', 'multi/b/hosts.yml']], [['-i', 'patterns.ini']]])('--list --yaml %j', async (args) => {
    expect(await ours([...args, '--list', '-y'])).toBe(ansibleInventory([...args, '--list', '-y']));
  });

  // (--list already compares every host's variables; --host is the same computation, checked on two hosts)
  it.each(['ctl01', 'node04'])('--host %s, with the playbook dir', async (h) => {
    const args = ['-i', 'cluster/hosts.yml', '--playbook-dir', 'playbook', '--host', h];
    expect(normalize(await ours(args))).toEqual(normalize(ansibleInventory(args)));
  });

  it('gives the same groups and group_names (Ansible API via ansible-dump.py)', async () => {
    const { loadInventory } = await import('../../src/config/inventory/index.js');
    for (const sources of [['cluster/hosts.yml'], ['ini/hosts.ini'], ['dir'], ['multi/b/hosts.yml', 'multi/a/hosts.ini'], ['patterns.ini']]) {
      const ref = JSON.parse(
        execFileSync('/usr/bin/python3', [fx('ansible-dump.py'), JSON.stringify({ sources })], {
          cwd: FIX,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      ) as { hosts: string[]; groups: Record<string, string[]>; group_names: Record<string, string[]> };
      const inv = await loadInventory(sources.map(fx));
      expect([sources, inv.hostNames()]).toEqual([sources, ref.hosts]);
      expect([sources, inv.groupsMap()]).toEqual([sources, ref.groups]);
      expect([sources, Object.fromEntries(inv.hostNames().map((h) => [h, inv.groupsOf(h)]))]).toEqual([sources, ref.group_names]);
    }
  });
});
