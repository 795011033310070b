/** file on this machine (in a temp dir), through the local connection: cases ansible-core's file target checks. */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';

describe('file', () => {
  it("a link's mode with follow=yes and no state or src: the link's target changes (ensure_symlink takes the link's own target)", async () => {
    const t = tempDir();
    const conn = localConnection();
    try {
      const f = join(t.dir, 'test_follow');
      const l = join(t.dir, 'test_follow_link');
      writeFileSync(f, 'x\n');
      chmodSync(f, 0o666);
      symlinkSync('./test_follow', l);
      const o = { become: false };
      const chk = await runModule(conn, 'file', { path: l, mode: '0644', follow: true }, { ...o, check: true });
      expect(chk.result.changed).toBe(true);
      expect(statSync(f).mode & 0o777).toBe(0o666);
      const first = await runModule(conn, 'file', { path: l, mode: '0644', follow: true }, o);
      expect(first.result).toMatchObject({ changed: true });
      expect(statSync(f).mode & 0o777).toBe(0o644);
      expect(lstatSync(l).isSymbolicLink()).toBe(true);
      expect(readlinkSync(l)).toBe('./test_follow');
      const again = await runModule(conn, 'file', { path: l, mode: '0644', follow: true }, o);
      expect(again.result.changed).toBe(false);
      // add_path_info's keys on a file result
      const plain = await runModule(conn, 'file', { path: f, state: 'file' }, o);
      expect(plain.result).toMatchObject({ uid: statSync(f).uid, gid: statSync(f).gid, size: 2, mode: '0644', state: 'file' });
      // unchanged, file.py still returns its diff (the path alone); the engine registers its dicts
      expect((again.result.diff as { data?: unknown }[])[0]!.data).toEqual({ before: { path: l }, after: { path: l } });
    } finally {
      await conn.close();
      t.cleanup();
    }
  });

  it('_diff_peek reports appears_binary (a NUL byte in the first 8192 bytes) and changes nothing', async () => {
    const t = tempDir();
    const conn = localConnection();
    try {
      writeFileSync(join(t.dir, 'bin'), Buffer.from([0x41, 0, 0x42]));
      writeFileSync(join(t.dir, 'txt'), 'text\n');
      const b = await runModule(conn, 'file', { path: join(t.dir, 'bin'), _diff_peek: true }, { become: false });
      expect(b.result).toMatchObject({ changed: false, appears_binary: true });
      expect(b.result.warnings).toBeUndefined();
      const x = await runModule(conn, 'file', { path: join(t.dir, 'txt'), _diff_peek: true }, { become: false });
      expect(x.result.appears_binary).toBe(false);
    } finally {
      await conn.close();
      t.cleanup();
    }
  });

  it("a missing path without state: file.py's failure with path and state 'absent' in the result", async () => {
    const t = tempDir();
    const conn = localConnection();
    try {
      const p = join(t.dir, 'ghost');
      const r = await runModule(conn, 'file', { path: p }, { become: false });
      expect(r.result).toMatchObject({ failed: true, changed: false, path: p, state: 'absent', msg: `file (${p}) is absent, cannot continue` });
      // state=hard with a src that does not exist: file.py's failure names dest and src
      const h = await runModule(conn, 'file', { path: join(t.dir, 'hard.txt'), src: 'no-such-src.txt', state: 'hard' }, { become: false });
      expect(h.result).toMatchObject({ failed: true, msg: 'src does not exist', dest: join(t.dir, 'hard.txt'), src: 'no-such-src.txt' });
    } finally {
      await conn.close();
      t.cleanup();
    }
  });

  it('touch creating a file whose owner cannot be set: the task fails and the new file is removed (as file.py)', async () => {
    const t = tempDir();
    const conn = localConnection();
    try {
      const p = join(t.dir, 'baz.txt');
      // a group that does not exist: chgrp fails after the file was created
      const r = await runModule(conn, 'file', { path: p, state: 'touch', group: 'no-such-group-tsplay' }, { become: false });
      expect(r.result.failed).toBe(true);
      expect(existsSync(p)).toBe(false);
    } finally {
      await conn.close();
      t.cleanup();
    }
  });
});
