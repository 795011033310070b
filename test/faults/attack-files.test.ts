/**
 * What an unprivileged user on a target can do to a root run through the file modules, tried
 * as that user would: `ops` plants symlinks over real SSH, then a playbook runs with become (real sudo) and
 * every task that could be redirected to /etc/shadow is looked at from inside the host afterwards.
 *
 * fs.protected_symlinks is a kernel-wide sysctl (not per namespace, and /proc/sys/fs is read-only in a lab
 * host): the lab host has whatever this machine has. With 0 (as here, and on some hosts) nothing but tsplay
 * stands between ops's link and root; with 1 the kernel refuses too, and only the follow: true case differs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsplay, type CliResult } from '../harness/cli.js';
import { startLab, stopLab, type Lab } from '../harness/lab.js';

const LAB = 'atfiles';
const H = 'node1';
let lab: Lab;
let work: string;
let protectedSymlinks: string;
let n = 0;

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 1, sudo: 'nopasswd' });
  work = mkdtempSync(join(tmpdir(), 'tsplay-attack-'));
  protectedSymlinks = (await root('cat /proc/sys/fs/protected_symlinks')).trim();
  console.log(`lab kernel: fs.protected_symlinks=${protectedSymlinks}`);
});
afterAll(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  await stopLab(LAB);
});

async function root(cmd: string): Promise<string> {
  const r = await lab.exec(H, cmd);
  if (r.rc !== 0) throw new Error(`${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}
/** what the attacker does: a command as ops over ssh */
async function asOps(cmd: string): Promise<string> {
  const r = await lab.ssh(H, cmd);
  if (r.rc !== 0) throw new Error(`as ops: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}
/** one play with become on the lab host (a playbook written as JSON, which is YAML) */
async function play(tasks: Record<string, unknown>[]): Promise<CliResult> {
  const pb = join(work, `play${n++}.yml`);
  writeFileSync(pb, JSON.stringify([{ hosts: H, become: true, gather_facts: false, tasks }]));
  return tsplay(['run', pb, '-i', lab.inventory]);
}
const shadow = () => root('stat -c "%a %U:%G %s %Y" /etc/shadow; sha1sum /etc/shadow');

describe('symlinks ops planted in /tmp (sticky, world-writable) do not redirect a root task', () => {
  const attacks: [string, Record<string, unknown>][] = [
    ['file state=file mode=0666', { file: { path: '/tmp/x', state: 'file', mode: '0666' } }],
    ['file state=touch mode=0666', { file: { path: '/tmp/x', state: 'touch', mode: '0666' } }],
    ['file state=file owner=ops', { file: { path: '/tmp/x', state: 'file', owner: 'ops' } }],
    ['lineinfile', { lineinfile: { path: '/tmp/x', line: 'ops::0:0:99999:7:::' } }],
    ['blockinfile', { blockinfile: { path: '/tmp/x', block: 'ops::0:0:99999:7:::' } }],
  ];
  for (const [what, task] of attacks) {
    it(`${what} on /tmp/x -> /etc/shadow: refused with the link, its owner and the option; /etc/shadow unchanged`, async () => {
      await asOps('rm -f /tmp/x; ln -s /etc/shadow /tmp/x');
      const before = await shadow();
      const r = await play([task]);
      expect(r.code, r.all).toBe(2);
      expect(r.all).toContain(
        'refusing to follow the symlink /tmp/x: it is owned by ops (uid 1000) and lies in /tmp, a world-writable sticky directory owned by root, ' +
          "so another user could have planted it to redirect this task to another file (the kernel's protected_symlinks rule). Set follow: true on the task to follow it anyway.",
      );
      expect(await shadow()).toBe(before);
    });
  }

  it('file state=directory through a link to /etc, and copy or file absent through a link on the way: refused, /etc unchanged', async () => {
    await asOps('rm -f /tmp/x /tmp/d; ln -s /etc /tmp/x; ln -s /etc /tmp/d');
    const etc = 'stat -c %a /etc; ls -A /etc | sha1sum; ls -A /etc/sudoers.d; cat /etc/sudoers.d/* | sha1sum';
    const before = await root(etc);
    for (const task of [
      { file: { path: '/tmp/x', state: 'directory', mode: '0777' } },
      { copy: { dest: '/tmp/d/sudoers.d/ops', content: 'ops ALL=(ALL) NOPASSWD: ALL\n' } },
      { file: { path: '/tmp/d/shadow', state: 'absent' } },
    ]) {
      const r = await play([task]);
      expect(r.code, r.all).toBe(2);
      expect(r.all).toMatch(/refusing to follow the symlink \/tmp\/[xd]/);
    }
    expect(await root(etc)).toBe(before);
  });

  it('copy/template with a link at dest replace the link (never follow it), as before', async () => {
    await asOps('rm -f /tmp/x; ln -s /etc/shadow /tmp/x');
    const before = await shadow();
    const r = await play([{ copy: { dest: '/tmp/x', content: 'root wrote this\n', mode: '0644' } }]);
    expect(r.code, r.all).toBe(0);
    expect(await root('stat -c "%F %U" /tmp/x; cat /tmp/x')).toBe('regular file root\nroot wrote this\n');
    expect(await shadow()).toBe(before);
  });

  it('links root or the task asked for are followed: a root-owned link, and follow: true', async () => {
    await root('printf "a\\n" > /root/target; rm -f /tmp/rootlink; ln -s /root/target /tmp/rootlink');
    const ok = await play([{ lineinfile: { path: '/tmp/rootlink', line: 'b' } }]);
    expect(ok.code, ok.all).toBe(0);
    expect(await root('cat /root/target')).toBe('a\nb\n');
    await asOps('rm -f /tmp/mine; ln -s /root/target /tmp/mine');
    const asked = await play([{ lineinfile: { path: '/tmp/mine', line: 'c', follow: true } }]);
    if (protectedSymlinks === '0') {
      expect(asked.code, asked.all).toBe(0);
      expect(await root('cat /root/target')).toBe('a\nb\nc\n');
    } else {
      // the kernel itself refuses root to follow ops's link in /tmp
      expect(asked.code, asked.all).toBe(2);
    }
  });
});

describe('backup: true', () => {
  it("ops plants links to /etc/shadow at every name Ansible's scheme predicts: the backup is a new file, /etc/shadow untouched", async () => {
    await root('printf "old\\n" > /tmp/app.conf; chmod 0640 /tmp/app.conf; rm -f /tmp/app.conf.*');
    // DEST.PID.YYYY-MM-DD@HH:MM:SS~ for the next 400 pids of the host's pid namespace and the next 15 s
    const planted = Number(
      await asOps(`python3 - <<'EOF'
import os, time
last = int(open('/proc/sys/kernel/ns_last_pid').read())
now = time.time()
n = 0
for pid in range(last + 1, last + 401):
    for s in range(0, 15):
        stamp = time.strftime('%Y-%m-%d@%H:%M:%S', time.localtime(now + s))
        os.symlink('/etc/shadow', f'/tmp/app.conf.{pid}.{stamp}~')
        n += 1
print(n)
EOF`),
    );
    expect(planted).toBe(6000);
    const before = await shadow();
    const r = await play([{ copy: { dest: '/tmp/app.conf', content: 'new\n', backup: true }, register: 'w' }, { debug: { var: 'w.backup_file' } }]);
    expect(r.code, r.all).toBe(0);
    const backup = /"w\.backup_file": "([^"]+)"/.exec(r.all)?.[1];
    expect(backup, r.all).toMatch(/^\/tmp\/app\.conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d\.[A-Za-z0-9]{8}~$/);
    expect(await root(`stat -c "%F %a %U" ${backup}; cat ${backup}`)).toBe('regular file 640 root\nold\n');
    expect(await root('cat /tmp/app.conf')).toBe('new\n');
    expect(await shadow()).toBe(before);
    // the attacker had guessed the predictable part right: only the random part (and O_EXCL) stopped it
    const predicted = backup!.replace(/\.[A-Za-z0-9]{8}~$/, '~');
    expect(await root(`readlink ${predicted}`)).toBe('/etc/shadow\n');
    expect(await root('find /tmp -maxdepth 1 -name "app.conf.*" -type l | wc -l')).toBe('6000\n');
  });
});

describe('values written as one line of a file', () => {
  it('a newline from a variable in sysctl value or authorized_key comment is refused: no second line, no second key', async () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3dLwJ5i7mO0fYxXvQm3YV3F0tqGJ1w0nXKXAuN7Ue ops@lab';
    const files = 'cat /etc/sysctl.conf | sha1sum; cat /home/ops/.ssh/authorized_keys | sha1sum';
    const before = await root(files);
    const sysctl = await play([
      { sysctl: { name: 'kernel.domainname', value: '{{ v }}', sysctl_set: false, reload: false }, vars: { v: 'example.org\nnet.ipv4.ip_forward = 1' } },
    ]);
    expect(sysctl.code, sysctl.all).toBe(2);
    expect(sysctl.all).toContain("sysctl: argument 'value' must be one line, but contains a newline (\\\\n) at position 12"); // JSON-escaped in the result
    const ak = await play([{ authorized_key: { user: 'ops', key, comment: '{{ c }}' }, vars: { c: `x\n${key.replace('ops@lab', 'mallory')}` } }]);
    expect(ak.code, ak.all).toBe(2);
    expect(ak.all).toContain("authorized_key: argument 'comment' must be one line, but contains a newline (\\\\n) at position 2");
    expect(await root(files)).toBe(before);
  });
});
