/**
 * The file-state fact, run for real (local persistent shell, temp directory) and compared with what Node
 * sees of the same files: one command answers for several paths, binary content comes back intact.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync, chmodSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIFF_MAX_SIZE, fileStateCommand, parseFileState, parseId, type FileQuery } from './index.js';
import type { LocalConnection } from '../../src/connection/local.js';
import { localConnection, tempDir } from '../../test/harness/files.js';
import { shq } from '../shell/quote.js';

let conn: LocalConnection;
let tmp: { dir: string; cleanup(): void };
const runs: string[] = [];

async function read(q: FileQuery) {
  const cmd = fileStateCommand(q);
  runs.push(cmd);
  return parseFileState(await conn.run(cmd), q);
}

const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

beforeAll(() => {
  conn = localConnection();
  tmp = tempDir('tsplay-state-');
  const d = tmp.dir;
  writeFileSync(join(d, 'bin'), binary);
  chmodSync(join(d, 'bin'), 0o4750);
  utimesSync(join(d, 'bin'), 1_600_000_000.5, 1_500_000_000.25);
  writeFileSync(join(d, 'big'), Buffer.alloc(DIFF_MAX_SIZE + 10, 'x'));
  writeFileSync(join(d, "it's a file"), 'quoted\n');
  symlinkSync('bin', join(d, 'link'));
  symlinkSync('nowhere', join(d, 'dangling'));
  mkdirSync(join(d, 'dir/sub'), { recursive: true });
  writeFileSync(join(d, 'dir/sub/f'), 'f');
  mkdirSync(join(d, 'empty'));
});
afterAll(async () => {
  await conn.close();
  tmp.cleanup();
});

describe('file-state fact', () => {
  it('stat fields, checksum and binary content match the file', async () => {
    const p = join(tmp.dir, 'bin');
    const f = await read({ items: [{ path: p, checksum: 'sha256', content: 'all' }] });
    const info = f.files[0]!;
    const st = lstatSync(p, { bigint: true });
    expect(info.exists).toBe(true);
    expect(info.stat).toMatchObject({ type: 'file', mode: 0o4750, uid: Number(st.uid), gid: Number(st.gid), size: 512, inode: Number(st.ino), nlink: 1 });
    expect(info.stat!.mtime).toBe(1_500_000_000.25);
    expect(info.stat!.atime).toBe(1_600_000_000.5);
    expect(info.checksum).toBe(createHash('sha256').update(binary).digest('hex'));
    expect(Buffer.compare(info.content!, binary)).toBe(0);
  });

  it('any number of contents in one command: one cat for the regular files, framed reads for the rest', async () => {
    const d = tmp.dir;
    writeFileSync(join(d, 'noeol'), 'no newline at the end');
    writeFileSync(join(d, 'zero'), '');
    const q: FileQuery = {
      items: [
        { path: join(d, 'bin'), content: 'all' },
        { path: join(d, 'noeol'), content: 'all', checksum: 'sha1' },
        { path: join(d, 'link'), content: 'all' },
        { path: join(d, 'big'), content: 'peek' },
        { path: join(d, 'zero'), content: 'all' },
        { path: join(d, 'nope'), content: 'all' },
        { path: join(d, 'noeol'), content: 'all', checksum: 'sha1' },
      ],
    };
    const f = await read(q);
    expect(runs.at(-1)!.match(/cat -- "\$@"/g)).toHaveLength(1);
    expect(Buffer.compare(f.files[0]!.content!, binary)).toBe(0);
    expect(f.files[1]!.content!.toString()).toBe('no newline at the end');
    expect(Buffer.compare(f.files[2]!.content!, binary)).toBe(0); // through the link, read on its own
    expect(f.files[3]!.content!.length).toBe(DIFF_MAX_SIZE);
    expect(f.files[3]!.contentTruncated).toBe(true);
    expect(f.files[4]!.content!.length).toBe(0);
    expect(f.files[5]!.content).toBeUndefined();
    // the same question twice is asked once; the copy is a Buffer too
    expect(Buffer.isBuffer(f.files[6]!.content)).toBe(true);
    expect(f.files[6]!.content!.toString()).toBe('no newline at the end');
  });

  it('contents whose sizes do not add up (a file changed between stat and cat) are refused, not misread', () => {
    const q: FileQuery = {
      items: [
        { path: '/x/a', content: 'all' },
        { path: '/x/b', content: 'all' },
      ],
    };
    const line = (size: number) => ['81a4', 0, 0, 1, size, 1, 1, 0, '-', 0, '-', 0, '-', 'root', 'root'].join('\t');
    const out = (body: string) => Buffer.from(`U\t0022\nB\t2\n${line(2)}\n${line(2)}\nG\ttok\t2\n${body}\ntok\n@\nL\t#1\nC\t#1\n@\nL\t#2\nC\t#2\n`);
    const r = (body: string) => ({ rc: 0, stdout: out(body).toString(), stderr: '', stdoutBuf: out(body) });
    expect(parseFileState(r('a\nb\n'), q).files.map((x) => x.content!.toString())).toEqual(['a\n', 'b\n']);
    expect(() => parseFileState(r('a\nbb\n'), q)).toThrow(/changed while it was read/);
  });

  it('a link walk (linkHops) answers the link target and the canonical path as readlink does, without it', async () => {
    const d = join(tmp.dir, 'walk');
    mkdirSync(join(d, 'real/sub'), { recursive: true });
    writeFileSync(join(d, 'real/sub/f'), 'x');
    symlinkSync('real', join(d, 'rel'));
    symlinkSync(join(d, 'real/sub'), join(d, 'abs'));
    symlinkSync('rel/sub/../sub/f', join(d, 'chain'));
    symlinkSync('abs/f', join(d, 'viaabs'));
    symlinkSync('missing/x', join(d, 'dangling'));
    symlinkSync('loop2', join(d, 'loop1'));
    symlinkSync('loop1', join(d, 'loop2'));
    const names = ['chain', 'viaabs', 'dangling', 'rel', 'abs', 'loop1'];
    const walked = await read({ items: names.map((n) => ({ path: join(d, n), linkHops: true, follow: true })) });
    const plain = await read({ items: names.map((n) => ({ path: join(d, n), follow: true })) });
    for (const [i, n] of names.entries()) {
      expect([n, walked.files[i]!.linkTarget, walked.files[i]!.realPath]).toEqual([n, plain.files[i]!.linkTarget, plain.files[i]!.realPath]);
    }
    expect(walked.files[0]!.realPath).toBe(join(d, 'real/sub/f'));
    expect(walked.files[0]!.hops!.length).toBe(2);
  });

  it("the running user from the shell's own /proc entry is the one id names (root, and nobody)", async () => {
    const q: FileQuery = { items: [{ path: join(tmp.dir, 'nope') }] };
    const cmd = fileStateCommand(q);
    const asRoot = parseFileState(await conn.run(cmd), q);
    expect(asRoot.user).toEqual(parseId((await conn.run('LC_ALL=C id')).stdout));
    const nobody = (c: string) => `setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c ${shq(c)}`;
    const r = await conn.run(nobody(cmd));
    expect(r.stdout).toContain('I\t#1');
    expect(parseFileState(r, q).user).toEqual(parseId((await conn.run(nobody('LC_ALL=C id'))).stdout));
  });

  it('peek stops after DIFF_MAX_SIZE bytes and says so', async () => {
    const f = await read({ items: [{ path: join(tmp.dir, 'big'), content: 'peek' }] });
    expect(f.files[0]!.contentTruncated).toBe(true);
    expect(f.files[0]!.content!.length).toBe(DIFF_MAX_SIZE);
  });

  it('links: target text, canonical path, followed stat; dangling links have target null', async () => {
    const f = await read({
      items: [
        { path: join(tmp.dir, 'link'), follow: true },
        { path: join(tmp.dir, 'dangling'), follow: true },
      ],
    });
    const [l, d] = f.files;
    expect(l!.stat!.type).toBe('link');
    expect(l!.linkTarget).toBe('bin');
    expect(l!.realPath).toBe(join(tmp.dir, 'bin'));
    expect(l!.target).toMatchObject({ type: 'file', mode: 0o4750, size: 512 });
    expect(d!.stat!.type).toBe('link');
    expect(d!.target).toBeNull();
  });

  it('missing paths: exists false, whether the parent is a directory', async () => {
    const f = await read({ items: [{ path: join(tmp.dir, 'nope') }, { path: join(tmp.dir, 'nodir/nope') }] });
    expect(f.files.map((x) => [x.exists, !!x.parentIsDir])).toEqual([
      [false, true],
      [false, false],
    ]);
  });

  it('inDir: an existing directory means dir/name', async () => {
    const f = await read({
      items: [
        { path: join(tmp.dir, 'dir'), inDir: 'new.txt' },
        { path: join(tmp.dir, 'bin'), inDir: 'x' },
      ],
    });
    expect(f.files[0]).toMatchObject({ path: join(tmp.dir, 'dir/new.txt'), joined: true, exists: false, parentIsDir: true });
    expect(f.files[1]).toMatchObject({ path: join(tmp.dir, 'bin'), joined: false, exists: true });
  });

  it('trees and empty directories', async () => {
    const f = await read({
      items: [
        { path: join(tmp.dir, 'dir'), tree: true, emptyDir: true },
        { path: join(tmp.dir, 'empty'), emptyDir: true },
      ],
    });
    expect(f.files[0]!.emptyDir).toBe(false);
    expect(f.files[0]!.tree!.map((e) => [e.path.slice(tmp.dir.length), e.type]).sort()).toEqual([
      ['/dir/sub', 'directory'],
      ['/dir/sub/f', 'file'],
    ]);
    expect(f.files[1]!.emptyDir).toBe(true);
  });

  it('quotes in paths; umask; local times turned into epochs on the host', async () => {
    const f = await read({ items: [{ path: join(tmp.dir, "it's a file"), checksum: 'sha1' }], epochs: ['2024-01-02 03:04:05', 'garbage'] });
    expect(f.files[0]!.checksum).toBe(createHash('sha1').update('quoted\n').digest('hex'));
    expect(f.umask).toBe(process.umask());
    expect(f.user).toBeUndefined(); // only read when a path needs it
    expect(f.epochs[0]).toBe(new Date(2024, 0, 2, 3, 4, 5).getTime() / 1000);
    expect(f.epochs[1]).toBeNaN();
  });

  it('the running user is read (once) when a path is missing or a link', async () => {
    const f = await read({ items: [{ path: join(tmp.dir, 'nope') }, { path: join(tmp.dir, 'link') }] });
    expect(f.user).toEqual({ uid: process.getuid!(), gid: process.getgid!(), name: 'root', group: 'root' });
    expect(runs.at(-1)).toContain('_tsid');
  });

  it('parses id output, with or without names', () => {
    expect(parseId('uid=1000(ops) gid=1001(staff) groups=1001(staff),27(sudo)')).toEqual({ uid: 1000, gid: 1001, name: 'ops', group: 'staff' });
    expect(parseId('uid=4242 gid=4243 groups=4243')).toEqual({ uid: 4242, gid: 4243, name: '4242', group: '4243' });
  });

  it('many paths of the same kind share one shell function (one short command)', () => {
    const q: FileQuery = { items: Array.from({ length: 50 }, (_, i) => ({ path: `/x/f${i}`, checksum: 'sha1' as const })) };
    const cmd = fileStateCommand(q);
    expect(cmd.match(/_tsf\d+\(\) \{/g)).toHaveLength(1);
    expect(cmd.length).toBeLessThan(4000);
  });

  it('directory stat matches node', async () => {
    const p = join(tmp.dir, 'dir');
    const f = await read({ items: [{ path: p }] });
    expect(f.files[0]!.stat).toMatchObject({ type: 'directory', mode: statSync(p).mode & 0o7777 });
  });
});
