import { describe, expect, it } from 'vitest';
import { editFstab, escapeField, fstabEntries, fstabLine, isNetworkFs, mountAt, mountMatches, parseFstabLine, parseMountinfo, unescapeField } from './fstab.js';
import { mountModule, planMountOps, wantedEntry } from './mount.js';
import { validateArgs } from '../../../src/contract/validate.js';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { checkOn, runs, writes } from '../../../test/harness/files.js';

const BLOB = {
  src: 'acct.blob.core.windows.net:/acct/data',
  path: '/nfsdata',
  fstype: 'nfs',
  opts: 'sec=sys,vers=3,nolock,proto=tcp,nofail',
  dump: '0',
  passno: '0',
};
const FSTAB = '# /etc/fstab\nUUID=1234 / ext4 errors=remount-ro 0 1\n';

const MOUNTINFO = [
  '22 1 0:20 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u',
  '30 22 0:25 / /scratch rw,relatime - tmpfs tmpfs rw,size=1024k',
  '31 22 0:20 /srv/data /data rw,relatime - overlay overlay rw',
  '32 22 0:30 / /with\\040space rw - tmpfs tmpfs rw',
  '33 22 0:31 / /scratch rw,relatime - tmpfs other rw,size=2048k',
].join('\n');

describe('fstab lines', () => {
  it('renders like Ansible (single spaces, octal escapes)', () => {
    expect(fstabLine(BLOB)).toBe('acct.blob.core.windows.net:/acct/data /nfsdata nfs sec=sys,vers=3,nolock,proto=tcp,nofail 0 0');
    expect(fstabLine({ ...BLOB, path: '/my data' })).toContain(' /my\\040data ');
    expect(unescapeField(escapeField('a b\tc\\d'))).toBe('a b\tc\\d');
  });
  it('parses fields with defaults for missing dump/passno', () => {
    expect(parseFstabLine('tmpfs\t/scratch  tmpfs')).toEqual({ src: 'tmpfs', path: '/scratch', fstype: 'tmpfs', opts: 'defaults', dump: '0', passno: '0' });
    expect(parseFstabLine('# comment')).toBeUndefined();
  });
  it.each([
    ['appends a new entry', FSTAB, `${FSTAB}${fstabLine(BLOB)}\n`],
    [
      'replaces the entry of the same path in place',
      `${FSTAB}old:/x /nfsdata nfs defaults 0 0\n/dev/sdb1 /b ext4 defaults 0 2\n`,
      `${FSTAB}${fstabLine(BLOB)}\n/dev/sdb1 /b ext4 defaults 0 2\n`,
    ],
    [
      'leaves an equal entry alone whatever its spacing',
      `${FSTAB}acct.blob.core.windows.net:/acct/data\t/nfsdata\tnfs\tsec=sys,vers=3,nolock,proto=tcp,nofail\t0\t0\n`,
      null,
    ],
    ['drops later duplicates', `a:/1 /nfsdata nfs defaults 0 0\nb:/2 /nfsdata nfs defaults 0 0\n`, `${fstabLine(BLOB)}\n`],
    ['an empty fstab', '', `${fstabLine(BLOB)}\n`],
  ])('%s', (_n, before, after) => {
    expect(editFstab(before, '/nfsdata', BLOB)).toBe(after ?? before);
  });
  it('removes every entry of the path', () => {
    expect(editFstab(`${FSTAB}a:/1 /nfsdata nfs defaults 0 0\nb:/2 /nfsdata nfs defaults 0 0\n`, '/nfsdata', null)).toBe(FSTAB);
    expect(fstabEntries(FSTAB, '/')).toHaveLength(1);
  });
  it('knows network filesystems (they need nofail on cloud nodes)', () => {
    expect(isNetworkFs({ src: 'srv:/x', fstype: 'nfs' })).toBe(true);
    expect(isNetworkFs({ src: 'srv:/x', fstype: 'auto' })).toBe(true);
    expect(isNetworkFs({ src: 'tmpfs', fstype: 'tmpfs' })).toBe(false);
    expect(isNetworkFs({ src: '/srv/data', fstype: 'none' })).toBe(false);
  });
});

describe('mountinfo', () => {
  const mounts = parseMountinfo(MOUNTINFO);
  it('parses and finds the topmost mount', () => {
    expect(mounts).toHaveLength(5);
    expect(mountAt(mounts, '/scratch')).toMatchObject({ fstype: 'tmpfs', source: 'other' });
    expect(mountAt(mounts, '/with space')).toBeDefined();
    expect(mountAt(mounts, '/data/')).toMatchObject({ root: '/srv/data' });
    expect(mountAt(mounts, '/nope')).toBeUndefined();
  });
  it('matches source and type (bind: anything mounted there)', () => {
    expect(mountMatches(mountAt(mounts, '/scratch')!, { ...BLOB, src: 'other', fstype: 'tmpfs', path: '/scratch' })).toBe(true);
    expect(mountMatches(mountAt(mounts, '/scratch')!, { ...BLOB, src: 'tmpfs', fstype: 'tmpfs', path: '/scratch' })).toBe(false);
    expect(mountMatches(mountAt(mounts, '/data')!, { ...BLOB, src: '/srv/data', fstype: 'none', opts: 'bind', path: '/data' })).toBe(true);
  });
});

describe('mount operations by state', () => {
  const want = { src: 'tmpfs', path: '/scratch', fstype: 'tmpfs', opts: 'size=1m', dump: '0', passno: '0' };
  const cur = parseMountinfo('30 22 0:25 / /scratch rw - tmpfs tmpfs rw')[0]!;
  it.each([
    ['mounted, not mounted', 'mounted', undefined, false, ['mkdir -p -- /scratch', 'mount -t tmpfs -o size=1m -- tmpfs /scratch']],
    ['mounted, mounted, fstab same', 'mounted', cur, false, undefined],
    ['mounted, mounted, fstab changed: remount', 'mounted', cur, true, ['mount -o remount,size=1m -- /scratch']],
    ['unmounted, mounted', 'unmounted', cur, false, ['umount -- /scratch']],
    ['unmounted, not mounted', 'unmounted', undefined, false, undefined],
    ['absent, mounted', 'absent', cur, true, ['umount -- /scratch', 'rmdir -- /scratch 2>/dev/null || :']],
    ['remounted', 'remounted', cur, false, ['mount -o remount -- /scratch']],
    ['present never mounts', 'present', undefined, true, undefined],
  ] as const)('%s', (_n, state, c, changed, cmds) => {
    expect(planMountOps(state, want, c, changed, '/scratch')?.commands).toEqual(cmds);
  });
  it('another source mounted there: umount, then mount', () => {
    const other = parseMountinfo('30 22 0:25 / /scratch rw - tmpfs elsewhere rw')[0]!;
    expect(planMountOps('mounted', want, other, false, '/scratch')?.commands).toEqual(['umount -- /scratch', 'mount -t tmpfs -o size=1m -- tmpfs /scratch']);
  });
  it('remounted when nothing is mounted is an error', () => {
    expect(() => planMountOps('remounted', want, undefined, false, '/scratch')).toThrow(/not mounted/);
  });
  it('boot: false adds noauto', () => {
    expect(wantedEntry({ ...want, boot: false, dump: 0, passno: '0', state: 'present', fstab: '/etc/fstab', backup: false }).opts).toBe('size=1m,noauto');
  });
});

describe('mount check() on canned hosts', () => {
  const host = (fstab: string, mountinfo = '') =>
    new FakeHost({ files: { '/etc/fstab': { type: 'file', content: fstab } }, facts: { mountinfo: () => parseMountinfo(mountinfo) } });
  const args = { path: '/nfsdata', src: BLOB.src, fstype: 'nfs', opts: BLOB.opts, state: 'present' };

  it('present: only the fstab line', async () => {
    const c = await checkOn(host(FSTAB), mountModule, args);
    if (!c.changed) throw new Error('expected a change');
    expect(writes(c.plan.steps)).toEqual({ '/etc/fstab': `${FSTAB}${fstabLine(BLOB)}\n` });
    expect(runs(c.plan.steps)).toEqual([]);
    expect(c.summary).toBe('add /nfsdata in /etc/fstab');
  });
  it('mounted: fstab + mount; then ok once both are there', async () => {
    const t = { path: '/scratch', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted' };
    const c = await checkOn(host(FSTAB), mountModule, t);
    if (!c.changed) throw new Error('expected a change');
    expect(runs(c.plan.steps)).toEqual(['mkdir -p -- /scratch || exit 1\nmount -t tmpfs -o size=1m -- tmpfs /scratch || exit 1']);
    const done = host(`${FSTAB}tmpfs /scratch tmpfs size=1m 0 0\n`, '30 22 0:25 / /scratch rw - tmpfs tmpfs rw,size=1024k');
    expect((await checkOn(done, mountModule, t)).changed).toBe(false);
  });
  it('warns when NFS lacks nofail', async () => {
    const h = host(FSTAB);
    await checkOn(h, mountModule, { ...args, opts: 'sec=sys,vers=3,nolock,proto=tcp' });
    expect(h.warnings.join()).toMatch(/no 'nofail'.*emergency mode/);
    const h2 = host(FSTAB);
    await checkOn(h2, mountModule, args);
    expect(h2.warnings).toEqual([]);
  });
  it('absent removes the line and unmounts', async () => {
    const c = await checkOn(host(`${FSTAB}tmpfs /scratch tmpfs size=1m 0 0\n`, '30 22 0:25 / /scratch rw - tmpfs tmpfs rw'), mountModule, {
      path: '/scratch',
      state: 'absent',
    });
    if (!c.changed) throw new Error('expected a change');
    expect(writes(c.plan.steps)).toEqual({ '/etc/fstab': FSTAB });
    expect(runs(c.plan.steps)[0]).toMatch(/^umount -- \/scratch/);
  });
  it('arguments: name is an alias of path; present needs src and fstype; state is required', () => {
    expect(validateArgs<{ path: string }>(mountModule, { name: '/x', src: 'tmpfs', fstype: 'tmpfs', state: 'present' }).path).toBe('/x');
    expect(() => validateArgs(mountModule, { path: '/x', state: 'mounted' })).toThrow(/state is mounted but all of the following are missing: src, fstype/);
    expect(() => validateArgs(mountModule, { path: '/x' })).toThrow(/state/);
    expect(() => validateArgs(mountModule, { path: 'x', state: 'unmounted' })).toThrow(/absolute/);
  });
});
