/**
 * Modules tsplay has no native module for, run as Ansible modules (ansible-core on the controller builds the
 * payload, the target's Python runs it over the persistent root shell): a role's own library/ module, an
 * ansible.builtin module tsplay lacks (known_hosts), failures, and a host without Python. Two lab hosts over real
 * SSH + sudo; node2's python3 is moved away for the last test. Host state is read from inside the hosts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, ROOT, tsplay } from '../harness/cli.js';

const LAB = 'ansmod';
const FX = join(ROOT, 'test/fixtures/ansible-module');
let lab: Lab;

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 2, sudo: 'nopasswd' });
});
afterAll(async () => {
  await stopLab(LAB);
});

const run = (pb: string, ...args: string[]) => tsplay(['run', join(FX, pb), '-i', lab.inventory, ...args]);
const cat = async (host: string, path: string) => (await lab.exec(host, `cat ${path} 2>&1`)).stdout;

describe('Ansible modules where tsplay has none', () => {
  it("a role's library/ module (using the role's module_utils/): check mode changes nothing, then changed, then ok; the task line says what runs", async () => {
    const check = await run('site.yml', '--check', '--diff');
    expect(check.code, check.all).toBe(0);
    expect(check.stdout).toContain('TASK [marker : mark the file] (Ansible module tsplay_marker)');
    expect(check.stdout).toContain('+cloud=on');
    expect(recap(check.stdout)['node1']).toMatchObject({ changed: 1, failed: 0 });
    expect(await cat('node1', '/etc/tsplay-marker.conf')).toContain('No such file');

    const first = await run('site.yml');
    expect(first.code, first.all).toBe(0);
    expect(recap(first.stdout)['node1']).toMatchObject({ changed: 1, failed: 0 });
    expect(first.all).toContain('[WARNING]: node1: tsplay_marker wrote a line');
    // ansible_facts from the module are the host's facts; the registered result has the module's keys
    expect(first.stdout).toContain('fact=cloud=on result=added');
    expect(await cat('node1', '/etc/tsplay-marker.conf')).toBe('cloud=on\n');

    const second = await run('site.yml');
    expect(second.code, second.all).toBe(0);
    expect(recap(second.stdout)['node1']).toMatchObject({ changed: 0, ok: 2, failed: 0 });
    expect(second.stdout).toContain('result=present');
    expect(await cat('node1', '/etc/tsplay-marker.conf')).toBe('cloud=on\n');
  });

  it('ansible.builtin.known_hosts (no native module): changed, then ok; check mode writes nothing', async () => {
    await lab.exec('node1', 'rm -f /etc/ssh/ssh_known_hosts');
    const check = await run('known-hosts.yml', '--check');
    expect(check.code, check.all).toBe(0);
    expect(recap(check.stdout)['node1']).toMatchObject({ changed: 1 });
    expect(await cat('node1', '/etc/ssh/ssh_known_hosts')).toContain('No such file');
    const first = await run('known-hosts.yml');
    expect(first.code, first.all).toBe(0);
    expect(first.stdout).toContain('(Ansible module ansible.builtin.known_hosts)');
    expect(recap(first.stdout)['node1']).toMatchObject({ changed: 1 });
    expect(await cat('node1', '/etc/ssh/ssh_known_hosts')).toMatch(/^gw\.example ssh-ed25519 AAAAC3Nza\S+\n$/);
    const second = await run('known-hosts.yml');
    expect(recap(second.stdout)['node1']).toMatchObject({ changed: 0, ok: 1 });
  });

  it("community.general.pam_limits through the play's collections: (Debian's ansible package): check, changed, ok", async () => {
    const f = '/etc/security/limits.d/90-slurm.conf';
    await lab.exec('node1', `rm -f ${f}`);
    const check = await run('pam-limits.yml', '--check');
    expect(check.code, check.all).toBe(0);
    expect(check.stdout).toContain('TASK [slurmd may lock memory] (Ansible module community.general.pam_limits)');
    expect(recap(check.stdout)['node1']).toMatchObject({ changed: 1 });
    // the module itself creates the file empty before it looks at check mode (under ansible-playbook too): no limit written
    expect(await cat('node1', f)).not.toContain('memlock');
    const first = await run('pam-limits.yml');
    expect(recap(first.stdout)['node1'], first.all).toMatchObject({ changed: 1, failed: 0 });
    expect(await cat('node1', f)).toMatch(/^\*\s+-\s+memlock\s+unlimited$/m);
    const second = await run('pam-limits.yml');
    expect(recap(second.stdout)['node1'], second.all).toMatchObject({ changed: 0, ok: 1, failed: 0 });
  });

  it('become as the task says: root, the login user, another become_user', async () => {
    await lab.exec('node1', 'rm -f /tmp/tsplay-as-*');
    const r = await run('become.yml');
    expect(r.code, r.all).toBe(0);
    const owners = await lab.exec('node1', 'stat -c %U /tmp/tsplay-as-root /tmp/tsplay-as-login /tmp/tsplay-as-nobody');
    expect(owners.stdout.trim().split('\n')).toEqual(['root', 'ops', 'nobody']);
  });

  it("a module's failure, a crash (no JSON: MODULE FAILURE) and junk before the JSON", async () => {
    const r = await run('failures.yml');
    expect(r.code, r.all).toBe(0);
    // warnings are wrapped at the terminal width as Ansible's Display wraps them
    expect(r.all.replace(/\s+/g, ' ')).toContain('Module invocation had junk before the JSON data: some banner text');
    expect(r.stdout).toContain('tsplay_marker failed on purpose');
    expect(r.stdout).toContain('MODULE FAILURE');
    expect(r.stdout).toContain('tsplay_marker crashed on purpose');
    expect(recap(r.stdout)['node1']).toMatchObject({ changed: 2, failed: 0, ignored: 2 });
    expect(await cat('node1', '/tmp/tsplay-junk')).toBe('j\n');
  });

  it('check mode: a module without check-mode support reports itself skipped (as under ansible-playbook) and does nothing', async () => {
    await lab.exec('node1', 'rm -f /tmp/tsplay-nocheck');
    const r = await run('failures.yml', '--check', '-v');
    expect(r.stdout).toMatch(/skipping: \[node1\] => .*remote module \(tsplay_nocheck\) does not support check mode/);
    expect(recap(r.stdout)['node1']).toMatchObject({ skipped: 1 });
    expect(await cat('node1', '/tmp/tsplay-nocheck')).toContain('No such file');
  });

  it('a host without Python fails the task with a clear message; the other host runs it', async () => {
    await lab.exec('node2', 'for f in /usr/bin/python3*; do mv "$f" "$f.off"; done; rm -f /etc/tsplay-marker.conf');
    const r = await run('site.yml', '-e', 'target=all');
    expect(r.code, r.all).toBe(2);
    expect(r.stdout).toContain('needs Python on the target, and node2 has none');
    expect(r.all).not.toMatch(/Traceback|\n\s+at /);
    expect(recap(r.stdout)['node2']).toMatchObject({ failed: 1 });
    expect(recap(r.stdout)['node1']).toMatchObject({ failed: 0 });
  });
});
