/**
 * The file modules against real lab hosts over real SSH + sudo (lab 'filesmod': node1 NOPASSWD sudo,
 * node2 sudo with a password). Host state is checked from inside the host (as root, without ssh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/connection/ssh.js';
import type { Connection } from '../../src/connection/types.js';
import type { ResultData } from '../../src/contract/define.js';
import { converge as convergeOn, runModule, type RunModuleOpts } from '../harness/modules.js';
import { labTarget, startLab, stopLab, type Lab, type LabHost } from '../harness/lab.js';

const LAB = 'filesmod';
let lab: Lab;
const conns = new Map<string, SshConnection>();

function connection(h: LabHost): Connection {
  let c = conns.get(h.name);
  if (!c) {
    c = new SshConnection(labTarget(lab, h.name));
    conns.set(h.name, c);
  }
  return c;
}

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

async function run(
  host: LabHost,
  module: string,
  args: Record<string, unknown>,
  opts: RunModuleOpts = {},
): Promise<ResultData & { commands: number; ms: number }> {
  const t0 = performance.now();
  const r = await runModule(connection(host), module, args, opts);
  return { ...r.result, commands: r.commands.length, ms: performance.now() - t0 };
}

/** what `cmd` shows of the host (failures included: a missing file is a state too) */
async function snapshot(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  return `rc=${r.rc}\n${r.stdout}${r.stderr}`;
}

/** check mode (with diffs) changes nothing, first run changed, second run ok (one command) */
async function converge(host: LabHost, module: string, args: Record<string, unknown>, state: string, opts: RunModuleOpts = {}) {
  const c = await convergeOn(connection(host), module, args, { ...opts, diff: true, unchanged: () => snapshot(host.name, state), noopCommands: 1 });
  return { first: c.first.result };
}

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 2, sudo: 'mixed' });
});
afterAll(async () => {
  await Promise.all([...conns.values()].map((c) => c.close()));
  await stopLab(LAB);
});

describe.each(['node1', 'node2'])('file modules on %s', (name) => {
  const host = (): LabHost => lab.host(name);
  const become = { become: true };

  it('copy with become writes a root-owned file in /etc; diff shows the change', async () => {
    const dest = '/etc/tsplay-copy.conf';
    const { first } = await converge(
      host(),
      'copy',
      { content: 'listen=0.0.0.0\n', dest, mode: '0640' },
      `stat -c '%U %G %a' ${dest} 2>&1; cat ${dest} 2>&1`,
      become,
    );
    expect(first.diff![0]).toMatchObject({ before: '', after: 'listen=0.0.0.0\n' });
    expect(await sh(name, `stat -c '%U %G %a' ${dest}; cat ${dest}`)).toBe('root root 640\nlisten=0.0.0.0\n');
    const changed = await run(host(), 'copy', { content: 'listen=127.0.0.1\n', dest }, { ...become, diff: true });
    expect(changed.diff![0]).toMatchObject({ before: 'listen=0.0.0.0\n', after: 'listen=127.0.0.1\n' });
    expect(await sh(name, `stat -c '%U %G %a' ${dest}`)).toBe('root root 640\n'); // kept on rewrite
  });

  it("without become: files in the login user's home belong to ops; /etc is refused cleanly", async () => {
    await converge(host(), 'copy', { content: 'x\n', dest: '/home/ops/tsplay.txt' }, 'stat -c "%U %a" /home/ops/tsplay.txt 2>&1');
    expect(await sh(name, 'stat -c "%U %G %a" /home/ops/tsplay.txt')).toBe('ops ops 644\n');
    const denied = await run(host(), 'copy', { content: 'x\n', dest: '/etc/tsplay-denied' });
    expect(denied.failed).toBe(true);
    expect(denied.msg).toMatch(/Permission denied/);
    expect(await sh(name, 'ls -a /etc | grep -c tsplay || true')).toBe('1\n'); // only tsplay-copy.conf, no temp file
  });

  it('template renders variables; owner and mode are kept when rewriting an existing file', async () => {
    await sh(name, 'printf "old\\n" > /etc/tsplay-motd && chown ops:ops /etc/tsplay-motd && chmod 604 /etc/tsplay-motd');
    const { first } = await converge(
      host(),
      'template',
      { src: 'files/hello.conf.ejs', dest: '/etc/tsplay-motd' },
      'cat /etc/tsplay-motd; stat -c "%U %G %a" /etc/tsplay-motd',
      { ...become, vars: { port: 22 } },
    );
    expect(first.diff![0]).toMatchObject({ before: 'old\n', after: `hello ${name}\nport=22\n` });
    expect(await sh(name, 'stat -c "%U %G %a" /etc/tsplay-motd')).toBe('ops ops 604\n');
  });

  it('validate failure (visudo) leaves the old sudoers file untouched and no temp file behind', async () => {
    const dest = '/etc/sudoers.d/tsplay';
    await converge(host(), 'copy', { content: 'Defaults:ops !lecture\n', dest, mode: '0440', validate: '/usr/sbin/visudo -cf %s' }, `cat ${dest} 2>&1`, become);
    const listing = await sh(name, 'ls -A /etc/sudoers.d');
    expect(listing.split('\n')).toContain('tsplay');
    const bad = await run(host(), 'copy', { content: 'this is not sudoers\n', dest, mode: '0440', validate: '/usr/sbin/visudo -cf %s' }, become);
    expect(bad.failed).toBe(true);
    expect(bad.msg).toMatch(/^failed to validate: rc:1 error:.*syntax error/s);
    expect(await sh(name, `cat ${dest}; stat -c %a ${dest}`)).toBe('Defaults:ops !lecture\n440\n');
    expect(await sh(name, 'ls -A /etc/sudoers.d')).toBe(listing);
    expect((await run(host(), 'stat', { path: '/bin/true' }, become)).failed).toBeFalsy(); // sudo still works
  });

  it('lineinfile and blockinfile edit in place, backup like Ansible', async () => {
    await sh(name, 'printf "PermitRootLogin yes\\nUsePAM yes\\n" > /etc/tsplay-sshd && chmod 600 /etc/tsplay-sshd');
    const { first } = await converge(
      host(),
      'lineinfile',
      { path: '/etc/tsplay-sshd', regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no', backup: true },
      'cat /etc/tsplay-sshd',
      become,
    );
    expect(String(first.backup_file)).toMatch(/^\/etc\/tsplay-sshd\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d\.[A-Za-z0-9]{8}~$/);
    expect(await sh(name, `cat ${String(first.backup_file)}`)).toBe('PermitRootLogin yes\nUsePAM yes\n');
    await converge(
      host(),
      'blockinfile',
      { path: '/etc/tsplay-sshd', block: 'Match User ops\n  X11Forwarding no', insertbefore: '^UsePAM' },
      'cat /etc/tsplay-sshd',
      become,
    );
    expect(await sh(name, 'cat /etc/tsplay-sshd; stat -c %a /etc/tsplay-sshd')).toBe(
      'PermitRootLogin no\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch User ops\n  X11Forwarding no\n# END ANSIBLE MANAGED BLOCK\nUsePAM yes\n600\n',
    );
  });

  it('file: directory tree with recurse, link, touch (preserve), absent', async () => {
    await converge(
      host(),
      'file',
      { path: '/srv/tsplay/a/b', state: 'directory', owner: 'ops', mode: '0750' },
      'stat -c "%n %U %a" /srv/tsplay /srv/tsplay/a /srv/tsplay/a/b 2>&1',
      become,
    );
    await sh(name, 'touch /srv/tsplay/a/f && chmod 666 /srv/tsplay/a/f');
    await converge(
      host(),
      'file',
      { path: '/srv/tsplay', state: 'directory', recurse: true, owner: 'ops', group: 'ops', mode: 'u=rwX,g=rX,o=' },
      'find /srv/tsplay -exec stat -c "%n %U %G %a" {} +',
      become,
    );
    expect(await sh(name, 'find /srv/tsplay -exec stat -c "%n %U %G %a" {} + | sort')).toBe(
      '/srv/tsplay ops ops 750\n/srv/tsplay/a ops ops 750\n/srv/tsplay/a/b ops ops 750\n/srv/tsplay/a/f ops ops 640\n',
    );
    await converge(host(), 'file', { path: '/srv/tsplay/current', src: 'a', state: 'link' }, 'readlink /srv/tsplay/current 2>&1', become);
    await converge(
      host(),
      'file',
      { path: '/srv/tsplay/stamp', state: 'touch', modification_time: 'preserve', access_time: 'preserve' },
      'ls /srv/tsplay',
      become,
    );
    await converge(host(), 'file', { path: '/srv/tsplay', state: 'absent' }, 'ls /srv', become);
  });

  it('file in check mode: an owner/group the host lacks (name or id) is a warning, a known one none, as file.py', async () => {
    const p = '/srv/tsplay-ids';
    const ghost = `tsplayghost${name.slice(-1)}`;
    await sh(name, `rm -rf ${p}; touch ${p}; userdel ${ghost} 2>/dev/null; groupdel ${ghost} 2>/dev/null; true`);
    const state = `stat -c "%U %G %a" ${p}`;
    const before = await snapshot(name, state);
    const check = { ...become, check: true };
    const byName = await runModule(connection(host()), 'file', { path: p, owner: ghost, group: ghost }, check);
    expect(byName.warnings).toEqual([
      `failed to look up user ${ghost}. Create user up to this point in real play`,
      `failed to look up group ${ghost}. Create group up to this point in real play`,
    ]);
    const byId = await runModule(connection(host()), 'file', { path: p, owner: '111111', group: '111112' }, check);
    expect(byId.warnings).toEqual([
      'failed to look up user with uid 111111. Create user up to this point in real play',
      'failed to look up group with gid 111112. Create group up to this point in real play',
    ]);
    // a missing path still fails, with the warnings before it (the engine puts them in the result)
    const absent = await runModule(connection(host()), 'file', { path: `${p}-none`, owner: ghost }, check);
    expect(absent.result.failed).toBe(true);
    expect(absent.warnings).toEqual([`failed to look up user ${ghost}. Create user up to this point in real play`]);
    expect(await snapshot(name, state)).toBe(before);
    await sh(name, `groupadd -g 111112 ${ghost} && useradd -M -u 111111 -g ${ghost} ${ghost}`);
    try {
      expect((await runModule(connection(host()), 'file', { path: p, owner: ghost, group: ghost }, check)).warnings).toEqual([]);
      expect((await runModule(connection(host()), 'file', { path: p, owner: '111111', group: '111112' }, check)).warnings).toEqual([]);
      // and for real: first run changed, second ok, check mode changing nothing
      await converge(host(), 'file', { path: p, owner: ghost, group: ghost }, state, become);
      expect(await sh(name, state)).toBe(`${ghost} ${ghost} 644\n`);
    } finally {
      await sh(name, `rm -f ${p}; userdel ${ghost}; groupdel ${ghost} 2>/dev/null; true`);
    }
  });

  it('file recurse with follow (the default) changes what links below point to, follow=no only the tree, as file.py', async () => {
    const t = '/srv/tsplay-follow';
    await sh(
      name,
      `rm -rf ${t}*; mkdir -p ${t}/top ${t}-dir; touch ${t}-file ${t}-dir/foo; chmod 700 ${t}-file ${t}-dir ${t}-dir/foo; ` +
        `ln -s ../../tsplay-follow-file ${t}/top/l_file; ln -s ../../tsplay-follow-dir ${t}/top/l_dir; ln -s nowhere ${t}/top/l_broken`,
    );
    const modes = `stat -c "%n %a %U" ${t}-file ${t}-dir ${t}-dir/foo`;
    const before = await sh(name, modes);
    const noFollow = await runModule(connection(host()), 'file', { path: `${t}/top`, recurse: true, follow: false, mode: 'a-x' }, become);
    expect(noFollow.result.failed).toBeFalsy();
    expect(await sh(name, modes)).toBe(before);
    await converge(host(), 'file', { path: `${t}/top`, recurse: true, mode: 'a-x', owner: 'ops' }, modes, become);
    expect(await sh(name, modes)).toBe(`${t}-file 600 ops\n${t}-dir 600 ops\n${t}-dir/foo 600 ops\n`);
    // the links themselves: owner changed (lchown), still links
    expect(await sh(name, `stat -c "%U %F" ${t}/top/l_file ${t}/top/l_broken`)).toBe('ops symbolic link\nops symbolic link\n');
    await sh(name, `rm -rf ${t}*`);
  });

  it('stat reads one path in one command', async () => {
    const r = await run(host(), 'stat', { path: '/etc/passwd' });
    expect(r.commands).toBe(1);
    expect(r.stat).toMatchObject({ exists: true, isreg: true, mode: '0644', pw_name: 'root', uid: 0 });
    expect(r.stat).toMatchObject({ checksum: (await sh(name, 'sha1sum /etc/passwd')).split(' ')[0] });
  });

  it('no-op runs: one command each (timings printed)', async () => {
    const tasks: [string, Record<string, unknown>][] = [
      ['copy', { content: 'listen=127.0.0.1\n', dest: '/etc/tsplay-copy.conf' }],
      ['lineinfile', { path: '/etc/tsplay-sshd', line: 'UsePAM yes' }],
      ['file', { path: '/etc', state: 'directory' }],
      ['stat', { path: '/etc/hosts' }],
    ];
    for (const [m, a] of tasks) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await run(host(), m, a, become);
        expect(r.changed, `${m}: ${String(r.msg)}`).toBe(false);
        expect(r.commands).toBe(1);
        times.push(r.ms);
      }
      times.sort((x, y) => x - y);
      console.log(`${name} ${m} no-op: median ${times[2]!.toFixed(1)} ms (1 command)`);
    }
  });
});
