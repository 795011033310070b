/** tempfile on this machine (in a temp dir), through the local connection. */
import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';

describe('tempfile', () => {
  it('creates a 0600 file and a 0700 directory named prefix + 8 chars + suffix; check mode creates nothing', async () => {
    const t = tempDir();
    try {
      const conn = localConnection();
      const f = await runModule(conn, 'ansible.builtin.tempfile', { path: t.dir, suffix: '.conf' }, { become: false });
      expect(f.result.changed).toBe(true);
      const p = String(f.result.path);
      expect(basename(p)).toMatch(/^ansible\.[a-z0-9_]{8}\.conf$/);
      expect(statSync(p).mode & 0o7777).toBe(0o600);
      expect(statSync(p).isFile()).toBe(true);
      // Ansible's add_path_info keys, read in the same command
      const st = statSync(p);
      expect(f.result).toMatchObject({ state: 'file', mode: '0600', uid: st.uid, gid: st.gid, size: 0 });
      expect(typeof f.result.owner).toBe('string');
      expect(f.commands.length).toBe(1);
      const d = await runModule(conn, 'tempfile', { path: t.dir, state: 'directory', prefix: 'build-' }, { become: false });
      expect(basename(String(d.result.path))).toMatch(/^build-[a-z0-9_]{8}$/);
      expect(statSync(String(d.result.path)).mode & 0o7777).toBe(0o700);
      expect(d.result).toMatchObject({ state: 'directory', mode: '0700' });
      const c = await runModule(conn, 'tempfile', { path: t.dir }, { become: false, check: true });
      expect(c.result.changed).toBe(true);
      expect(c.commands.length).toBe(0);
      const bad = await runModule(conn, 'tempfile', { path: t.dir + '/none' }, { become: false });
      expect(bad.result).toMatchObject({ failed: true, msg: `[Errno 2] No such file or directory: '${t.dir}/none'` });
      await conn.close();
    } finally {
      t.cleanup();
    }
  });
});
