/**
 * The file modules end to end on this machine (local persistent shell, temp directory only): first run
 * changed, second run ok, check mode changes nothing, and the round trips each run costs.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { converge as convergeOn, runModule, type RunModuleOpts } from '../../test/harness/modules.js';
import { localConnection, tempDir } from '../../test/harness/files.js';

const fixtures = resolve(import.meta.dirname, '../../test/fixtures');
let local: Connection;
let tmp: { dir: string; cleanup(): void };
let dir: string;
let n = 0;

const run = (module: string, args: Record<string, unknown>, opts: RunModuleOpts = {}) =>
  runModule(local, module, args, { vars: { playbook_dir: fixtures }, ...opts });

/** check mode (with diffs) changes nothing, first run changed, second run ok in one command */
const converge = (module: string, args: Record<string, unknown>, snapshot: () => unknown, opts: RunModuleOpts = {}) =>
  convergeOn(local, module, args, { vars: { playbook_dir: fixtures }, diff: true, ...opts, unchanged: snapshot, noopCommands: 1 });

const tree = (p: string): string[] =>
  existsSync(p)
    ? readdirSync(p, { recursive: true, encoding: 'utf8' })
        .sort()
        .map((f) => {
          const s = lstatSync(join(p, f));
          return `${f} ${(s.mode & 0o7777).toString(8)} ${s.isFile() ? readFileSync(join(p, f), 'utf8') : s.isSymbolicLink() ? readlinkSync(join(p, f)) : ''}`;
        })
    : [];

beforeAll(() => {
  local = localConnection();
  tmp = tempDir('tsplay-local-');
});
beforeEach(() => {
  dir = join(tmp.dir, `t${n++}`);
  mkdirSync(dir);
});
afterAll(async () => {
  await local.close();
  tmp.cleanup();
});

describe('copy / template', () => {
  it('content: changed, then ok; check mode writes nothing; apply is one more command', async () => {
    const { first } = await converge('copy', { content: 'a=1\n', dest: join(dir, 'f'), mode: '0640' }, () => tree(dir));
    expect(first.commands).toHaveLength(2);
    expect(first.result.diff).toEqual([{ before: '', after: 'a=1\n', beforeHeader: join(dir, 'f'), afterHeader: 'dynamically generated' }]);
    expect(tree(dir)).toEqual(['f 640 a=1\n']);
  });

  it('a controller directory tree, "dir" vs "dir/"', async () => {
    await converge('copy', { src: 'files/tree', dest: join(dir, 'a') + '/', directory_mode: '0750' }, () => tree(dir));
    expect(tree(join(dir, 'a'))).toEqual(['tree 750 ', 'tree/a.txt 644 a\n', 'tree/sub 750 ', 'tree/sub/b.txt 644 b\n']);
    await converge('copy', { src: 'files/tree/', dest: join(dir, 'b') }, () => tree(join(dir, 'b')));
    expect(tree(join(dir, 'b'))).toEqual(['a.txt 644 a\n', 'sub 755 ', 'sub/b.txt 644 b\n']);
  });

  it('remote_src copies a file on the host, keeps dest attributes', async () => {
    writeFileSync(join(dir, 'src'), 'remote\n');
    writeFileSync(join(dir, 'dst'), 'old\n');
    chmodSync(join(dir, 'dst'), 0o600);
    await converge('copy', { src: join(dir, 'src'), dest: join(dir, 'dst'), remote_src: true }, () => readFileSync(join(dir, 'dst'), 'utf8'));
    expect(readFileSync(join(dir, 'dst'), 'utf8')).toBe('remote\n');
    expect(statSync(join(dir, 'dst')).mode & 0o7777).toBe(0o600);
  });

  it('template renders with the task variables; dest directory → dest/basename(src)', async () => {
    const { first } = await converge('template', { src: 'files/hello.conf.ejs', dest: dir, mode: 'preserve' }, () => tree(dir), {
      vars: { playbook_dir: fixtures, port: 8080 },
    });
    expect(readFileSync(join(dir, 'hello.conf.ejs'), 'utf8')).toBe('hello local\nport=8080\n');
    expect(first.result.mode).toBe('0' + (statSync(join(fixtures, 'files/hello.conf.ejs')).mode & 0o777).toString(8));
  });

  it('validate failure: old file untouched, no temp file, task failed', async () => {
    const f = join(dir, 'sudoers');
    writeFileSync(f, 'good\n');
    const r = await run('copy', { content: 'bad\n', dest: f, validate: 'grep -q good %s' });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe('failed to validate: rc:1 error:');
    expect(tree(dir)).toEqual(['sudoers 644 good\n']);
  });

  it('backup returns backup_file', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'v1\n');
    const r = await run('copy', { content: 'v2\n', dest: f, backup: true });
    expect(readFileSync(String(r.result.backup_file), 'utf8')).toBe('v1\n');
  });
});

describe('lineinfile / blockinfile', () => {
  it('lineinfile converges and keeps the mode of the file it rewrites', async () => {
    const f = join(dir, 'conf');
    writeFileSync(f, 'a=1\n');
    chmodSync(f, 0o604);
    const { first } = await converge('lineinfile', { path: f, regexp: '^a=', line: 'a=2' }, () => tree(dir));
    expect(first.result.diff![0]).toMatchObject({ before: 'a=1\n', after: 'a=2\n' });
    expect(tree(dir)).toEqual(['conf 604 a=2\n']);
  });
  it('blockinfile creates a file and its directories', async () => {
    await converge('blockinfile', { path: join(dir, 'x/y/conf'), block: 'k=v', create: true }, () => tree(dir));
    expect(readFileSync(join(dir, 'x/y/conf'), 'utf8')).toBe('# BEGIN ANSIBLE MANAGED BLOCK\nk=v\n# END ANSIBLE MANAGED BLOCK\n');
  });
});

describe('file', () => {
  it('directory with mode, then recurse sets everything below', async () => {
    await converge('file', { path: join(dir, 'a/b'), state: 'directory', mode: '0750' }, () => tree(dir));
    writeFileSync(join(dir, 'a/b/f'), 'f');
    chmodSync(join(dir, 'a/b/f'), 0o777);
    await converge('file', { path: join(dir, 'a'), state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' }, () => tree(dir));
    expect(tree(dir)).toEqual(['a 750 ', 'a/b 750 ', 'a/b/f 750 f']);
  });

  it('link and hard link; a link over a file needs force', async () => {
    writeFileSync(join(dir, 'target'), 't');
    await converge('file', { path: join(dir, 'l'), src: 'target', state: 'link' }, () => tree(dir));
    expect(readlinkSync(join(dir, 'l'))).toBe('target');
    await converge('file', { path: join(dir, 'l'), src: join(dir, 'target'), state: 'link' }, () => tree(dir));
    await converge('file', { path: join(dir, 'h'), src: join(dir, 'target'), state: 'hard' }, () => tree(dir));
    expect(statSync(join(dir, 'h')).ino).toBe(statSync(join(dir, 'target')).ino);
    writeFileSync(join(dir, 'plain'), 'p');
    const r = await run('file', { path: join(dir, 'plain'), src: 'target', state: 'link' });
    expect(r.result.msg).toBe(`refusing to convert from file to symlink for ${join(dir, 'plain')}`);
    await converge('file', { path: join(dir, 'plain'), src: 'target', state: 'link', force: true }, () => tree(dir));
  });

  it('touch with preserved times is idempotent; explicit times are set', async () => {
    await converge('file', { path: join(dir, 't'), state: 'touch', modification_time: 'preserve', access_time: 'preserve' }, () => tree(dir));
    utimesSync(join(dir, 't'), 1_600_000_000.5, 1_600_000_000.5);
    await converge('file', { path: join(dir, 't'), state: 'file', modification_time: '202001021304.05' }, () => statSync(join(dir, 't')).mtimeMs);
    expect(statSync(join(dir, 't')).mtimeMs).toBe(new Date(2020, 0, 2, 13, 4, 5).getTime());
    const again = await run('file', { path: join(dir, 't'), state: 'touch' });
    expect(again.result.changed).toBe(true); // 'now' always changes, like Ansible
  });

  it('absent removes files and trees', async () => {
    mkdirSync(join(dir, 'd/e'), { recursive: true });
    writeFileSync(join(dir, 'd/e/f'), 'f');
    symlinkSync('nowhere', join(dir, 'dangling'));
    const { first } = await converge('file', { path: join(dir, 'd'), state: 'absent' }, () => tree(dir));
    expect(JSON.parse(String(first.result.diff![0]!.before))).toMatchObject({
      state: 'directory',
      path_content: { directories: [join(dir, 'd/e')], files: [join(dir, 'd/e/f')] },
    });
    await converge('file', { path: join(dir, 'dangling'), state: 'absent' }, () => tree(dir));
    expect(tree(dir)).toEqual([]);
  });
});

describe('stat', () => {
  it('one command, never changed, Ansible shape', async () => {
    writeFileSync(join(dir, 'f'), 'hello');
    symlinkSync('f', join(dir, 'l'));
    const r = await run('stat', { path: join(dir, 'l'), follow: true, checksum_algorithm: 'sha256' });
    expect(r.result.changed).toBe(false);
    expect(r.commands).toHaveLength(1);
    expect(r.result.stat).toMatchObject({
      exists: true,
      isreg: true,
      size: 5,
      mode: '0644',
      checksum: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    });
    const l = await run('stat', { path: join(dir, 'l') });
    expect(l.result.stat).toMatchObject({ islnk: true, lnk_target: 'f', lnk_source: join(dir, 'f') });
  });
});
