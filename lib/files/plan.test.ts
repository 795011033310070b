/**
 * Table-driven: module arguments + canned file-state facts → the planned steps, diff and result.
 * Runs each module's real check() (after the engine's argument validation) against a fake context.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CheckResult, FileDiff, ResultData } from '../../src/contract/define.js';
import { validateArgs } from '../../src/contract/validate.js';
import { pinnedChmod, type FileFacts, type FileQuery, type FileStep } from './index.js';
import { registry } from '../../test/harness/modules.js';
import { facts, fakeCtx, info, st, type FakeCtx } from '../../test/harness/files.js';

interface Planned {
  changed: boolean;
  steps: FileStep[];
  diff: FileDiff[];
  result: ResultData;
  summary?: string;
  ctx: FakeCtx;
}

async function plan(
  module: string,
  raw: Record<string, unknown>,
  answer: FileFacts | ((q: FileQuery) => FileFacts),
  opts: { diff?: boolean } = {},
): Promise<Planned> {
  const mod = registry.get(module)!;
  const args = validateArgs(mod, raw);
  const ctx = fakeCtx((q: FileQuery) => (typeof answer === 'function' ? answer(q) : answer), { diff: opts.diff ?? true });
  const c = (await mod.check(ctx, args)) as CheckResult<{ steps: FileStep[]; result: ResultData }>;
  if (!c.changed) return { changed: false, steps: [], diff: [], result: c.result ?? {}, ctx };
  return { changed: true, steps: c.plan.steps, diff: c.diff ?? [], result: c.result ?? {}, summary: c.summary, ctx };
}

async function planError(module: string, raw: Record<string, unknown>, answer: FileFacts): Promise<string> {
  try {
    await plan(module, raw, answer);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const writeStep = (p: Planned) => p.steps.find((s) => s.kind === 'write') as Extract<FileStep, { kind: 'write' }> | undefined;
const commands = (p: Planned) => p.steps.filter((s) => s.kind === 'run').map((s) => (s as { command: string }).command);

describe('copy', () => {
  const dest = '/etc/app.conf';
  it('a new file: one write with 0666 & ~umask, diff from empty, sha1 checksum', async () => {
    const p = await plan('copy', { content: 'a=1\n', dest }, facts([info(dest, { parentIsDir: true })], { umask: 0o027 }));
    expect(p.changed).toBe(true);
    expect(writeStep(p)!.spec).toMatchObject({ dest, keepAttrs: false, mode: 0o640, backup: false });
    expect(writeStep(p)!.data!.toString()).toBe('a=1\n');
    expect(p.diff).toEqual([{ before: '', after: 'a=1\n', beforeHeader: dest, afterHeader: 'dynamically generated' }]);
    expect(p.result).toMatchObject({ dest, checksum: sha1('a=1\n'), size: 4, mode: '0640', owner: 'root', state: 'file' });
    expect(p.ctx.queries).toEqual([{ items: [{ path: dest, inDir: undefined, follow: false, linkHops: true, checksum: 'sha1', content: 'peek' }] }]);
  });

  it('same checksum and attributes: ok, no steps', async () => {
    const p = await plan('copy', { content: 'a=1\n', dest, mode: '0644' }, facts([info(dest, { stat: st(), checksum: sha1('a=1\n') })]));
    expect(p.changed).toBe(false);
    expect(p.result).toMatchObject({ dest, mode: '0644', checksum: sha1('a=1\n') });
  });

  it('same content, other mode/owner: one chown+chmod, attribute diff', async () => {
    const p = await plan('copy', { content: 'x', dest, mode: 'u=rw,go=', owner: 'app' }, facts([info(dest, { stat: st(), checksum: sha1('x') })]));
    expect(commands(p)).toEqual([`chown -h -- app /etc/app.conf && ${pinnedChmod('/etc/app.conf', 0o600)}`]);
    expect(p.diff).toHaveLength(1);
    expect(JSON.parse(p.diff[0]!.before)).toEqual({ path: dest, owner: 'root', mode: '0644' });
    expect(JSON.parse(p.diff[0]!.after)).toEqual({ path: dest, owner: 'app', mode: '0600' });
    expect(p.diff[0]!.beforeHeader).toBe(`${dest} (file attributes)`);
  });

  it('new content over an existing file keeps its attributes (write with keepAttrs), backup, validate', async () => {
    const cur = st({ mode: 0o600, uid: 1000, owner: 'app' });
    const p = await plan(
      'copy',
      { content: 'new\n', dest, backup: true, validate: 'check %s' },
      facts([info(dest, { stat: cur, checksum: sha1('old\n'), content: Buffer.from('old\n') })]),
    );
    expect(writeStep(p)!.spec).toMatchObject({ keepAttrs: true, mode: 0o600, backup: true, validate: 'check %s', owner: undefined });
    expect(p.diff[0]).toMatchObject({ before: 'old\n', after: 'new\n' });
    expect(p.result).toMatchObject({ owner: 'app', mode: '0600', uid: 1000 });
  });

  it('force: false never touches an existing file', async () => {
    const p = await plan('copy', { content: 'new', dest, force: false, mode: '0600' }, facts([info(dest, { stat: st(), checksum: sha1('old') })]));
    expect(p.changed).toBe(false);
    expect(p.result.msg).toBe('file already exists');
  });

  it('a link at dest is replaced by a file (follow: false), or its target is written (follow: true)', async () => {
    const link = info(dest, {
      stat: st({ type: 'link', mode: 0o777 }),
      linkTarget: 'real.conf',
      realPath: '/etc/real.conf',
      target: st({ mode: 0o640 }),
      checksum: sha1('x'),
    });
    const replace = await plan('copy', { content: 'x', dest }, facts([link]));
    expect(writeStep(replace)!.spec).toMatchObject({ dest, keepAttrs: false, mode: 0o644 });
    const follow = await plan('copy', { content: 'x', dest, follow: true }, facts([link]));
    expect(follow.changed).toBe(false);
    const followNew = await plan('copy', { content: 'y', dest, follow: true }, facts([link]));
    expect(writeStep(followNew)!.spec).toMatchObject({ dest: '/etc/real.conf', keepAttrs: true, mode: 0o640 });
  });

  it('dest ending in / creates the directories; a missing directory otherwise is an error', async () => {
    const p = await plan('copy', { src: 'app.conf', dest: '/opt/app/etc/', directory_mode: '0750' }, facts([info('/opt/app/etc/app.conf')]));
    expect(writeStep(p)!.spec).toMatchObject({ dest: '/opt/app/etc/app.conf', mkdirs: ['/opt', '/opt/app', '/opt/app/etc'], dirMode: 0o750 });
    expect(p.result.src).toBe('/ctl/app.conf');
    const e = await planError('copy', { content: 'x', dest: '/nodir/f' }, facts([info('/nodir/f')]));
    expect(e).toBe('Destination directory /nodir does not exist');
  });

  it('an existing directory as dest means dest/basename(src); inline content cannot go there', async () => {
    const p = await plan('copy', { src: 'app.conf', dest: '/etc' }, facts([info('/etc/app.conf', { joined: true, parentIsDir: true })]));
    expect(p.ctx.queries[0]).toMatchObject({ items: [{ path: '/etc', inDir: 'app.conf' }] });
    expect(writeStep(p)!.spec.dest).toBe('/etc/app.conf');
    const e = await planError('copy', { content: 'x', dest: '/etc' }, facts([info('/etc', { stat: st({ type: 'directory', mode: 0o755 }) })]));
    expect(e).toBe('can not use content with a dir as dest');
  });

  it('binary and large contents are not shown in diffs', async () => {
    const bin = await plan(
      'copy',
      { content: 'a\u0000b', dest },
      facts([info(dest, { stat: st(), checksum: 'x', content: Buffer.alloc(200_000, 'y'), contentTruncated: true })]),
    );
    expect(bin.diff[0]).toMatchObject({
      before: '[[ diff skipped: destination file size is greater than 104448 ]]\n',
      after: '[[ diff skipped: source file appears to be binary ]]\n',
    });
  });

  it('checks arguments like Ansible', async () => {
    const mod = registry.get('copy')!;
    expect(() => validateArgs(mod, { dest })).toThrow('copy: one of the following is required: src, content');
    expect(() => validateArgs(mod, { dest, src: 'a', content: 'b' })).toThrow('mutually exclusive');
    expect(() => validateArgs(mod, { dest: '/etc/', content: 'b' })).toThrow('can not use content with a dir as dest');
    expect(() => validateArgs(mod, { dest, content: 'b', mode: 'u=rq' })).toThrow('bad symbolic permission');
    expect(() => validateArgs(mod, { dest, content: 'b', nosuch: 1 })).toThrow("unknown argument 'nosuch'");
    expect(validateArgs(mod, { dest, content: 'b', mode: 420 })).toMatchObject({ mode: 420 });
  });

  it('mode 420 (YAML 0644) is used as is; an unquoted 644 warns', async () => {
    const p = await plan('copy', { content: 'x', dest, mode: 420 }, facts([info(dest, { parentIsDir: true })], { umask: 0o077 }));
    expect(writeStep(p)!.spec.mode).toBe(0o644);
    const q = await plan('copy', { content: 'x', dest, mode: 644 }, facts([info(dest, { parentIsDir: true })]));
    expect(writeStep(q)!.spec.mode).toBe(0o1204);
    expect(q.ctx.warnings[0]).toMatch(/decimal/);
  });
});

describe('template', () => {
  it('writes the rendered text like copy, named after the template in the diff', async () => {
    const p = await plan(
      'template',
      { src: 'motd.j2', dest: '/etc/motd', owner: 'root', mode: '0644' },
      facts([info('/etc/motd', { stat: st(), checksum: 'old', content: Buffer.from('old\n') })]),
    );
    expect(writeStep(p)!.data!.toString()).toBe('rendered motd.j2\n');
    expect(p.diff[0]).toMatchObject({ before: 'old\n', after: 'rendered motd.j2\n', afterHeader: 'motd.j2' });
    expect(p.ctx.queries[0]).toMatchObject({ items: [{ path: '/etc/motd', inDir: 'motd.j2' }] });
  });
  it('newline_sequence converts line endings', async () => {
    const p = await plan('template', { src: 't', dest: '/x', newline_sequence: '\r\n' }, facts([info('/x', { parentIsDir: true })]));
    expect(writeStep(p)!.data!.toString()).toBe('rendered t\r\n');
  });
});

describe('file', () => {
  const dir = st({ type: 'directory', mode: 0o755 });
  it('directory: creates every missing component with mode/owner', async () => {
    const p = await plan('file', { path: '/srv/a/b', state: 'directory', mode: '0750', owner: 'app' }, facts([info('/srv/a/b')]));
    expect(commands(p)[0]).toContain('for d in /srv /srv/a /srv/a/b; do');
    expect(commands(p)[0]).toContain('mkdir -m 00750 -- "$d"'); // the mode set on the new directory itself
    expect(commands(p)[0]).toContain('chown -h -- app "$d"'); // never through a symlink swapped in
    expect(JSON.parse(p.diff[0]!.after)).toEqual({ path: '/srv/a/b', state: 'directory' });
  });

  it('directory: existing with other mode → chmod; same → ok', async () => {
    const p = await plan('file', { path: '/srv', state: 'directory', mode: 'g+w' }, facts([info('/srv', { stat: dir })]));
    expect(commands(p)).toEqual([pinnedChmod('/srv', 0o775)]);
    expect(JSON.parse(p.diff[0]!.before)).toEqual({ path: '/srv', mode: '0755' });
    const same = await plan('file', { path: '/srv', state: 'directory', mode: '0755' }, facts([info('/srv', { stat: dir })]));
    expect(same.changed).toBe(false);
  });

  it('directory recurse: modes computed per entry (X, setgid dirs) and applied per distinct mode', async () => {
    const tree = [
      { path: '/srv/d', type: 'directory' as const, mode: 0o2775, uid: 0, gid: 0, owner: 'root', group: 'root' },
      { path: '/srv/d/f', type: 'file' as const, mode: 0o664, uid: 0, gid: 0, owner: 'root', group: 'root' },
      { path: '/srv/d/x', type: 'file' as const, mode: 0o755, uid: 0, gid: 0, owner: 'root', group: 'root' },
      { path: '/srv/l', type: 'link' as const, mode: 0o777, uid: 0, gid: 0, owner: 'root', group: 'root' },
    ];
    const p = await plan(
      'file',
      { path: '/srv', state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=', owner: 'app' },
      facts([info('/srv', { stat: st({ type: 'directory', mode: 0o750, owner: 'app', uid: 5 }), tree })]),
    );
    const steps = p.steps as { command: string; stdin?: Buffer }[];
    expect(steps.map((s) => [s.command, s.stdin?.toString().split('\0').filter(Boolean)])).toEqual([
      ['xargs -0 -r chown -h -- app', ['/srv/d', '/srv/d/f', '/srv/d/x', '/srv/l']],
      ['xargs -0 -r chmod 00750 --', ['/srv/d', '/srv/d/x']],
      ['xargs -0 -r chmod 00640 --', ['/srv/d/f']],
    ]);
    expect(p.ctx.queries[0]).toMatchObject({ items: [{ path: '/srv', tree: true }] });
  });

  it('touch: preserve/preserve on an existing file is idempotent; the default (now) always changes', async () => {
    const f = facts([info('/t', { stat: st() })]);
    const keep = await plan('file', { path: '/t', state: 'touch', modification_time: 'preserve', access_time: 'preserve' }, f);
    expect(keep.changed).toBe(false);
    const now = await plan('file', { path: '/t', state: 'touch' }, f);
    expect(commands(now)).toEqual(['touch -c -h -- /t']);
    const create = await plan('file', { path: '/new', state: 'touch', mode: '0600' }, facts([info('/new', { parentIsDir: true })]));
    // a failure setting the new file's attributes removes it (file.py)
    expect(commands(create)).toEqual(['( set -C; : >/new )', `( ${pinnedChmod('/new', 0o600)}\n) || { rm -f -- /new; exit 1; }`]);
  });

  it('explicit times: converted on the host, set only when they differ', async () => {
    const q = (f: FileQuery) =>
      facts([info('/t', { stat: st({ mtime: 1_700_000_000, atime: 1_700_000_000.5 }) })], { epochs: f.epochs!.map(() => 1_700_000_000) });
    const p = await plan('file', { path: '/t', state: 'file', modification_time: '202311142213.20', access_time: '202311142213.20' }, q);
    expect(p.ctx.queries[0]).toMatchObject({ epochs: ['2023-11-14 22:13:20', '2023-11-14 22:13:20'] });
    expect(commands(p)).toEqual(['touch -c -h -a -d @1700000000 -- /t']);
    expect(JSON.parse(p.diff[0]!.before)).toMatchObject({ atime: 1_700_000_000.5 });
  });

  it('absent: rm -f a file, rm -rf a directory (listing its content in the diff)', async () => {
    const p = await plan('file', { path: '/f', state: 'absent' }, facts([info('/f', { stat: st() })]));
    expect(commands(p)).toEqual(['rm -f -- /f']);
    const tree = [{ path: '/d/x', type: 'file' as const, mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root' }];
    const d = await plan('file', { path: '/d', state: 'absent' }, facts([info('/d', { stat: dir, tree })]));
    expect(commands(d)).toEqual(['rm -rf -- /d']);
    expect(JSON.parse(d.diff[0]!.before)).toEqual({ path: '/d', state: 'directory', path_content: { directories: [], files: ['/d/x'] } });
    const gone = await plan('file', { path: '/f', state: 'absent' }, facts([info('/f')]));
    expect(gone.changed).toBe(false);
  });

  it('link: new, retargeted (atomic replace), refused over files without force', async () => {
    const srcOk = info('/etc/x', { stat: st() });
    const p = await plan(
      'file',
      { path: '/etc/l', src: 'x', state: 'link', follow: false },
      facts([info('/etc/l', { parentIsDir: true }), srcOk, info('/etc/l/x')]),
    );
    expect(p.ctx.queries[0]).toMatchObject({ items: [{ path: '/etc/l' }, { path: '/etc/x' }, { path: '/etc/l/x' }] });
    expect(commands(p)).toEqual(['ln -s -T -- x /etc/l']);
    const old = info('/etc/l', { stat: st({ type: 'link' }), linkTarget: 'y', realPath: '/etc/y', target: st() });
    const r = await plan('file', { path: '/etc/l', src: 'x', state: 'link' }, facts([old, srcOk, info('/etc/l/x')]));
    expect(commands(r)[0]).toContain('ln -s -T -- x "$_l" && mv -fT -- "$_l" /etc/l');
    expect(JSON.parse(r.diff[0]!.after)).toEqual({ path: '/etc/l', src: 'x' });
    const e = await planError('file', { path: '/etc/l', src: 'x', state: 'link' }, facts([info('/etc/l', { stat: st() }), srcOk, info('/etc/l/x')]));
    expect(e).toBe('refusing to convert from file to symlink for /etc/l');
    const miss = await planError('file', { path: '/etc/l', src: 'x', state: 'link' }, facts([info('/etc/l'), info('/etc/x'), info('/etc/l/x')]));
    expect(miss).toBe('src file does not exist, use "force=yes" if you really want to create the link: /etc/x');
  });

  it('link with follow (default): owner/mode go to the target', async () => {
    const target = info('/etc/x', { stat: st({ mode: 0o600 }) });
    const p = await plan(
      'file',
      { path: '/etc/l', src: '/etc/x', state: 'link', mode: '0644' },
      facts([info('/etc/l', { stat: st({ type: 'link' }), linkTarget: '/etc/x', realPath: '/etc/x', target: st({ mode: 0o600 }) }), target, target]),
    );
    expect(commands(p)).toEqual([pinnedChmod('/etc/x', 0o644)]);
  });

  it('hard: a different inode needs force', async () => {
    const e = await planError(
      'file',
      { path: '/h', src: '/s', state: 'hard' },
      facts([info('/h', { stat: st({ nlink: 2, inode: 1 }) }), info('/s', { stat: st({ inode: 2 }) })]),
    );
    expect(e).toBe('Cannot link, different hard link exists at destination');
    const same = await plan(
      'file',
      { path: '/h', src: '/s', state: 'hard' },
      facts([info('/h', { stat: st({ nlink: 2, inode: 2 }) }), info('/s', { stat: st({ inode: 2, nlink: 2 }) })]),
    );
    expect(same.changed).toBe(false);
  });

  it('file: a missing path is an error; state defaults to what is there', async () => {
    expect(await planError('file', { path: '/nope', state: 'file' }, facts([info('/nope')]))).toBe('file (/nope) is absent, cannot continue');
    const p = await plan('file', { path: '/srv', mode: '0700' }, facts([info('/srv', { stat: dir })]));
    expect(p.result.state).toBe('directory');
    expect(commands(p)).toEqual([pinnedChmod('/srv', 0o700)]);
  });
});

describe('stat', () => {
  it('Ansible shape for a file, a link and a missing path', async () => {
    const f = await plan(
      'stat',
      { path: '/etc/passwd' },
      facts([info('/etc/passwd', { stat: st({ size: 10, mode: 0o4755 }), checksum: 'abc', access: { readable: true, writable: false, executable: true } })]),
    );
    expect(f.changed).toBe(false);
    expect(f.result.stat).toMatchObject({
      exists: true,
      path: '/etc/passwd',
      mode: '4755',
      isreg: true,
      isdir: false,
      islnk: false,
      size: 10,
      pw_name: 'root',
      checksum: 'abc',
      readable: true,
      writeable: false,
      executable: true,
      isuid: true,
      xoth: true,
    });
    const l = await plan('stat', { path: '/l' }, facts([info('/l', { stat: st({ type: 'link', mode: 0o777 }), linkTarget: 't', realPath: '/t' })]));
    expect(l.result.stat).toMatchObject({ islnk: true, isreg: false, lnk_source: '/t', lnk_target: 't', mode: '0777' });
    const followed = await plan(
      'stat',
      { path: '/l', follow: true },
      facts([info('/l', { stat: st({ type: 'link' }), target: st({ mode: 0o640 }), checksum: 'c' })]),
    );
    expect(followed.result.stat).toMatchObject({ islnk: false, isreg: true, mode: '0640', checksum: 'c' });
    const none = await plan('stat', { path: '/none' }, facts([info('/none')]));
    expect(none.result.stat).toEqual({ exists: false });
  });
  it('checksum_algorithm picks the tool; get_checksum: no skips it', async () => {
    const p = await plan('stat', { path: '/x', checksum_algorithm: 'sha256' }, facts([info('/x')]));
    expect(p.ctx.queries[0]).toMatchObject({ items: [{ checksum: 'sha256' }] });
    const q = await plan('stat', { path: '/x', get_checksum: false }, facts([info('/x')]));
    expect((q.ctx.queries[0] as FileQuery).items[0]!.checksum).toBeUndefined();
  });
});

describe('lineinfile / blockinfile plans', () => {
  it('diff headers and an attribute-only change message, like Ansible', async () => {
    const f = facts([info('/etc/hosts', { stat: st(), content: Buffer.from('127.0.0.1 localhost\n') })]);
    const p = await plan('lineinfile', { path: '/etc/hosts', line: '127.0.0.1 localhost', mode: '0600' }, f);
    expect(p.result.msg).toBe('ownership, perms or SE linux context changed');
    expect(commands(p)).toEqual([pinnedChmod('/etc/hosts', 0o600)]);
    const q = await plan('lineinfile', { path: '/etc/hosts', line: '10.0.0.1 gw', mode: '0600' }, f);
    expect(q.result.msg).toBe('line added and ownership, perms or SE linux context changed');
    expect(writeStep(q)!.spec).toMatchObject({ keepAttrs: true, mode: 0o600 });
    expect(q.diff.map((d) => d.beforeHeader)).toEqual(['/etc/hosts (content)', '/etc/hosts (file attributes)']);
  });
  it('edits follow links: the real file is written', async () => {
    const f = facts([info('/etc/resolv.conf', { stat: st({ type: 'link' }), realPath: '/run/resolv.conf', target: st(), content: Buffer.from('a\n') })]);
    const p = await plan('blockinfile', { path: '/etc/resolv.conf', block: 'b' }, f);
    expect(writeStep(p)!.spec.dest).toBe('/run/resolv.conf');
  });
  it('create: missing parent directories are made by the write', async () => {
    const p = await plan('lineinfile', { path: '/opt/x/y.conf', line: 'a', create: true }, facts([info('/opt/x/y.conf')]));
    expect(writeStep(p)!.spec).toMatchObject({ mkdirs: ['/opt', '/opt/x'], keepAttrs: false, mode: 0o644 });
    expect(p.result.msg).toBe('line added');
  });
  it('a directory is refused', async () => {
    expect(await planError('lineinfile', { path: '/etc', line: 'a' }, facts([info('/etc', { stat: st({ type: 'directory' }) })]))).toBe(
      'Path /etc is a directory !',
    );
  });
  it('argument rules and aliases', () => {
    const li = registry.get('lineinfile')!;
    expect(validateArgs(li, { dest: '/f', value: 'x', regex: '^x' })).toMatchObject({ path: '/f', line: 'x', regexp: '^x' });
    expect(() => validateArgs(li, { path: '/f', regexp: 'x', backrefs: true })).toThrow('line is required with state=present');
    expect(() => validateArgs(li, { path: '/f', line: 'x', backrefs: true })).toThrow('regexp is required with backrefs=true');
    expect(() => validateArgs(li, { path: '/f', state: 'absent' })).toThrow('one of line, search_string, or regexp is required');
    expect(() => validateArgs(li, { path: '/f', line: 'x', insertafter: 'a', insertbefore: 'b' })).toThrow('mutually exclusive');
    const bi = registry.get('blockinfile')!;
    expect(validateArgs(bi, { name: '/f', content: 'x' })).toMatchObject({ path: '/f', block: 'x', marker: '# {mark} ANSIBLE MANAGED BLOCK' });
  });
  it('fully qualified names are registered', () => {
    for (const m of ['copy', 'template', 'file', 'lineinfile', 'blockinfile', 'stat']) {
      expect(registry.get(`ansible.builtin.${m}`)?.name).toBe(m);
    }
  });
});
