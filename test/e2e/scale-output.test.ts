/** The compact output in a real terminal: `tsplay run` at 200 local hosts inside tmux, the pane captured during and after the run. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const W = 100;
const H = 40;
const dir = mkdtempSync(join(tmpdir(), 'tsplay-scale-'));
const session = `scl-out-${process.pid}`;
const tmux = (...a: string[]) => execFileSync('tmux', ['-L', session, ...a], { encoding: 'utf8' });

afterAll(() => {
  spawnSync('tmux', ['-L', session, 'kill-server']);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux)('compact output in tmux at 200 hosts (skipped when tmux is missing)', () => {
  it('fits the pane and shows the counts', async () => {
    writeFileSync(join(dir, 'inv.ini'), '[all]\nn[000:199] ansible_connection=local\n');
    writeFileSync(
      join(dir, 'pb.yml'),
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: wait a little\n      command: sleep 0.5\n    - name: fail one\n      fail: { msg: boom }\n      when: inventory_hostname == 'n042'\n`,
    );
    const bin = resolve('bin/tsplay.js');
    tmux('new-session', '-d', '-s', 'main', '-x', String(W), '-y', String(H), `cd ${dir} && node ${bin} run -i inv.ini pb.yml; echo EXIT=$?; sleep 60`);
    const panes: string[] = [];
    const deadline = Date.now() + 120_000;
    let pane = '';
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      pane = tmux('capture-pane', '-p', '-t', 'main');
      panes.push(pane);
      if (/EXIT=\d+/.test(pane)) break;
    }
    expect(pane).toMatch(/EXIT=2/);
    for (const p of panes) {
      const lines = p.replace(/\n$/, '').split('\n');
      expect(lines.length).toBeLessThanOrEqual(H);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(W);
    }
    const history = tmux('capture-pane', '-p', '-t', 'main', '-S', '-1000');
    expect(history).toMatch(/TASK \[wait a little\] ok=0 changed=200 failed=0 unreachable=0 skipped=0 remaining=0/);
    expect(history).toMatch(/TASK \[fail one\] ok=0 changed=0 failed=1 unreachable=0 skipped=199 remaining=0/);
    expect(history).toMatch(/fatal: \[n042\]: FAILED!/);
    expect(history).toMatch(/200 hosts: 0 ok, 199 changed, 1 failed, 0 unreachable/);
    expect(history).not.toMatch(/^changed: \[n/m);
  }, 150_000);
});
