/**
 * `tsplay run` end to end against lab hosts over real SSH and sudo (issue "Engine core" §7):
 * first run changes, second run changes nothing, check mode changes nothing, diff shows the change,
 * a failing task fails only its host, an unreachable host gives exit 4 while the others finish,
 * a wrong sudo password fails cleanly and never shows, a changed host key is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, ROOT, tsplay } from '../harness/cli.js';

const LAB = 'clirun';
const PB = join(ROOT, 'test/fixtures/playbooks');
let lab: Lab;

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 3, sudo: 'mixed' });
});
afterAll(async () => {
  await stopLab(LAB);
});

const run = (args: string[], opts?: Parameters<typeof tsplay>[1]) => tsplay(['run', ...args, '-i', lab.inventory], opts);

describe('core playbook', () => {
  it('first run changes every host, as planned', async () => {
    const r = await run([join(PB, 'core.yml')]);
    expect(r.code, r.all).toBe(0);
    const rc = recap(r.stdout);
    for (const h of ['node1', 'node2', 'node3']) {
      expect(rc[h]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(rc[h]!.changed).toBe(6); // dir, motd, template, line, block, handler
    }
    // the hosts' real state
    for (const h of lab.hosts) {
      const st = await lab.exec(h.name, 'stat -c "%a %U %G" /etc/tsplay-e2e /etc/tsplay-e2e/motd /etc/tsplay-e2e/settings.conf');
      expect(st.stdout.trim().split('\n')).toEqual(['750 root root', '640 root root', '644 root root']);
      expect((await lab.exec(h.name, 'cat /etc/tsplay-e2e/motd')).stdout).toBe(`managed by tsplay on ${h.name}\n`);
      expect((await lab.exec(h.name, 'cat /etc/tsplay-e2e/settings.conf')).stdout).toBe(
        `# settings for ${h.name}\nname = ${h.name}\nmotd = managed by tsplay\n`,
      );
      expect((await lab.exec(h.name, 'cat /etc/tsplay-e2e/extra.conf')).stdout).toBe('extra = yes\n');
      expect((await lab.exec(h.name, 'cat /etc/tsplay-e2e/block.conf')).stdout).toBe(
        '# BEGIN ANSIBLE MANAGED BLOCK\nalpha\nbeta\n# END ANSIBLE MANAGED BLOCK\n',
      );
      expect((await lab.exec(h.name, 'cat /etc/tsplay-e2e/handler-ran')).stdout).toBe('motd changed\n');
    }
  });

  it('second run changes nothing', async () => {
    const r = await run([join(PB, 'core.yml')]);
    expect(r.code, r.all).toBe(0);
    for (const s of Object.values(recap(r.stdout))) expect(s).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    expect(r.stdout).not.toContain('RUNNING HANDLER');
  });

  it('check mode with diff reports the change, shows it, and changes nothing', async () => {
    const before = await lab.exec('node1', 'cat /etc/tsplay-e2e/motd; stat -c %Y /etc/tsplay-e2e/motd');
    const r = await run([join(PB, 'core.yml'), '--check', '--diff', '-e', 'motd="new text"']);
    expect(r.code, r.all).toBe(0);
    for (const s of Object.values(recap(r.stdout))) expect(s.changed).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toContain('-managed by tsplay on node1');
    expect(r.stdout).toContain('+new text on node1');
    expect(r.stdout).toContain('+motd = new text');
    const after = await lab.exec('node1', 'cat /etc/tsplay-e2e/motd; stat -c %Y /etc/tsplay-e2e/motd');
    expect(after.stdout).toBe(before.stdout);
    expect((await lab.exec('node1', 'ls -a /etc/tsplay-e2e')).stdout).not.toMatch(/tsplay\.|\.tmp/);
  });
});

describe('failures', () => {
  it('a failing task fails only its host; the others finish (exit 2)', async () => {
    await Promise.all(lab.hosts.map((h) => lab.exec(h.name, 'rm -f /tmp/tsplay-progress')));
    const r = await run([join(PB, 'partial-failure.yml')]);
    expect(r.code, r.all).toBe(2);
    expect(r.stdout).toContain('fatal: [node2]: FAILED!');
    expect(r.stdout).toContain('node2 is broken on purpose');
    const rc = recap(r.stdout);
    expect(rc['node2']).toMatchObject({ failed: 1 });
    expect(rc['node1']).toMatchObject({ failed: 0, changed: 1 });
    expect(rc['node3']).toMatchObject({ failed: 0, changed: 1 });
    expect((await lab.exec('node1', 'cat /tmp/tsplay-progress')).stdout).toBe('reached\n');
    expect((await lab.exec('node2', 'test -e /tmp/tsplay-progress; echo $?')).stdout.trim()).toBe('1');
  });

  it('a wrong sudo password is one clean failure for that host and never shows', async () => {
    const secret = 'Wr0ng-Sudo-Pa55-4711';
    const r = await run([join(PB, 'ping.yml'), '-l', 'node2', '-e', `ansible_become_password=${secret}`, '-vvv']);
    expect(r.code, r.all).toBe(2);
    expect(r.stdout).toMatch(/fatal: \[node2\]: FAILED! =>[\s\S]*incorrect.*password/i);
    expect(r.all).not.toContain(secret);
    expect(r.all).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    // exactly one failed attempt reached sudo: no retry loop
    const log = await lab.exec('node2', 'grep -c "incorrect password attempt" /var/log/auth.log 2>/dev/null || ps ax | grep -c "[s]udo -S"');
    expect(Number(log.stdout.trim() || '0')).toBeLessThanOrEqual(1);
  });

  it('the right password from the inventory works on a password-sudo host', async () => {
    const r = await run([join(PB, 'ping.yml'), '-l', 'node2']);
    expect(r.code, r.all).toBe(0);
  });

  it('-K asks for the sudo password once (read from stdin without a terminal)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-inv-'));
    const inv = join(dir, 'hosts.yml');
    // node2 needs a sudo password; this inventory does not give it
    writeFileSync(
      inv,
      [
        'all:',
        '  vars:',
        '    ansible_user: ops',
        `    ansible_ssh_private_key_file: ${lab.key}`,
        `    ansible_ssh_common_args: '-o UserKnownHostsFile=${lab.knownHosts}'`,
        '  hosts:',
        `    node2: {ansible_host: ${lab.host('node2').ip}}`,
        '',
      ].join('\n'),
    );
    const without = await tsplay(['run', join(PB, 'ping.yml'), '-i', inv]);
    expect(without.code, without.all).toBe(2);
    expect(without.stdout).toMatch(/sudo.*password/i);
    const withK = await tsplay(['run', join(PB, 'ping.yml'), '-i', inv, '-K'], { input: 'ops-pass\n' });
    expect(withK.code, withK.all).toBe(0);
    expect(withK.stderr).toContain('BECOME password:');
    expect(withK.all).not.toContain('ops-pass');
  });

  it('a changed host key is refused (exit 4), the other hosts go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-kh-'));
    const kh = join(dir, 'known_hosts');
    copyFileSync(lab.knownHosts, kh);
    // give node1 another host's (valid, but wrong) keys
    const lines = readFileSync(lab.knownHosts, 'utf8').split('\n');
    const names = (l: string) => (l.split(' ')[0] ?? '').split(',');
    const keyOf = (host: string, type: string) =>
      lines
        .find((l) => names(l).includes(host) && l.split(' ')[1] === type)
        ?.split(' ')
        .slice(1)
        .join(' ');
    const forged = lines
      .map((l) => (names(l).includes(lab.host('node1').ip) ? `${names(l).join(',')} ${keyOf(lab.host('node3').ip, l.split(' ')[1]!)}` : l))
      .join('\n');
    expect(forged).not.toBe(lines.join('\n'));
    writeFileSync(kh, forged);
    const r = await run([join(PB, 'ping.yml'), '-e', `ansible_ssh_common_args="-o UserKnownHostsFile=${kh}"`]);
    expect(r.code, r.all).toBe(4);
    expect(r.stdout).toMatch(/fatal: \[node1\]: UNREACHABLE!.*(changed|REMOTE HOST IDENTIFICATION)/i);
    expect(recap(r.stdout)['node3']).toMatchObject({ ok: 2, failed: 0, unreachable: 0 });
  });

  it('a host whose sshd is stopped is unreachable (exit 4) while the others finish', async () => {
    await lab.exec('node3', 'kill $(cat /run/sshd.pid)');
    try {
      const r = await run([join(PB, 'ping.yml')]);
      expect(r.code, r.all).toBe(4);
      expect(r.stdout).toMatch(/fatal: \[node3\]: UNREACHABLE!/);
      const rc = recap(r.stdout);
      expect(rc['node3']).toMatchObject({ unreachable: 1 });
      expect(rc['node1']).toMatchObject({ ok: 2, unreachable: 0, failed: 0 });
      expect(rc['node2']).toMatchObject({ ok: 2, unreachable: 0, failed: 0 });
    } finally {
      await lab.restart('node3');
    }
  });
});

describe('timeouts', () => {
  it('timeout: kills a hung command on the host; the next task runs in the same shell', async () => {
    const t0 = Date.now();
    const r = await run([join(PB, 'timeout.yml')]);
    expect(r.code, r.all).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000); // not the 60 s of the command
    expect(r.stdout).toMatch(/fatal: \[node1\]: FAILED! .*timed out after 2 s/);
    expect(r.stdout).toContain('...ignoring');
    expect(recap(r.stdout)['node1']).toMatchObject({ failed: 0, ignored: 1 });
    expect((await lab.exec('node1', 'pgrep -fx "sleep 60" || echo none')).stdout.trim()).toBe('none');
  });
});

describe('load errors', () => {
  it('a YAML syntax error names file:line:col, exit 4, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-pb-'));
    const f = join(dir, 'bad.yml');
    writeFileSync(f, '- hosts: all\n  tasks:\n    - name: x\n      copy: {dest: /tmp/x\n');
    const r = await run([f]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.]/g, '\\.')}:\\d+:\\d+: YAML syntax error`));
    expect(r.all).not.toMatch(/\n\s+at /);
  });

  it('an unknown module suggests the nearest name, with its location', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-pb-'));
    const f = join(dir, 'bad.yml');
    writeFileSync(f, '- hosts: all\n  tasks:\n    - name: x\n      cpoy:\n        dest: /tmp/x\n');
    const r = await run([f]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${f}:4:7: unknown module 'cpoy'`);
    expect(r.stderr).toContain("did you mean 'copy'?");
  });

  it("an unknown argument is a load error with the argument's line (exit 4, nothing runs)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-pb-'));
    const f = join(dir, 'bad.yml');
    writeFileSync(f, '- hosts: node1\n  gather_facts: false\n  tasks:\n    - name: x\n      copy:\n        dest: /tmp/x\n        contnet: hi\n');
    const r = await run([f]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${f}:7:9: copy: unknown argument 'contnet'`);
    expect(r.stderr).toContain("did you mean 'content'?");
    expect(r.stdout).not.toContain('TASK [');
  });
});
