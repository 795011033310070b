import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSshArgs, splitWords } from '../../src/connection/ssh-args.js';
import { DEAD_CAP_MS, liveness } from '../../src/connection/ssh.js';
import { targetFromVars } from '../../src/connection/target.js';
import { TsplayError } from '../../src/errors.js';
import { mask } from '../../src/output/mask.js';

describe('ssh args', () => {
  it('splits like a shell', () => {
    expect(splitWords(`-o 'UserKnownHostsFile=/a b' -o"X=\\"y\\"" c\\ d`)).toEqual(['-o', 'UserKnownHostsFile=/a b', '-oX="y"', 'c d']);
  });

  it('reads the options tsplay honours; the first value wins as in OpenSSH', () => {
    const o = parseSshArgs(
      '-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="~/kh /etc/kh2" -oConnectTimeout=3 ' +
        '-o StrictHostKeyChecking=no -o ServerAliveInterval 5 -p 2200 -l admin -i ~/.ssh/k -o LogLevel=ERROR',
      '/home/u',
    );
    expect(o).toEqual({
      hostKeyChecking: 'accept-new',
      knownHostsFiles: ['/home/u/kh', '/etc/kh2'],
      connectTimeoutMs: 3000,
      keepaliveIntervalMs: 5000,
      port: 2200,
      user: 'admin',
      privateKeyFile: '/home/u/.ssh/k',
    });
    expect(parseSshArgs('-o ServerAliveCountMax=1 -oServerAliveCountMax=7', '/h').keepaliveCountMax).toBe(1);
    expect(parseSshArgs('-o ServerAliveCountMax 0', '/h').keepaliveCountMax).toBe(0);
    expect(parseSshArgs('-o ServerAliveCountMax=lots', '/h').keepaliveCountMax).toBeUndefined();
    expect(parseSshArgs('-o StrictHostKeyChecking=yes', '/h').hostKeyChecking).toBe('strict');
    expect(parseSshArgs('-o UserKnownHostsFile=/dev/null', '/h').knownHostsFiles).toEqual(['/dev/null']);
  });
});

describe('dead host deadline (ServerAliveInterval / ServerAliveCountMax)', () => {
  const of = (args: string) => liveness(targetFromVars('h', { ansible_ssh_common_args: args }));

  it('declares a silent host dead after 12 s by default, probing every 3 s', () => {
    expect(of('')).toEqual({ probeMs: 3000, deadMs: 12_000 });
  });

  it('keeps probing when the inventory turns keepalives off (ServerAliveInterval=0)', () => {
    expect(of('-o ServerAliveInterval=0')).toEqual({ probeMs: 3000, deadMs: 12_000 });
    expect(liveness({ keepaliveIntervalMs: 0 })).toEqual({ probeMs: 3000, deadMs: 12_000 });
  });

  it('follows OpenSSH: interval × (count + 1), so CountMax makes it stricter or looser', () => {
    expect(of('-o ServerAliveInterval=1 -o ServerAliveCountMax=3')).toEqual({ probeMs: 1000, deadMs: 4000 });
    expect(of('-o ServerAliveInterval=2 -o ServerAliveCountMax=1')).toEqual({ probeMs: 2000, deadMs: 4000 });
    expect(of('-o ServerAliveCountMax=9')).toEqual({ probeMs: 3000, deadMs: 30_000 });
    // CountMax=0: OpenSSH gives up after one silent interval; tsplay still probes within it
    expect(of('-o ServerAliveInterval=4 -o ServerAliveCountMax=0')).toEqual({ probeMs: 2000, deadMs: 4000 });
  });

  it('caps a loose setting at 120 s and then probes often enough to keep a live host', () => {
    expect(DEAD_CAP_MS).toBe(120_000);
    expect(of('-o ServerAliveInterval=60 -o ServerAliveCountMax=10')).toEqual({ probeMs: 60_000, deadMs: 120_000 });
    expect(of('-o ServerAliveInterval=600')).toEqual({ probeMs: 60_000, deadMs: 120_000 });
  });
});

describe('targetFromVars', () => {
  it('-c/--connection applies where the host variables set no ansible_connection (they win, as in Ansible)', () => {
    expect(targetFromVars('web1', {}, { connection: 'local' }).connection).toBe('local');
    expect(targetFromVars('web1', { ansible_connection: 'ssh' }, { connection: 'local' }).connection).toBe('ssh');
    expect(() => targetFromVars('web1', {}, { connection: 'winrm' })).toThrow(/ansible_connection "winrm" is not supported/);
  });
  it('uses defaults like OpenSSH/Ansible', () => {
    const t = targetFromVars('web1', {});
    expect(t).toMatchObject({
      name: 'web1',
      host: 'web1',
      port: 22,
      connection: 'ssh',
      hostKeyChecking: 'strict',
      knownHostsFiles: [join(homedir(), '.ssh', 'known_hosts')],
      globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts'],
      connectTimeoutMs: 10_000,
      becomeMethod: 'sudo',
    });
    expect(t.user).toBeTruthy();
    expect(targetFromVars('localhost', {}).connection).toBe('local');
    expect(targetFromVars('localhost', { ansible_connection: 'ssh' }).connection).toBe('ssh');
  });

  it('reads the Ansible connection variables and the ssh args', () => {
    const t = targetFromVars('n1', {
      ansible_host: '10.1.2.3',
      ansible_port: 2222,
      ansible_user: 'ops',
      ansible_password: 'pw-1',
      ansible_ssh_private_key_file: '~/keys/id',
      ansible_become_password: 'sudo-pw-1',
      ansible_ssh_common_args: '-o UserKnownHostsFile=/tmp/kh -o StrictHostKeyChecking=accept-new',
      ansible_ssh_extra_args: '-o ConnectTimeout=4',
    });
    expect(t).toMatchObject({
      host: '10.1.2.3',
      port: 2222,
      user: 'ops',
      password: 'pw-1',
      privateKeyFile: join(homedir(), 'keys/id'),
      becomePassword: 'sudo-pw-1',
      knownHostsFiles: ['/tmp/kh'],
      hostKeyChecking: 'accept-new',
      connectTimeoutMs: 4000,
    });
    expect(mask('x pw-1 sudo-pw-1')).toBe('x ******** ********');
  });

  it('lets host variables win over -u/--private-key/-K/--timeout, and --host-key-checking win over the inventory', () => {
    const cli = { user: 'cliuser', privateKeyFile: '/cli/key', becomePassword: 'cli-pw', timeoutSec: 7, hostKeyChecking: 'no' as const };
    const vars = { ansible_user: 'ops', ansible_ssh_common_args: '-o StrictHostKeyChecking=yes' };
    expect(targetFromVars('a', vars, cli)).toMatchObject({
      user: 'ops',
      privateKeyFile: '/cli/key',
      becomePassword: 'cli-pw',
      connectTimeoutMs: 7000,
      hostKeyChecking: 'no',
    });
    expect(targetFromVars('a', { ansible_become_password: 'v' }, cli).becomePassword).toBe('v');
    expect(targetFromVars('a', {}, { user: 'cliuser' }).user).toBe('cliuser');
    expect(targetFromVars('a', { ansible_host_key_checking: false }).hostKeyChecking).toBe('no');
  });

  it('refuses what it cannot do, naming the host', () => {
    expect(() => targetFromVars('w', { ansible_connection: 'winrm' })).toThrow(TsplayError);
    expect(() => targetFromVars('w', { ansible_become_method: 'su' })).toThrow(/ansible_become_method "su" is not supported/);
    expect(() => targetFromVars('w', { ansible_port: 'abc' })).toThrow(/w: ansible_port must be a number/);
  });
});
