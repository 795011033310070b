import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { editSysctlFile, normalizeValue, planSysctl, sameValue, type SysctlArgs, type SysctlFacts } from './sysctl-plan.js';
import { parseSysctl, sysctlScript } from './sysctl.js';
import { res, runFake } from '../../../test/harness/system.js';
import { joinParts } from '../../../lib/shell/parts.js';

const args = (over: Partial<SysctlArgs> = {}): SysctlArgs => ({
  name: 'net.ipv4.ip_forward',
  value: '1',
  state: 'present',
  sysctl_file: '/etc/sysctl.conf',
  reload: true,
  sysctl_set: false,
  ignoreerrors: false,
  ...over,
});

describe('sysctl file edits', () => {
  it.each<[string, string | null, 'present' | 'absent', string, string | null]>([
    ['append to a comments-only file', '# defaults\n#net.ipv4.ip_forward=1\n', 'present', '1', '# defaults\n#net.ipv4.ip_forward=1\nnet.ipv4.ip_forward=1\n'],
    ['create a missing file', null, 'present', '1', 'net.ipv4.ip_forward=1\n'],
    ['already set (spacing kept)', 'net.ipv4.ip_forward = 1\n', 'present', '1', null],
    ['slash form counts as the same key', 'net/ipv4/ip_forward=1\n', 'present', '1', null],
    ['value differs: replaced in place, others kept', 'a.b = 2\nnet.ipv4.ip_forward = 0\nc.d=3\n', 'present', '1', 'a.b = 2\nnet.ipv4.ip_forward=1\nc.d=3\n'],
    ['a later disagreeing duplicate is dropped', 'net.ipv4.ip_forward=1\nx=1\nnet.ipv4.ip_forward=0\n', 'present', '1', 'net.ipv4.ip_forward=1\nx=1\n'],
    ['absent removes every line for the key', 'net.ipv4.ip_forward=1\nx=1\n-net.ipv4.ip_forward = 0\n', 'absent', '', 'x=1\n'],
    ['absent, not there', 'x=1\n', 'absent', '', null],
  ])('%s', (_t, text, state, value, want) => {
    expect(editSysctlFile(text, 'net.ipv4.ip_forward', state, value)).toBe(want);
  });
  it('values: booleans and whitespace like Ansible', () => {
    expect(normalizeValue('yes')).toBe('1');
    expect(normalizeValue('False')).toBe('0');
    expect(normalizeValue(' 32768 60999 ')).toBe('32768 60999');
    expect(sameValue('32768\t60999', '32768 60999')).toBe(true);
    expect(sameValue(null, '1')).toBe(false);
  });
});

describe('planSysctl', () => {
  const F = (running: string | null, file: string | null): SysctlFacts => ({ running, file });
  it.each<[string, Partial<SysctlArgs>, SysctlFacts, object | null]>([
    ['file and kernel right', {}, F('1', 'net.ipv4.ip_forward=1\n'), null],
    ['file missing the key: write + reload', {}, F('0', ''), { write: 'net.ipv4.ip_forward=1\n', set: false, reload: true }],
    ['file right, kernel wrong, reload: reload only (Ansible)', {}, F('0', 'net.ipv4.ip_forward=1\n'), { set: false, reload: true }],
    ['file right, kernel wrong, no reload, no sysctl_set: nothing', { reload: false }, F('0', 'net.ipv4.ip_forward=1\n'), null],
    ['sysctl_set: set the kernel value', { sysctl_set: true, reload: false }, F('0', 'net.ipv4.ip_forward=1\n'), { set: true, reload: false }],
    ['absent: remove the line, reload', { state: 'absent', value: undefined }, F('1', 'net.ipv4.ip_forward=1\n'), { write: '', set: false, reload: true }],
    [
      'unknown key with ignoreerrors: file only',
      { ignoreerrors: true, name: 'net.bridge.x' },
      F(null, ''),
      { write: 'net.bridge.x=1\n', set: false, reload: true },
    ],
  ])('%s', (_t, a, f, want) => {
    const d = planSysctl(args(a), f);
    expect('error' in d).toBe(false);
    if ('plan' in d) expect(d.plan).toEqual(want);
  });
  it('unknown key without ignoreerrors fails', () => {
    expect(planSysctl(args({ name: 'kernel.nope' }), F(null, ''))).toEqual({ error: expect.stringMatching(/kernel.nope' does not exist/) });
  });
});

describe('sysctl module', () => {
  it('the real read script on this machine (read-only)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysctl-'));
    const file = join(dir, 's.conf');
    writeFileSync(file, 'net.ipv4.ip_forward = 1\n');
    const f = parseSysctl(
      execFileSync('/bin/sh', ['-c', sysctlScript({ name: 'net.ipv4.ip_forward', file })], {
        encoding: 'utf8',
        env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      }),
    );
    expect(f.running).toMatch(/^[01]$/);
    expect(f.file).toBe('net.ipv4.ip_forward = 1\n');
    const g = parseSysctl(
      execFileSync('/bin/sh', ['-c', sysctlScript({ name: 'no.such.key', file: join(dir, 'none') })], {
        encoding: 'utf8',
        env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      }),
    );
    expect(g).toEqual({ running: null, file: null });
  });
  const read = (running: string, file: string) => joinParts({ running: `${running}\n`, file });
  it('no-op: one command; change: one more with write + sysctl -p, diff of the file', async () => {
    const a = await runFake('sysctl', { name: 'net.ipv4.ip_forward', value: 1 }, () => res(read('1', 'net.ipv4.ip_forward=1\n')));
    expect(a.commands).toHaveLength(1);
    expect(a.result).toMatchObject({ changed: false, value: '1' });
    const b = await runFake('ansible.posix.sysctl', { name: 'net.ipv4.ip_forward', value: 'yes', sysctl_set: true }, (s) =>
      s.startsWith('if _v=') ? res(read('0', '# x\n')) : res(),
    );
    expect(b.commands).toHaveLength(2);
    const apply = b.commands[1]!.script;
    expect(apply).toContain('sysctl -w net.ipv4.ip_forward=1');
    expect(apply).toContain('sysctl -p /etc/sysctl.conf');
    expect(b.result).toMatchObject({ changed: true, diff: [{ before: '# x\n', after: '# x\nnet.ipv4.ip_forward=1\n' }] });
  });
  it('stderr errors fail even with rc 0 (Red Hat bug)', async () => {
    const r = await runFake('sysctl', { name: 'net.ipv4.ip_forward', value: '1', sysctl_set: true }, (s) =>
      s.startsWith('if _v=') ? res(read('0', '')) : res('', 0, 'sysctl: setting key "net.ipv4.ip_forward": Read-only file system\n'),
    );
    expect(r.result).toMatchObject({ failed: true, msg: expect.stringMatching(/Read-only file system/) });
  });
  it.each([
    [{ name: 'x' }, /value is required/],
    [{ name: '', value: '1' }, /blank/],
    [{ name: 'a b', value: '1' }, /invalid key/],
    [{ key: 'a.b', val: '1', bogus: 1 }, /unknown argument 'bogus'/],
  ])('%j rejected', async (a, err) => {
    await expect(runFake('sysctl', a, () => res())).rejects.toThrow(err);
  });
});
