/** replace: the editing as Ansible's replace.py, and the module on this machine through the local connection. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';
import { replaceContent } from './replace-edit.js';

const ed = (s: string, a: Parameters<typeof replaceContent>[1]) => {
  const r = replaceContent(Buffer.from(s), a);
  return { text: r.content.toString(), changed: r.changed, msg: r.msg };
};

describe('replace editing', () => {
  it('is MULTILINE re.subn with backreferences', () => {
    expect(ed('a=1\nb=2\n', { regexp: '^(\\w)=(\\d)$', replace: '\\2=\\g<1>' })).toEqual({ text: '1=a\n2=b\n', changed: true, msg: '2 replacements made' });
    expect(ed('a=1\n', { regexp: '^x', replace: 'y' })).toEqual({ text: 'a=1\n', changed: false, msg: '' });
    // a match replaced by itself is no change
    expect(ed('a=1\n', { regexp: 'a', replace: 'a' }).changed).toBe(false);
    expect(ed('abc', { regexp: 'x*', replace: '-' }).text).toBe('-a-b-c-');
    expect(ed('a b\n', { regexp: '\\s', replace: '' }).text).toBe('ab');
  });
  it('edits only between after and before (first match, DOTALL)', () => {
    const s = '[a]\nw=1\n[b]\nw=1\n[c]\nw=1\n';
    expect(ed(s, { regexp: 'w=1', replace: 'w=2', after: '\\[b\\]', before: '\\[c\\]' }).text).toBe('[a]\nw=1\n[b]\nw=2\n[c]\nw=1\n');
    expect(ed(s, { regexp: 'w=1', replace: 'w=2', after: '\\[b\\]' }).text).toBe('[a]\nw=1\n[b]\nw=2\n[c]\nw=2\n');
    expect(ed(s, { regexp: 'w=1', replace: 'w=2', before: '\\[b\\]' }).text).toBe('[a]\nw=2\n[b]\nw=1\n[c]\nw=1\n');
    expect(ed(s, { regexp: 'w', replace: 'v', after: 'nope' })).toMatchObject({
      changed: false,
      msg: 'Pattern for before/after params did not match the given file: nope(?P<subsection>.*)',
    });
  });
});

describe('replace module', () => {
  it('changes, then is ok; check mode writes nothing; missing file fails with Ansible message', async () => {
    const t = tempDir();
    try {
      const p = join(t.dir, 'hosts');
      writeFileSync(p, 'old.example 1\nold.example 2\n');
      const conn = localConnection();
      const c = await runModule(conn, 'replace', { path: p, regexp: 'old', replace: 'new' }, { become: false, check: true });
      expect(c.result).toMatchObject({ changed: true, msg: '2 replacements made' });
      expect(readFileSync(p, 'utf8')).toBe('old.example 1\nold.example 2\n');
      const r1 = await runModule(conn, 'ansible.builtin.replace', { path: p, regexp: 'old', replace: 'new', backup: true }, { become: false });
      expect(r1.result).toMatchObject({ changed: true, msg: '2 replacements made' });
      expect(String(r1.result.backup_file)).toContain(p + '.');
      expect(readFileSync(p, 'utf8')).toBe('new.example 1\nnew.example 2\n');
      const r2 = await runModule(conn, 'replace', { path: p, regexp: 'old', replace: 'new' }, { become: false });
      expect(r2.result).toMatchObject({ changed: false });
      const miss = await runModule(conn, 'replace', { path: join(t.dir, 'none'), regexp: 'x' }, { become: false });
      expect(miss.result).toMatchObject({ failed: true, msg: `Path ${join(t.dir, 'none')} does not exist !` });
      await conn.close();
    } finally {
      t.cleanup();
    }
  });
});
