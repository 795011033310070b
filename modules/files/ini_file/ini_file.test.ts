/** ini_file: the editing as community.general's do_ini, and the module through the local connection. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';
import { iniEdit, type IniArgs } from './ini-edit.js';

const base: IniArgs = { values: [], state: 'present', exclusive: true, no_extra_spaces: false, allow_no_value: false };
const ed = (s: string | null, a: Partial<IniArgs>) => {
  const r = iniEdit(s === null ? null : Buffer.from(s), { ...base, ...a });
  return { text: r.content.toString(), changed: r.changed, msg: r.msg };
};

describe('ini_file editing', () => {
  it('adds, changes and removes options as community.general does', () => {
    expect(ed(null, { section: 'cloud', option: 'weight', values: ['100'] })).toEqual({
      text: '\n[cloud]\nweight = 100\n',
      changed: true,
      msg: 'section and option added',
    });
    const s = '[a]\nx = 1\n\n[cloud]\n# comment\nweight = 1\n\n[b]\ny=2\n';
    expect(ed(s, { section: 'cloud', option: 'weight', values: ['100'] })).toMatchObject({
      text: s.replace('weight = 1\n', 'weight = 100\n'),
      msg: 'option changed',
    });
    expect(ed(s, { section: 'cloud', option: 'nodes', values: ['4'], no_extra_spaces: true })).toMatchObject({
      text: s.replace('weight = 1\n', 'weight = 1\nnodes=4\n'),
      msg: 'option added',
    });
    expect(ed(s, { section: 'cloud', option: 'weight', values: ['1'] })).toMatchObject({ changed: false, msg: 'OK' });
    expect(ed(s, { section: 'cloud', option: 'weight', state: 'absent' })).toMatchObject({ text: s.replace('weight = 1\n', ''), msg: 'option changed' });
    expect(ed(s, { section: 'cloud', state: 'absent' })).toMatchObject({ text: '[a]\nx = 1\n\n[b]\ny=2\n', msg: 'section removed' });
    expect(ed('[a]\n#opt = 1\n', { section: 'a', option: 'opt', values: ['2'] }).text).toBe('[a]\nopt = 2\n');
    expect(ed('k=v', { option: 'top', values: ['1'] })).toMatchObject({ text: 'k=v\ntop = 1\n', changed: true });
    expect(ed('[a]\n', { section: 'a', option: 'flag', allow_no_value: true }).text).toBe('[a]\nflag\n');
    expect(ed('[a]\nm = 1\nm = 2\nm = 3\n', { section: 'a', option: 'm', values: ['3', '4'] }).text).toBe('[a]\nm = 4\nm = 3\n');
  });
});

describe('ini_file module', () => {
  it('changed then ok; check mode writes nothing; create=false on a missing file fails', async () => {
    const t = tempDir();
    try {
      const p = join(t.dir, 'site.ini');
      writeFileSync(p, '[cloud]\nweight = 1\n');
      const conn = localConnection();
      const args = { path: p, section: 'cloud', option: 'weight', value: '100' };
      const c = await runModule(conn, 'community.general.ini_file', args, { become: false, check: true });
      expect(c.result).toMatchObject({ changed: true, msg: 'option changed' });
      expect(readFileSync(p, 'utf8')).toBe('[cloud]\nweight = 1\n');
      expect((await runModule(conn, 'ini_file', args, { become: false })).result).toMatchObject({ changed: true, path: p });
      expect(readFileSync(p, 'utf8')).toBe('[cloud]\nweight = 100\n');
      expect((await runModule(conn, 'ini_file', args, { become: false })).result).toMatchObject({ changed: false });
      const miss = await runModule(conn, 'ini_file', { ...args, path: join(t.dir, 'no.ini'), create: false }, { become: false });
      expect(miss.result).toMatchObject({ failed: true, msg: `Destination ${join(t.dir, 'no.ini')} does not exist!` });
      await expect(runModule(conn, 'ini_file', { path: p, section: 'x', option: 'y' }, { become: false })).rejects.toThrow(
        "Parameter 'value(s)' must be defined if state=present and allow_no_value=False.",
      );
      await conn.close();
    } finally {
      t.cleanup();
    }
  });
});
