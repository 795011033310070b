/** fetch through the local connection: dest/<host>/<src>, flat, checksum idempotence, missing sources. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';

describe('fetch', () => {
  it('copies to dest/<inventory_hostname>/<src> once, flat to a file or a dir/; check mode is skipped', async () => {
    const t = tempDir();
    try {
      const src = join(t.dir, 'remote', 'node.conf');
      mkdirSync(join(t.dir, 'remote'));
      mkdirSync(join(t.dir, 'ctl'));
      writeFileSync(src, 'NodeName=n1\n');
      const conn = localConnection();
      const o = { become: false, controllerDir: join(t.dir, 'ctl'), vars: { inventory_hostname: 'n1' } };
      const c = await runModule(conn, 'fetch', { src, dest: 'out' }, { ...o, check: true });
      expect(c.result).toMatchObject({ skipped: true });
      const r1 = await runModule(conn, 'ansible.builtin.fetch', { src, dest: 'out' }, o);
      const dest = join(t.dir, 'ctl', 'out', 'n1', src);
      expect(r1.result).toMatchObject({ changed: true, dest, remote_md5sum: null });
      expect(r1.result.checksum).toBe(r1.result.remote_checksum);
      expect(readFileSync(dest, 'utf8')).toBe('NodeName=n1\n');
      const r2 = await runModule(conn, 'fetch', { src, dest: 'out' }, o);
      expect(r2.result).toMatchObject({ changed: false, dest, file: src });
      const flat = await runModule(conn, 'fetch', { src, dest: 'keys/', flat: true }, o);
      expect(flat.result).toMatchObject({ changed: true, dest: join(t.dir, 'ctl', 'keys', 'node.conf') });
      const isDir = await runModule(conn, 'fetch', { src, dest: 'keys', flat: true }, o);
      expect(isDir.result).toMatchObject({
        failed: true,
        msg: 'dest is an existing directory, use a trailing slash if you want to fetch src into that directory',
      });
      const miss = await runModule(conn, 'fetch', { src: src + '.none', dest: 'out' }, o);
      expect(miss.result).toMatchObject({ failed: true, msg: 'the remote file does not exist, not transferring, ignored' });
      const soft = await runModule(conn, 'fetch', { src: src + '.none', dest: 'out', fail_on_missing: false }, o);
      expect(soft.result).toMatchObject({ changed: false, file: src + '.none' });
      expect(soft.result.failed).toBeFalsy();
      await conn.close();
    } finally {
      t.cleanup();
    }
  });
});
