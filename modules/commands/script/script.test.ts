/** script on this machine (scripts and their outputs in a temp dir), through the local connection. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection, tempDir } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';
import { runPlaybook } from '../../../test/harness/runner.js';
import { hostName } from './script.js';

function setup(): { dir: string; cleanup(): void } {
  const t = tempDir('tsplay-script-test-');
  mkdirSync(join(t.dir, 'space path'));
  writeFileSync(join(t.dir, 'args.sh'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\necho "in $(pwd)" >&2\n');
  writeFileSync(join(t.dir, 'space path', 'win.sh'), '#!/bin/sh\nprintf win\n');
  writeFileSync(join(t.dir, 'touch.sh'), '#!/bin/sh\necho made > "$1"\n');
  writeFileSync(join(t.dir, 'fail.sh'), '#!/bin/sh\necho oops >&2\nexit 3\n');
  writeFileSync(join(t.dir, 'noshebang.txt'), 'echo "run by $0"\n');
  return t;
}

describe('script', () => {
  it('runs the controller script on the host with its arguments (quoting kept), stdout unstripped, its copy removed', async () => {
    const t = setup();
    const conn = localConnection();
    try {
      const o = { become: false, baseDir: t.dir };
      const a = await runModule(conn, 'script', { cmd: `args.sh -this "two words" -Ӧther` }, o);
      expect(a.result).toMatchObject({ changed: true, rc: 0, stdout: '-this\ntwo words\n-Ӧther\n', stdout_lines: ['-this', 'two words', '-Ӧther'] });
      expect(a.commands).toHaveLength(1);
      const dir = /mkdir -m 700 '?(\/tmp\/tsplay-script-[0-9a-f]{16})/.exec(a.commands[0]!.script)![1]!;
      expect(existsSync(dir)).toBe(false);
      // the script's text goes through stdin, never on a command line
      expect(a.commands[0]!.stdin).toContain('for a in');
      expect(a.commands[0]!.script).not.toContain('for a in');
      const b = await runModule(conn, 'ansible.builtin.script', { cmd: "'space path/win.sh'" }, o);
      expect(b.result).toMatchObject({ changed: true, stdout: 'win' });
      const c = await runModule(conn, 'script', { cmd: 'args.sh', chdir: t.dir }, o);
      expect(c.result.stderr).toBe(`in ${t.dir}\n`);
      const d = await runModule(conn, 'script', { cmd: 'noshebang.txt', executable: '/bin/sh' }, o);
      expect(String(d.result.stdout)).toMatch(/^run by \/tmp\/tsplay-script-[0-9a-f]{16}\/noshebang\.txt\n$/);
      const e = await runModule(conn, 'script', { cmd: 'fail.sh' }, o);
      expect(e.result).toMatchObject({ failed: true, rc: 3, msg: 'non-zero return code', stderr: 'oops\n' });
    } finally {
      await conn.close();
      t.cleanup();
    }
  });

  it('creates/removes skip with Ansible messages; check mode: skipped, or changed when a guard decides; nothing written', async () => {
    const t = setup();
    const conn = localConnection();
    try {
      const o = { become: false, baseDir: t.dir };
      const out = join(t.dir, 'made.txt');
      const chk = await runModule(conn, 'script', { cmd: `touch.sh ${out}` }, { ...o, check: true });
      expect(chk.result).toMatchObject({ changed: false, skipped: true, msg: 'Check mode is not supported for this task.' });
      const chk2 = await runModule(conn, 'script', { cmd: `touch.sh ${out}`, creates: out }, { ...o, check: true });
      expect(chk2.result.changed).toBe(true);
      expect(existsSync(out)).toBe(false);
      const first = await runModule(conn, 'script', { cmd: `touch.sh ${out}`, creates: out }, o);
      expect(first.result.changed).toBe(true);
      expect(existsSync(out)).toBe(true);
      const again = await runModule(conn, 'script', { cmd: `touch.sh ${out}`, creates: out }, o);
      expect(again.result).toMatchObject({ changed: false, skipped: true, msg: `${out} exists, matching creates option` });
      const gone = await runModule(conn, 'script', { cmd: 'touch.sh /x', removes: join(t.dir, 'none') }, { ...o, check: true });
      expect(gone.result).toMatchObject({ skipped: true, msg: `${join(t.dir, 'none')} does not exist, matching removes option` });
      const rel = await runModule(conn, 'script', { cmd: 'args.sh', chdir: 'sub' }, o);
      expect(rel.result).toMatchObject({ failed: true, msg: 'chdir sub must be an absolute path for a Unix-aware remote node' });
    } finally {
      await conn.close();
      t.cleanup();
    }
  });

  it('names the host copy after the script when the name is plain', () => {
    expect(hostName('/a/files/test.sh')).toBe('test.sh');
    expect(hostName("/a/it's here.sh")).toBe('script');
  });

  it("async: fails the task with ansible-core's message (its action plugin does not support it), nothing sent", async () => {
    const r = await runPlaybook(
      `- hosts: all
  gather_facts: false
  tasks:
    - script: /some/script.sh
      async: 2
      ignore_errors: true
      register: res
    - assert: { that: [res is failed, 'res.msg == "async is not supported for this task."'] }
`,
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.host('h1').runs).toEqual([]);
  });
});
