import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { editHosts, fileHostname, planHostname, type HostnameFacts } from './hostname-plan.js';
import { parseHostname } from './hostname.js';
import { writeFileCommand } from '../../../lib/files/write-command.js';
import { res, runFake } from '../../../test/harness/system.js';
import { joinParts } from '../../../lib/shell/parts.js';

const DEB_HOSTS = '127.0.0.1\tlocalhost\n127.0.1.1\told.example.com old\n\n# IPv6\n::1     localhost ip6-localhost ip6-loopback\n';

describe('editHosts', () => {
  it.each<[string, string | null, string, string | null]>([
    [
      'replaces the 127.0.1.1 line, keeps the rest',
      DEB_HOSTS,
      'cloudnode001.cluster.example.com',
      '127.0.0.1\tlocalhost\n127.0.1.1\tcloudnode001.cluster.example.com cloudnode001\n\n# IPv6\n::1     localhost ip6-localhost ip6-loopback\n',
    ],
    ['already right (extra aliases allowed)', '127.0.0.1 localhost\n127.0.1.1 n1.example.com n1 extra\n', 'n1.example.com', null],
    ['short name only', '127.0.0.1 localhost\n', 'node1', '127.0.0.1 localhost\n127.0.1.1\tnode1\n'],
    [
      'inserted after the last 127.0.0.1 line',
      '# hosts\n127.0.0.1 localhost\n10.0.0.9 other\n',
      'n.example',
      '# hosts\n127.0.0.1 localhost\n127.0.1.1\tn.example n\n10.0.0.9 other\n',
    ],
    ['another line already resolves it', '127.0.0.1 localhost\n10.0.0.5 n1.example.com n1\n', 'n1.example.com', null],
    [
      'the real address lists the short name: FQDN goes there, no loopback line',
      '127.0.0.1\tlocalhost\n10.231.5.11\tnode1.lab.test node1 # lab\n',
      'node1.cluster.example.com',
      '127.0.0.1\tlocalhost\n10.231.5.11\tnode1.cluster.example.com node1 node1.lab.test # lab\n',
    ],
    [
      '... and our names leave an old 127.0.1.1 line',
      '127.0.1.1\tnode1.cluster.example.com node1\n10.0.0.9 node1\n',
      'node1.cluster.example.com',
      '10.0.0.9\tnode1.cluster.example.com node1\n',
    ],
    ['... keeping its other names', '127.0.1.1 node1 other\n10.0.0.9 node1.x node1\n', 'node1.x', '127.0.1.1\tother\n10.0.0.9 node1.x node1\n'],
    [
      'a loopback line with the short name is not a real address',
      '127.0.0.1 localhost n1\n',
      'n1.example.com',
      '127.0.0.1 localhost n1\n127.0.1.1\tn1.example.com n1\n',
    ],
    ['a comment mentioning it does not count', '127.0.0.1 localhost\n# 10.0.0.5 n1\n', 'n1', '127.0.0.1 localhost\n127.0.1.1\tn1\n# 10.0.0.5 n1\n'],
    ['missing file', null, 'n1', '127.0.1.1\tn1\n'],
    ['no trailing newline kept sane', '127.0.0.1 localhost', 'n1', '127.0.0.1 localhost\n127.0.1.1\tn1\n'],
  ])('%s', (_t, text, name, want) => {
    expect(editHosts(text, name)).toBe(want);
  });
});

describe('planHostname', () => {
  const f = (over: Partial<HostnameFacts> = {}): HostnameFacts => ({ running: 'old', systemd: false, etcHostname: 'old\n', etcHosts: DEB_HOSTS, ...over });
  it('sysv: write /etc/hostname + hostname + /etc/hosts', () => {
    expect(planHostname('n1.example.com', f(), { updateHosts: true })).toMatchObject({
      hostnameFile: 'n1.example.com\n',
      setRunning: true,
      hostnamectl: false,
      hostsFile: expect.stringContaining('127.0.1.1\tn1.example.com n1'),
    });
  });
  it('systemd: hostnamectl does name + file', () => {
    const p = planHostname('n1', f({ systemd: true }), { updateHosts: false });
    expect(p).toEqual({ hostnamectl: true, setRunning: false });
  });
  it('all right: nothing', () => {
    expect(planHostname('n1', f({ running: 'n1', etcHostname: '# comment\nn1\n', etcHosts: '127.0.1.1 n1\n' }), { updateHosts: true })).toBeNull();
  });
  it('only the running name differs (e.g. after a reboot race)', () => {
    expect(planHostname('n1', f({ running: 'x', etcHostname: 'n1\n', etcHosts: '127.0.1.1 n1\n' }), { updateHosts: true })).toEqual({
      setRunning: true,
      hostnamectl: false,
    });
  });
  it('fileHostname skips comments', () => {
    expect(fileHostname('# x\n\n  n1  \n')).toBe('n1');
    expect(fileHostname(null)).toBeNull();
  });
});

describe('hostname module', () => {
  const out = joinParts({ '': 'running=old\ninit=sysv\n', 'etc-hostname': 'old\n', 'etc-hosts': DEB_HOSTS });
  it('parses the one read', () => {
    expect(parseHostname(out)).toEqual({ running: 'old', systemd: false, etcHostname: 'old\n', etcHosts: DEB_HOSTS });
    expect(parseHostname('running=x\ninit=systemd\n')).toEqual({ running: 'x', systemd: true, etcHostname: null, etcHosts: null });
  });
  it('change: hosts written before the name is set; facts returned; diffs for both files', async () => {
    const r = await runFake('hostname', { name: 'cloudnode001.cluster.example.com' }, (s) => (s.includes('uname -n') ? res(out) : res()));
    expect(r.commands).toHaveLength(2);
    const apply = r.commands[1]!.script;
    expect(apply.indexOf("'/etc/hosts'") >= 0 || apply.indexOf(' /etc/hosts') >= 0).toBe(true);
    expect(apply.indexOf('/etc/hosts')).toBeLessThan(apply.indexOf('hostname cloudnode001.cluster.example.com'));
    expect(r.result).toMatchObject({
      changed: true,
      ansible_facts: { ansible_hostname: 'cloudnode001', ansible_domain: 'cluster.example.com', ansible_fqdn: 'cloudnode001.cluster.example.com' },
    });
    expect((r.result.diff as unknown[]).length).toBe(2);
  });
  it.each(['-bad', 'a..b', 'under_score', 'x'.repeat(64)])('rejects %s', async (name) => {
    await expect(runFake('hostname', { name }, () => res())).rejects.toThrow(/invalid host name/);
  });
});

describe('writeFileCommand (run by a real sh in a temp dir)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syswrite-'));
  const sh = (s: string) => execFileSync('/bin/sh', ['-c', s], { encoding: 'utf8' });
  it('creates with the default mode, replaces keeping the old mode, leaves no temp file', () => {
    const f = join(dir, 'a b.conf');
    sh(writeFileCommand(f, "one 'quoted' $HOME `x`\n"));
    expect(readFileSync(f, 'utf8')).toBe("one 'quoted' $HOME `x`\n");
    expect(statSync(f).mode & 0o777).toBe(0o644);
    chmodSync(f, 0o600);
    sh(writeFileCommand(f, 'two\n'));
    expect(readFileSync(f, 'utf8')).toBe('two\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.startsWith('.tsplay'))).toEqual([]);
    writeFileSync(join(dir, 'm'), '');
    sh(writeFileCommand(join(dir, 'new'), 'x', { mode: '0640' }));
    expect(statSync(join(dir, 'new')).mode & 0o777).toBe(0o640);
  });
});
