import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAP_HEADER, editMap, editMaster, findMaster, includesDir, mapKeys, mapLine, masterLine, normalizeOptions, parseMap } from './autofs-files.js';
import { autofsMap } from './autofs-map.js';
import { validateArgs } from '../../../src/contract/validate.js';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { checkOn, runs, writes } from '../../../test/harness/files.js';

const DEBIAN_MASTER = readFileSync(join(import.meta.dirname, '../../../test/fixtures/cloudnode/auto.master.debian12'), 'utf8');
const NFS = 'nfsdata -sec=sys,vers=3,nolock,proto=tcp ACCOUNT.blob.core.windows.net:/ACCOUNT/CONTAINER';
const azureArgs = {
  name: 'azure',
  mount_point: '/azure',
  master_options: '--timeout=60',
  entries: [{ key: 'nfsdata', options: 'sec=sys,vers=3,nolock,proto=tcp', location: 'ACCOUNT.blob.core.windows.net:/ACCOUNT/CONTAINER' }],
};

describe('auto.master and map lines (docs/procedures.md §3, exactly)', () => {
  it('renders the Azure Blob NFSv3 lines', () => {
    expect(masterLine('/azure', '/etc/auto.azure', '--timeout=60')).toBe('/azure /etc/auto.azure --timeout=60');
    expect(
      mapLine({ key: 'nfsdata', options: normalizeOptions('-sec=sys,vers=3,nolock,proto=tcp'), location: 'ACCOUNT.blob.core.windows.net:/ACCOUNT/CONTAINER' }),
    ).toBe(NFS);
    expect(mapLine({ key: 'scratch', options: normalizeOptions(['fstype=tmpfs', 'size=1m']), location: ':tmpfs' })).toBe(
      'scratch -fstype=tmpfs,size=1m :tmpfs',
    );
    expect(mapLine({ key: 'x', location: 'srv:/x' })).toBe('x srv:/x');
  });
  it('finds the +dir include and existing entries', () => {
    expect(includesDir(DEBIAN_MASTER, '/etc/auto.master.d')).toBe(true);
    expect(includesDir(DEBIAN_MASTER, '/etc/auto.master.d/')).toBe(true);
    expect(includesDir('#+dir:/etc/auto.master.d\n', '/etc/auto.master.d')).toBe(false);
    expect(findMaster(DEBIAN_MASTER, '/misc')).toBeUndefined(); // only commented there
    expect(findMaster('/azure /etc/auto.azure\n', '/azure')).toBe('/azure /etc/auto.azure');
  });
});

describe('editMaster', () => {
  it.each([
    [
      'inserted before the +auto.master include (local entry wins)',
      '# c\n+dir:/etc/auto.master.d\n+auto.master\n',
      '# c\n+dir:/etc/auto.master.d\n/azure /etc/auto.azure --timeout=60\n+auto.master\n',
    ],
    ['appended when there is no include', '/misc /etc/auto.misc\n', '/misc /etc/auto.misc\n/azure /etc/auto.azure --timeout=60\n'],
    [
      'replaced in place, duplicates dropped',
      '/azure /etc/auto.azure\n/net -hosts\n/azure /etc/auto.old\n',
      '/azure /etc/auto.azure --timeout=60\n/net -hosts\n',
    ],
    ['an empty file', '', '/azure /etc/auto.azure --timeout=60\n'],
  ])('%s', (_n, before, after) => {
    expect(editMaster(before, '/azure', '/azure /etc/auto.azure --timeout=60')).toBe(after);
  });
  it('removes with null, leaves others', () => {
    expect(editMaster('/net -hosts\n/azure /etc/auto.azure\n', '/azure', null)).toBe('/net -hosts\n');
    expect(editMaster(DEBIAN_MASTER, '/azure', null)).toBe(DEBIAN_MASTER);
  });
});

describe('editMap', () => {
  const e1 = { key: 'nfsdata', options: 'sec=sys,vers=3,nolock,proto=tcp', location: 'ACCOUNT.blob.core.windows.net:/ACCOUNT/CONTAINER' };
  it('a new map: header + entries', () => {
    expect(editMap(null, { present: [e1], absent: [], exclusive: false })).toBe(`${MAP_HEADER}\n${NFS}\n`);
  });
  it('keeps other keys and comments, replaces a changed key in place, removes absent keys', () => {
    const before = `# site map\nhome -rw srv:/home\nnfsdata -vers=4 old:/x\nold srv:/old \\\n   more\n`;
    const after = editMap(before, { present: [e1], absent: ['old'], exclusive: false });
    expect(after).toBe(`${MAP_HEADER}\n# site map\nhome -rw srv:/home\n${NFS}\n`);
    expect(mapKeys(after)).toEqual(['home', 'nfsdata']);
  });
  it('exclusive drops unlisted keys', () => {
    expect(editMap(`${MAP_HEADER}\nhome srv:/home\n${NFS}\n`, { present: [e1], absent: [], exclusive: true })).toBe(`${MAP_HEADER}\n${NFS}\n`);
  });
  it('is a fixed point', () => {
    const once = editMap('a srv:/a\n', { present: [e1], absent: [], exclusive: false });
    expect(editMap(once, { present: [e1], absent: [], exclusive: false })).toBe(once);
  });
  it('joins continuation lines into one entry', () => {
    expect(parseMap('k -rw \\\n  srv:/k\n# c\n').map((i) => i.key)).toEqual(['k', undefined]);
  });
});

describe('autofs_map arguments', () => {
  it.each([
    [{ name: 'a b', mount_point: '/x' }, /simple file name/],
    [{ name: 'x' }, /state is present but all of the following are missing: mount_point/],
    [{ name: 'x', mount_point: 'rel' }, /absolute path/],
    [{ name: 'x', mount_point: '/x', entries: [{ key: 'a/b', location: ':tmpfs' }] }, /directory names/],
    [{ name: 'x', mount_point: '/-', entries: [{ key: 'a', location: ':tmpfs' }] }, /direct map/],
    [{ name: 'x', mount_point: '/x', entries: [{ key: 'a' }] }, /needs a location/],
    [
      {
        name: 'x',
        mount_point: '/x',
        entries: [
          { key: 'a', location: 'h:/a' },
          { key: 'a', location: 'h:/b' },
        ],
      },
      /listed twice/,
    ],
    [{ name: 'x', mount_point: '/x', entries: [{ key: 'a', location: 'h:/a', options: 'rw, hard' }] }, /blanks/],
  ])('rejects %j', (raw, msg) => {
    expect(() => validateArgs(autofsMap, raw)).toThrow(msg);
  });
});

describe('autofs_map check() on canned hosts', () => {
  const debianHost = (extra = {}) =>
    new FakeHost({ files: { '/etc/auto.master': { type: 'file', content: DEBIAN_MASTER }, '/etc/auto.master.d': { type: 'dir' }, ...extra } });

  it('Debian (+dir: include): a drop-in and the map file, map written first', async () => {
    const c = await checkOn(debianHost(), autofsMap, azureArgs);
    if (!c.changed) throw new Error('expected a change');
    expect(writes(c.plan.steps)).toEqual({
      '/etc/auto.azure': `${MAP_HEADER}\n${NFS}\n`,
      '/etc/auto.master.d/azure.autofs': '# managed by tsplay (autofs_map azure)\n/azure /etc/auto.azure --timeout=60\n',
    });
    expect(c.plan.steps!.map((s) => (s.kind === 'write' ? s.spec.dest : s.what))).toEqual(['/etc/auto.azure', '/etc/auto.master.d/azure.autofs']);
    const w = c.plan.steps![0]!;
    expect(w.kind === 'write' && w.spec.mode).toBe(0o644);
    expect(c.result).toMatchObject({ master_entry: '/etc/auto.master.d/azure.autofs', keys: ['nfsdata'] });
  });

  it('no include: the line goes into /etc/auto.master', async () => {
    const h = new FakeHost({ files: { '/etc/auto.master': { type: 'file', content: '/misc /etc/auto.misc\n+auto.master\n' } } });
    const c = await checkOn(h, autofsMap, azureArgs);
    if (!c.changed) throw new Error('expected a change');
    expect(writes(c.plan.steps)['/etc/auto.master']).toBe('/misc /etc/auto.misc\n/azure /etc/auto.azure --timeout=60\n+auto.master\n');
  });

  it('a hand-written auto.master line for the mount point is edited in place even with +dir:', async () => {
    const master = DEBIAN_MASTER + '/azure /etc/auto.azure\n';
    const c = await checkOn(debianHost({ '/etc/auto.master': { type: 'file', content: master } }), autofsMap, azureArgs);
    if (!c.changed) throw new Error('expected a change');
    expect(writes(c.plan.steps)['/etc/auto.master']).toBe(DEBIAN_MASTER + '/azure /etc/auto.azure --timeout=60\n');
    expect(writes(c.plan.steps)['/etc/auto.master.d/azure.autofs']).toBeUndefined();
  });

  it('second run: ok', async () => {
    const h = debianHost({
      '/etc/auto.azure': { type: 'file', content: `${MAP_HEADER}\n${NFS}\n` },
      '/etc/auto.master.d/azure.autofs': { type: 'file', content: '# managed by tsplay (autofs_map azure)\n/azure /etc/auto.azure --timeout=60\n' },
    });
    expect((await checkOn(h, autofsMap, azureArgs)).changed).toBe(false);
  });

  it('an entry with state absent is removed, others kept', async () => {
    const h = debianHost({
      '/etc/auto.azure': { type: 'file', content: `${MAP_HEADER}\n${NFS}\nscratch -fstype=tmpfs :tmpfs\n` },
      '/etc/auto.master.d/azure.autofs': { type: 'file', content: '# managed by tsplay (autofs_map azure)\n/azure /etc/auto.azure --timeout=60\n' },
    });
    const c = await checkOn(h, autofsMap, { ...azureArgs, entries: [{ key: 'nfsdata', state: 'absent' }] });
    if (!c.changed) throw new Error('expected a change');
    expect(writes(c.plan.steps)).toEqual({ '/etc/auto.azure': `${MAP_HEADER}\nscratch -fstype=tmpfs :tmpfs\n` });
  });

  it('state absent removes drop-in and the tsplay map file', async () => {
    const h = debianHost({
      '/etc/auto.azure': { type: 'file', content: `${MAP_HEADER}\n${NFS}\n` },
      '/etc/auto.master.d/azure.autofs': { type: 'file', content: 'x\n' },
    });
    const c = await checkOn(h, autofsMap, { name: 'azure', mount_point: '/azure', state: 'absent' });
    if (!c.changed) throw new Error('expected a change');
    expect(runs(c.plan.steps)).toEqual(['rm -f -- /etc/auto.master.d/azure.autofs', 'rm -f -- /etc/auto.azure']);
    expect((await checkOn(debianHost(), autofsMap, { name: 'azure', state: 'absent' })).changed).toBe(false);
  });

  it('refuses an executable map file (autofs would run it as a program map)', async () => {
    const h = debianHost({ '/etc/auto.azure': { type: 'file', content: '#!/bin/sh\n', mode: 0o755 } });
    await expect(checkOn(h, autofsMap, azureArgs)).rejects.toThrow(/executable: autofs would run it as a program map/);
  });
});
