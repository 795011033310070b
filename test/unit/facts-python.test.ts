/** The python facts: gathered by the facts command where python3 exists, with the keys of Ansible's python collector. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { GATHER_SCRIPT, parseFacts } from '../../lib/facts/gather.js';

describe('ansible_python', () => {
  it("has Ansible's keys and this machine's python3 values (the command is read-only)", () => {
    const facts = parseFacts(execFileSync('/bin/sh', ['-c', GATHER_SCRIPT], { encoding: 'utf8' }));
    // what Ansible's PythonFactCollector computes, run with the same interpreter
    const want = JSON.parse(
      execFileSync(
        'python3',
        ['-c', 'import sys, json; v = sys.version_info; print(json.dumps([list(v), sys.executable, sys.implementation.name, "%d.%d.%d" % v[:3]]))'],
        { encoding: 'utf8' },
      ),
    ) as [unknown[], string, string, string];
    const py = facts['python'] as Record<string, unknown>;
    expect(Object.keys(py).sort()).toEqual(['executable', 'has_sslcontext', 'type', 'version', 'version_info']);
    expect(py['version_info']).toEqual(want[0]);
    expect(py['executable']).toBe(want[1]);
    expect(py['type']).toBe(want[2]);
    expect(py['has_sslcontext']).toBe(true);
    const [major, minor, micro, releaselevel, serial] = want[0];
    expect(py['version']).toEqual({ major, minor, micro, releaselevel, serial });
    expect(facts['python_version']).toBe(want[3]);
  });
  it('is absent where python3 is not (the command prints no python line)', () => {
    const facts = parseFacts('hostname=h1\nkernel=6.1\n');
    expect(facts).not.toHaveProperty('python');
    expect(facts).not.toHaveProperty('python_version');
  });
});
