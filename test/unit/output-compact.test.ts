import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../harness/runner.js';
import { CompactRenderer, truncate } from '../../src/output/compact.js';
import { NOCOLOR, PlainRenderer } from '../../src/output/plain.js';

const hosts = Array.from({ length: 200 }, (_, i) => `n${String(i).padStart(3, '0')}`);
const inventory = Object.fromEntries(hosts.map((h) => [h, {}]));
const playbook = `- hosts: all
  gather_facts: false
  tasks:
    - name: say hi
      command: echo hi
    - name: fail some
      fail: { msg: "boom on {{ inventory_hostname }}" }
      when: inventory_hostname in ['n007', 'n150']
`;

describe('compact renderer at 200 hosts', () => {
  it('one counting line per task, failures in full, the recap unchanged', async () => {
    const r = await runPlaybook(playbook, { inventory, forks: 50 });
    let out = '';
    const c = new CompactRenderer(0, false, { write: (s) => (out += s), colors: NOCOLOR, columns: () => 120 });
    for (const e of r.events) c.emit(e);
    await c.end();
    // the final state of each line (what a terminal shows after the \r redraws)
    const screen = out.split('\n').map((l) =>
      l
        .split('\r')
        .pop()!
        .replace(/\x1b\[2K/g, ''),
    );
    expect(screen).toContain(
      'TASK [say hi] ok=0 changed=200 failed=0 unreachable=0 skipped=0 remaining=0 ' +
        screen
          .find((l) => l.startsWith('TASK [say hi] ok='))!
          .split(' ')
          .pop(),
    );
    const fail = screen.find((l) => l.startsWith('TASK [fail some] ok='))!;
    expect(fail).toMatch(/^TASK \[fail some\] ok=0 changed=0 failed=2 unreachable=0 skipped=198 remaining=0 \d+\.\ds$/);
    // no per-host lines for the 200 changes, the two failures exactly as the plain format prints them
    expect(screen.filter((l) => l.startsWith('changed: ['))).toEqual([]);
    const plainFatal = r.output.split('\n').filter((l) => l.startsWith('fatal: '));
    expect(plainFatal).toHaveLength(2);
    for (const l of plainFatal) expect(screen).toContain(l);
    expect(screen.indexOf(plainFatal[0]!)).toBeGreaterThan(screen.indexOf(fail));
    // PLAY RECAP byte for byte as the plain renderer's, then one summary line
    const recapOf = (lines: string[]) =>
      lines.slice(
        lines.findIndex((l) => l.startsWith('PLAY RECAP')),
        lines.findIndex((l) => l.startsWith('PLAY RECAP')) + 202,
      );
    expect(recapOf(screen)).toEqual(recapOf(r.output.split('\n')));
    expect(recapOf(screen)).toHaveLength(202);
    expect(screen.some((l) => /^200 hosts: 0 ok, 198 changed, 2 failed, 0 unreachable in \d+\.\ds$/.test(l))).toBe(true);
    // redraws are throttled: nowhere near one per result
    expect(c.redraws).toBeLessThan(100);
  });

  it('counts as it goes and truncates to the width', () => {
    let out = '';
    let t = 0;
    const c = new CompactRenderer(0, false, { write: (s) => (out += s), colors: NOCOLOR, columns: () => 60, now: () => t });
    c.emit({ type: 'task_start', name: 'long running task name', action: 'command', hosts, handler: false });
    for (let i = 0; i < 150; i++) {
      t += 1;
      c.emit({ type: 'host_result', host: hosts[i]!, task: 'x', status: i % 3 ? 'ok' : 'changed', result: {} });
    }
    t += 2000;
    const live = c.line();
    expect(live).toMatch(/ok=100 changed=50 failed=0 unreachable=0 skipped=0 remaining=50 2\.\ds slowest: n150 2\.\ds$/);
    for (const seg of out.split(/[\r\n]/)) expect(seg.replace(/\x1b\[[0-9;]*[mK]/g, '').length).toBeLessThanOrEqual(59);
    expect(truncate('\x1b[31mabcdef\x1b[0m', 3)).toBe('\x1b[31mabc\x1b[0m');
  });

  it('the plain renderer is untouched (same bytes as the harness output)', async () => {
    const r = await runPlaybook(playbook, { inventory: { a: {}, b: {} } });
    let plain = '';
    const p = new PlainRenderer(0, false, (l) => (plain += l + '\n'));
    for (const e of r.events) p.emit(e);
    expect(plain).toBe(r.output);
  });
});
