/** find on this machine (a temp tree) through the local connection: os.walk's order, filters and stat keys. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';
import { parseAge, parseSize } from './find.js';

describe('find', () => {
  it('parses age and size like Ansible', () => {
    expect(parseAge('2d')).toBe(172800);
    expect(parseAge('-1H')).toBe(-3600);
    expect(parseAge('10')).toBe(10);
    expect(parseAge('1y')).toBeUndefined();
    expect(parseSize('10k')).toBe(10240);
    expect(parseSize('-1m')).toBe(-1048576);
  });

  it('selects by pattern, regexp, type, hidden, recurse, depth, contains, age and size', async () => {
    const t = tempDir();
    try {
      const d = t.dir;
      mkdirSync(join(d, 'sub/deep'), { recursive: true });
      writeFileSync(join(d, 'a.conf'), 'Name=a\n');
      writeFileSync(join(d, 'b.txt'), 'x'.repeat(2048));
      writeFileSync(join(d, '.hidden.conf'), '');
      writeFileSync(join(d, 'sub/c.conf'), 'other\nName=c\n');
      writeFileSync(join(d, 'sub/deep/d.conf'), '');
      symlinkSync('a.conf', join(d, 'link.conf'));
      const old = Date.now() / 1000 - 10 * 86400;
      utimesSync(join(d, 'b.txt'), old, old);
      const conn = localConnection();
      const run = async (args: Record<string, unknown>) => (await runModule(conn, 'ansible.builtin.find', { paths: d, ...args }, { become: false })).result;
      const names = (r: Record<string, unknown>) => (r.files as { path: string }[]).map((f) => f.path.slice(d.length + 1)).sort();

      const all = await run({});
      expect(names(all)).toEqual(['a.conf', 'b.txt']);
      expect(all).toMatchObject({ changed: false, matched: 2, examined: 5, msg: 'All paths examined' });
      const a = (all.files as Record<string, unknown>[]).find((f) => String(f.path).endsWith('a.conf'))!;
      expect(a).toMatchObject({ mode: expect.stringMatching(/^0[0-7]{3}$/), isreg: true, isdir: false, islnk: false, size: 7, rusr: true });
      expect(typeof a.mtime).toBe('number');
      expect(Object.keys(a).sort()).toEqual(
        [
          'path',
          'mode',
          'isdir',
          'ischr',
          'isblk',
          'isreg',
          'isfifo',
          'islnk',
          'issock',
          'uid',
          'gid',
          'size',
          'inode',
          'dev',
          'nlink',
          'atime',
          'mtime',
          'ctime',
          'gr_name',
          'pw_name',
          'wusr',
          'rusr',
          'xusr',
          'wgrp',
          'rgrp',
          'xgrp',
          'woth',
          'roth',
          'xoth',
          'isuid',
          'isgid',
        ].sort(),
      );
      expect(names(await run({ patterns: '*.conf', recurse: true }))).toEqual(['a.conf', 'sub/c.conf', 'sub/deep/d.conf']);
      expect(names(await run({ patterns: ['*.conf'], recurse: true, depth: 2, hidden: true }))).toEqual(['.hidden.conf', 'a.conf', 'sub/c.conf']);
      expect(names(await run({ patterns: '^[ab]\\.', use_regex: true }))).toEqual(['a.conf', 'b.txt']);
      expect(names(await run({ patterns: '*', excludes: '*.txt' }))).toEqual(['a.conf']);
      expect(names(await run({ file_type: 'directory', recurse: true }))).toEqual(['sub', 'sub/deep']);
      expect(names(await run({ file_type: 'link' }))).toEqual(['link.conf']);
      expect(names(await run({ contains: 'Name=', recurse: true }))).toEqual(['a.conf', 'sub/c.conf']);
      expect(names(await run({ age: '1w' }))).toEqual(['b.txt']);
      expect(names(await run({ size: '1k' }))).toEqual(['b.txt']);
      const sum = await run({ patterns: 'a.conf', get_checksum: true });
      expect((sum.files as Record<string, unknown>[])[0]!.checksum).toBe('431da3f2fc25e6e741c56d3953faca7fd0bb023d');
      const missing = await run({ paths: [join(d, 'none')] });
      expect(missing).toMatchObject({ matched: 0, msg: 'Not all paths examined, check warnings for details' });
      expect((missing.skipped_paths as Record<string, string>)[join(d, 'none')]).toBe(`'${join(d, 'none')}' is not a directory`);
      const bad = await runModule(conn, 'find', { paths: d, age: '1y' }, { become: false });
      expect(bad.result).toMatchObject({ failed: true, msg: 'failed to process age' });
      await conn.close();
    } finally {
      t.cleanup();
    }
  });
});
