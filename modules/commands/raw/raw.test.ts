/** raw: the text to the shell as it is, always changed, skipped in check mode. */
import { describe, expect, it } from 'vitest';
import { FakeHost, res } from '../../../test/harness/fake-host.js';
import { runModule } from '../../../test/harness/modules.js';

describe('raw', () => {
  it('runs the line through sh -c unchanged; stdout_lines as Python splitlines; no cmd/start/end', async () => {
    const h = new FakeHost({ respond: (s) => (s.includes('echo hi') ? res('hi\n', 0, 'err\n') : undefined) });
    const r = await runModule(h, 'ansible.builtin.raw', { _raw_params: 'echo hi; echo err >&2' });
    expect(r.commands).toHaveLength(1);
    expect(r.commands[0]!.script).toBe(`exec /bin/sh -c 'echo hi; echo err >&2'`);
    expect(r.result).toMatchObject({ changed: true, rc: 0, stdout: 'hi\n', stdout_lines: ['hi'], stderr_lines: ['err'] });
    expect(r.result).not.toHaveProperty('start');
  });
  it('check mode: skipped, nothing sent', async () => {
    const h = new FakeHost({});
    const r = await runModule(h, 'raw', { cmd: 'reboot' }, { check: true });
    expect(r.result.skipped).toBe(true);
    expect(r.commands).toHaveLength(0);
  });
});
