/** lineinfile on this machine (in a temp dir), through the local connection. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';

describe('lineinfile', () => {
  it.each([
    [
      'regexp',
      "The regular expression is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending. If this is desired, use '^' to match every line in the file and avoid this warning.",
    ],
    [
      'search_string',
      'The search string is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.',
    ],
  ])("an empty %s replaces the last line, with lineinfile.py's warning in the result", async (key, warning) => {
    const t = tempDir();
    try {
      const conn = localConnection();
      const p = join(t.dir, 'f.txt');
      writeFileSync(p, 'a\nb\n');
      const r = await runModule(conn, 'lineinfile', { path: p, [key]: '', line: 'c' }, { become: false });
      expect(r.result.changed).toBe(true);
      expect(r.warnings).toContain(warning);
      expect(readFileSync(p, 'utf8')).toBe('a\nc\n');
      await conn.close();
    } finally {
      t.cleanup();
    }
  });
});
