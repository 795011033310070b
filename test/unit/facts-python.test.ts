/** The python facts: gathered by the facts command where python3 exists, with the keys of Ansible's python collector. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

describe('memory facts', () => {
  it("memory_mb and the *_mb facts as ansible-core's Linux collector computes them from /proc/meminfo", () => {
    const facts = parseFacts(execFileSync('/bin/sh', ['-c', GATHER_SCRIPT], { encoding: 'utf8' }));
    const kb = Object.fromEntries(
      readFileSync('/proc/meminfo', 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.split(':')[0]!, Math.floor(Number(l.split(/\s+/)[1]) / 1024)]),
    ) as Record<string, number>;
    expect(facts['memtotal_mb']).toBe(kb['MemTotal']);
    expect(facts['swaptotal_mb']).toBe(kb['SwapTotal']);
    const m = facts['memory_mb'] as Record<string, Record<string, number | null>>;
    expect(Object.keys(m).sort()).toEqual(['nocache', 'real', 'swap']);
    expect(Object.keys(m['real']!).sort()).toEqual(['free', 'total', 'used']);
    expect(Object.keys(m['swap']!).sort()).toEqual(['cached', 'free', 'total', 'used']);
    expect(m['real']!['total']).toBe(kb['MemTotal']);
    expect(m['real']!['used']).toBe(m['real']!['total']! - m['real']!['free']!);
    expect(m['swap']!['total']).toBe(kb['SwapTotal']);
    expect(m['swap']!['used']).toBe(m['swap']!['total']! - m['swap']!['free']!);
    expect(m['nocache']!['used']).toBe(m['real']!['total']! - m['nocache']!['free']!);
  });
});
