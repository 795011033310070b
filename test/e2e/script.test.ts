/**
 * script on a real lab host over real SSH + sudo: the controller file runs there with its arguments (as root
 * through the persistent sudo shell), leaves no copy behind, and creates/check mode decide as ansible-core 2.14.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshConnection } from '../../src/connection/ssh.js';
import { runModule } from '../harness/modules.js';
import { connectLabHost, startLab, stopLab, type Lab } from '../harness/lab.js';

const LAB = 'script';
let lab: Lab;
let conn: SshConnection;
let files: string;

beforeAll(async () => {
  files = mkdtempSync(join(tmpdir(), 'script-e2e-'));
  writeFileSync(join(files, 'mark.sh'), '#!/bin/sh\nset -e\nid -un\nprintf "%s\\n" "$@" > "$1.args"\necho made > "$1"\n');
  lab = await startLab(LAB, { hosts: 1, sudo: 'nopasswd' });
  conn = await connectLabHost(lab, 'node1');
});
afterAll(async () => {
  await conn?.close();
  await stopLab(LAB);
  rmSync(files, { recursive: true, force: true });
});

describe('script on a lab host', () => {
  it('check mode runs nothing; first run changed (as root, arguments kept), second run skipped by creates; no copy left', async () => {
    const o = { become: true, baseDir: files };
    const args = { cmd: `mark.sh /root/marked 'two words'`, creates: '/root/marked' };
    const before = (await lab.exec('node1', 'ls -d /tmp/tsplay-script-* 2>/dev/null | wc -l')).stdout.trim();
    const chk = await runModule(conn, 'script', args, { ...o, check: true });
    expect(chk.result.changed).toBe(true);
    expect((await lab.exec('node1', 'test -e /root/marked')).rc).toBe(1);
    const noGuard = await runModule(conn, 'script', { cmd: 'mark.sh /root/other' }, { ...o, check: true });
    expect(noGuard.result).toMatchObject({ skipped: true, changed: false });
    expect((await lab.exec('node1', 'test -e /root/other')).rc).toBe(1);
    const first = await runModule(conn, 'ansible.builtin.script', args, o);
    expect(first.result).toMatchObject({ changed: true, rc: 0, stdout_lines: ['root'] });
    expect((await lab.exec('node1', 'cat /root/marked /root/marked.args')).stdout).toBe('made\n/root/marked\ntwo words\n');
    const again = await runModule(conn, 'script', args, o);
    expect(again.result).toMatchObject({ skipped: true, msg: '/root/marked exists, matching creates option' });
    expect(again.commands).toHaveLength(1);
    expect((await lab.exec('node1', 'ls -d /tmp/tsplay-script-* 2>/dev/null | wc -l')).stdout.trim()).toBe(before);
  });
});
