/** slurp: the file base64-encoded, read for real on this machine through the local connection. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';

describe('slurp', () => {
  it("returns the bytes base64-encoded (no line breaks), and fails with Ansible's message for a missing file", async () => {
    const t = tempDir();
    try {
      const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
      writeFileSync(join(t.dir, 'key'), bytes);
      const conn = localConnection();
      const r = await runModule(conn, 'ansible.builtin.slurp', { src: join(t.dir, 'key') }, { become: false });
      expect(r.result).toMatchObject({ changed: false, encoding: 'base64', source: join(t.dir, 'key') });
      expect(Buffer.from(String(r.result.content), 'base64').equals(bytes)).toBe(true);
      const missing = await runModule(conn, 'slurp', { path: join(t.dir, 'none') }, { become: false });
      expect(missing.result).toMatchObject({ failed: true, msg: `file not found: ${join(t.dir, 'none')}` });
      const dir = await runModule(conn, 'slurp', { src: t.dir }, { become: false });
      expect(dir.result).toMatchObject({ failed: true, changed: false, msg: `source is a directory and must be a file: ${t.dir}` });
      const notDir = await runModule(conn, 'slurp', { src: join(t.dir, 'key', 'x') }, { become: false });
      expect(notDir.result).toMatchObject({ failed: true, msg: `unable to slurp file: [Errno 20] Not a directory: '${join(t.dir, 'key', 'x')}'` });
      await conn.close();
    } finally {
      t.cleanup();
    }
  });
});
