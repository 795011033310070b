/** pause: waits on the controller for the given time and returns Ansible's keys; without a duration it warns and goes on. */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../../../test/harness/runner.js';

const play = (task: string) => `- hosts: all\n  gather_facts: false\n  tasks:\n${task}`;

describe('pause', () => {
  it('seconds: the play waits that long, nothing runs on the host, the result has stdout/delta/user_input', async () => {
    const t0 = Date.now();
    const r = await runPlaybook(
      play(`    - pause:
        seconds: 1
      register: p
    - assert:
        that: [p is not changed, "p.stdout == 'Paused for 1 seconds'", "p.user_input == ''", p.delta >= 1]
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // it did wait (a lower bound of behaviour, not a timing figure)
    expect(r.host('h1').runs).toEqual([]);
  });

  it('no duration: a warning, no wait; a bad value is refused at load time; seconds and minutes exclude each other', async () => {
    const r = await runPlaybook(play('    - pause:\n        prompt: press enter\n'), { inventory: { h1: {} } });
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toMatch(/Not waiting for response to prompt/);
    await expect(runPlaybook(play("    - pause:\n        seconds: 'abc'\n"), { inventory: { h1: {} } })).rejects.toThrow(/'abc' is not a valid integer/);
    const both = await runPlaybook(play('    - pause:\n        seconds: 1\n        minutes: 1\n'), { inventory: { h1: {} } });
    expect(both.exitCode).toBe(2);
    expect(both.output).toMatch(/parameters are mutually exclusive: seconds\|minutes/);
  });
});
