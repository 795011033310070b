/**
 * lineinfile / blockinfile against what the real Ansible did with the same input
 * (test/fixtures/files/ansible-cases.json, made by gen-ansible-cases.py with ansible-core's modules).
 * Each case is replayed twice: through the pure editing functions, and through the whole module
 * (file-state fact, edit, atomic write) over a local persistent shell on a temp directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModule } from '../../test/harness/modules.js';
import { localConnection, tempDir } from '../../test/harness/files.js';
import { lineAbsent, linePresent, type LineEditArgs } from '../../modules/files/lineinfile/line-edit.js';
import { editBlock, type BlockEditArgs } from '../../modules/files/blockinfile/block-edit.js';
import type { LocalConnection } from '../../src/connection/local.js';

interface Case {
  name: string;
  initial: string | null;
  args: Record<string, unknown>;
  expected: { failed: boolean; changed: boolean; msg: string; found: number | null; content: string | null; changed_again: boolean };
}
const doc = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../test/fixtures/files/ansible-cases.json'), 'utf8')) as {
  ansible: string;
  lineinfile: Case[];
  blockinfile: Case[];
};

const lineDefaults = { firstmatch: false, backrefs: false, state: 'present' };
const blockDefaults = {
  state: 'present',
  block: '',
  marker: '# {mark} ANSIBLE MANAGED BLOCK',
  marker_begin: 'BEGIN',
  marker_end: 'END',
  prepend_newline: false,
  append_newline: false,
};

describe(`lineinfile edits = Ansible (${doc.ansible})`, () => {
  for (const c of doc.lineinfile.filter((c) => c.initial !== null)) {
    it(c.name, () => {
      const a = { ...lineDefaults, ...c.args } as LineEditArgs & { state: string };
      const before = Buffer.from(c.initial!, 'utf8');
      const r = a.state === 'absent' ? lineAbsent(before, a) : linePresent(before, a);
      expect(r.content.toString('utf8')).toBe(c.expected.content);
      expect(r.changed).toBe(c.expected.changed);
      expect(r.msg).toBe(c.expected.msg);
      if (a.state === 'absent') expect(r.found).toBe(c.expected.found);
    });
  }
});

describe(`blockinfile edits = Ansible (${doc.ansible})`, () => {
  for (const c of doc.blockinfile.filter((c) => c.initial !== null)) {
    it(c.name, () => {
      const a = { ...blockDefaults, ...c.args } as BlockEditArgs;
      const r = editBlock(Buffer.from(c.initial!, 'utf8'), a);
      expect(r.content.toString('utf8')).toBe(c.expected.content);
      expect(r.changed).toBe(c.expected.changed);
      expect(r.msg).toBe(c.expected.msg);
    });
  }
});

describe('whole modules on real files = Ansible', () => {
  let conn: LocalConnection;
  let tmp: { dir: string; cleanup(): void };
  beforeAll(() => {
    conn = localConnection();
    tmp = tempDir('tsplay-ansible-cases-');
  });
  afterAll(async () => {
    await conn.close();
    tmp.cleanup();
  });
  for (const module of ['lineinfile', 'blockinfile'] as const) {
    doc[module].forEach((c, i) => {
      it(`${module}: ${c.name}`, async () => {
        const dir = join(tmp.dir, `${module}-${i}`);
        mkdirSync(dir);
        const path = join(dir, 'file.txt');
        if (c.initial !== null) writeFileSync(path, c.initial);
        const r = (await runModule(conn, module, { path, ...c.args })).result;
        const ansibleDir = `/tmp/tsplay-ansible-cases/${module}/${String(i).padStart(3, '0')}/file.txt`;
        expect(!!r.failed).toBe(c.expected.failed);
        expect(r.msg ?? '').toBe(c.expected.msg.split(ansibleDir).join(path));
        if (!c.expected.failed) expect(r.changed).toBe(c.expected.changed);
        if (c.expected.found !== null) expect(r.found).toBe(c.expected.found);
        expect(existsSync(path) ? readFileSync(path, 'utf8') : null).toBe(c.expected.content);
        // a second run: unchanged, except where Ansible itself is not idempotent
        const again = (await runModule(conn, module, { path, ...c.args })).result;
        expect(!!again.changed).toBe(c.expected.changed_again);
      });
    });
  }
});
