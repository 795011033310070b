/** setup as a task: the gather command on the fake host, facts filtered by glob, nothing changed. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { FakeHost, res } from '../../../test/harness/fake-host.js';
import { runModule } from '../../../test/harness/modules.js';
import { GATHER_SCRIPT } from '../../../lib/facts/gather.js';

// the real command's output on this machine (read-only: hostname, os-release, /proc)
const here = execFileSync('/bin/sh', ['-c', GATHER_SCRIPT], { encoding: 'utf8' });

describe('setup', () => {
  it('gathers with one read-only command, as the user (not root); a filter keeps the matching names', async () => {
    const h = new FakeHost({ respond: () => res(here) });
    const all = await runModule(h, 'ansible.builtin.setup', {});
    expect(all.result.changed).toBe(false);
    expect(all.commands).toHaveLength(1);
    expect(all.commands[0]!.opts.become).toBe(false);
    const facts = all.result.ansible_facts as Record<string, unknown>;
    expect(facts.ansible_os_family).toEqual(expect.any(String));
    expect(Object.keys(facts).every((k) => k.startsWith('ansible_'))).toBe(true);
    const some = await runModule(h, 'setup', { filter: ['ansible_distribution*', 'ansible_os_family'] });
    const keys = Object.keys(some.result.ansible_facts as object).sort();
    expect(keys).toEqual(
      Object.keys(facts)
        .filter((k) => k.startsWith('ansible_distribution') || k === 'ansible_os_family')
        .sort(),
    );
    expect(keys).toContain('ansible_distribution_major_version');
  });

  it("ansible_python when the host has a Python (as Ansible's fact), none without", async () => {
    const withPy = await runModule(
      new FakeHost({
        respond: () =>
          res(
            'hostname=h\npython={"version": {"major": 3, "minor": 11, "micro": 2, "releaselevel": "final", "serial": 0}, "version_info": [3, 11, 2, "final", 0], "executable": "/usr/bin/python3", "has_sslcontext": true, "type": "cpython"}\n',
          ),
      }),
      'setup',
      {},
    );
    expect((withPy.result.ansible_facts as Record<string, unknown>).ansible_python).toEqual({
      executable: '/usr/bin/python3',
      type: 'cpython',
      has_sslcontext: true,
      version: { major: 3, minor: 11, micro: 2, releaselevel: 'final', serial: 0 },
      version_info: [3, 11, 2, 'final', 0],
    });
    expect((withPy.result.ansible_facts as Record<string, unknown>).ansible_python_version).toBe('3.11.2');
    const without = await runModule(new FakeHost({ respond: () => res('hostname=h\n') }), 'setup', {});
    expect((without.result.ansible_facts as Record<string, unknown>).ansible_python).toBeUndefined();
  });

  it('a failing command fails the task with its words', async () => {
    const h = new FakeHost({ respond: () => res('', 2, 'sh: 1: cannot open /etc/os-release') });
    const r = await runModule(h, 'setup', {});
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/gathering facts failed \(rc=2\): sh: 1: cannot open/);
  });
});
