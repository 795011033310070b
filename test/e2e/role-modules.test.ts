/**
 * The modules roles use (replace, ini_file, cron, fetch, find, tempfile, getent) against a real 2-host lab over real SSH + sudo.
 * tsplay runs on node1; ansible-core 2.14 (ansible / ansible-playbook on this machine) runs the same task on
 * node2, and the resulting files and results are compared. Host state is read from inside the hosts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/connection/ssh.js';
import type { ResultData } from '../../src/contract/define.js';
import { converge, runModule } from '../harness/modules.js';
import { labTarget, startLab, stopLab, type Lab } from '../harness/lab.js';

const LAB = 'rolemods';
let lab: Lab;
let conn: SshConnection;
let work: string;
const become = { become: true };

const ansibleEnv = {
  ...process.env,
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_RETRY_FILES_ENABLED: 'False',
  ANSIBLE_DEPRECATION_WARNINGS: 'False',
  ANSIBLE_PIPELINING: 'True',
  ANSIBLE_HOST_KEY_CHECKING: 'False',
};

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}
async function snapshot(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  return `rc=${r.rc}\n${r.stdout}${r.stderr}`;
}
/** the same files on both hosts */
async function both(cmd: string): Promise<void> {
  await sh('node1', cmd);
  await sh('node2', cmd);
}

/** ansible-playbook (2.14) runs `tasks` (YAML) on node2 as root; returns its output */
function ansiblePlaybook(tasks: string): string {
  const pb = join(work, `pb-${Date.now()}.yml`);
  writeFileSync(pb, `- hosts: node2\n  gather_facts: false\n  become: true\n  tasks:\n${tasks.replace(/^/gm, '    ')}\n`);
  const r = spawnSync('ansible-playbook', [pb, '-i', lab.inventory], { env: ansibleEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ansible-playbook failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}
/** `ansible node2 -m MODULE -a ARGS` as root: the module's JSON result */
function ansibleModule(module: string, args: Record<string, unknown>): ResultData {
  const r = spawnSync('ansible', ['node2', '-i', lab.inventory, '-b', '-m', module, '-a', JSON.stringify(args)], { env: ansibleEnv, encoding: 'utf8' });
  const json = r.stdout.slice(r.stdout.indexOf('{'));
  return JSON.parse(json) as ResultData;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'role-modules-'));
  lab = await startLab(LAB, { hosts: 2, sudo: 'nopasswd' });
  conn = new SshConnection(labTarget(lab, 'node1'));
});
afterAll(async () => {
  await conn?.close();
  await stopLab(LAB);
  rmSync(work, { recursive: true, force: true });
});

describe('role modules on a lab host', () => {
  it('replace: changed, then ok; check mode writes nothing; the file is byte for byte what Ansible writes', async () => {
    const f = '/etc/tsplay-replace.conf';
    const text = '# site\n[cloud]\nWeight=1\nServer=old.example:/srv\n[onprem]\nWeight=1\nServer=old.example:/srv\n';
    await both(`printf '%s' '${text}' > ${f}; chmod 0640 ${f}`);
    const args = { path: f, after: '\\[cloud\\]', before: '\\[onprem\\]', regexp: '^Server=old\\.example:(/\\S+)$', replace: 'Server=nfs01:\\1' };
    const c = await converge(conn, 'replace', args, {
      ...become,
      diff: true,
      unchanged: () => snapshot('node1', `stat -c '%a %U' ${f}; cat ${f}`),
      noopCommands: 1,
    });
    expect(c.first.result.msg).toBe('1 replacements made');
    const w = await converge(conn, 'ansible.builtin.replace', { path: f, regexp: '^Weight=1$', replace: 'Weight=100' }, become);
    expect(w.first.result.msg).toBe('2 replacements made');
    ansiblePlaybook(
      `- ansible.builtin.replace: ${JSON.stringify(args)}\n- ansible.builtin.replace: ${JSON.stringify({ path: f, regexp: '^Weight=1$', replace: 'Weight=100' })}`,
    );
    const mine = await sh('node1', `stat -c '%a %U %G' ${f}; od -c ${f}`);
    expect(mine).toContain('640 root root');
    expect(mine).toBe(await sh('node2', `stat -c '%a %U %G' ${f}; od -c ${f}`));
  });

  it('ini_file: changed, then ok; check mode writes nothing; the file is byte for byte what community.general writes', async () => {
    const f = '/etc/tsplay-site.ini';
    await both(
      `printf '[a]\\nx = 1\\n\\n[cloud]\\n# weight of the cloud nodes\\nweight = 1\\n\\n[b]\\ny=2' > ${f}; chmod 0600 ${f}; rm -f /etc/tsplay-new.ini`,
    );
    const tasks = [
      { path: f, section: 'cloud', option: 'weight', value: '100' },
      { path: f, section: 'cloud', option: 'nodes', value: '4', no_extra_spaces: true },
      { path: f, section: 'a', state: 'absent' },
      { path: f, option: 'top', value: 'yes' },
      { path: '/etc/tsplay-new.ini', section: 'new', option: 'k', values: ['1', '2'], mode: '0644' },
    ];
    for (const args of tasks) {
      const t = args.path === f ? f : args.path;
      await converge(conn, 'community.general.ini_file', args, { ...become, diff: true, unchanged: () => snapshot('node1', `stat -c '%a' ${t}; cat ${t}`) });
    }
    ansiblePlaybook(tasks.map((a) => `- community.general.ini_file: ${JSON.stringify(a)}`).join('\n'));
    const state = `for f in ${f} /etc/tsplay-new.ini; do stat -c '%a %U %G' $f; od -c $f; done`;
    const mine = await sh('node1', state);
    expect(mine).toContain('600 root root');
    expect(mine).toBe(await sh('node2', state));
  });

  it("cron: a user crontab and a cron.d file, changed then ok, check mode writes nothing, the same bytes as Ansible's cron", async () => {
    await both('crontab -u daemon -r 2>/dev/null; rm -f /etc/cron.d/tsplay-scratch; true');
    const tasks = [
      { name: 'clean scratch', minute: '15', hour: '3', job: 'find /scratch -mindepth 1 -mtime +14 -delete', user: 'daemon' },
      { name: 'MAILTO', env: true, job: 'hpc@example.org', user: 'daemon' },
      { name: 'at boot', special_time: 'reboot', job: '/usr/local/bin/boot-check', user: 'daemon', disabled: true },
      { name: 'nightly', hour: '2', job: '/usr/local/bin/nightly', user: 'root', cron_file: 'tsplay-scratch' },
    ];
    const state = 'crontab -u daemon -l 2>&1 | grep -v "^# (" ; stat -c "%a %U" /etc/cron.d/tsplay-scratch 2>&1; cat /etc/cron.d/tsplay-scratch 2>&1';
    for (const args of tasks)
      await converge(conn, 'ansible.builtin.cron', args, { ...become, diff: true, unchanged: () => snapshot('node1', state), noopCommands: 1 });
    ansiblePlaybook(tasks.map((a) => `- ansible.builtin.cron: ${JSON.stringify(a)}`).join('\n'));
    const mine = await sh('node1', state);
    expect(mine).toContain('#Ansible: clean scratch\n15 3 * * * find /scratch');
    expect(mine).toBe(await sh('node2', state));
    // removing the only job of a cron.d file removes the file, as Ansible does
    await converge(conn, 'cron', { name: 'nightly', state: 'absent', cron_file: 'tsplay-scratch' }, become);
    expect(await snapshot('node1', 'ls /etc/cron.d/tsplay-scratch')).toMatch(/^rc=2/);
    await both('crontab -u daemon -r 2>/dev/null; rm -f /etc/cron.d/tsplay-scratch; true');
  });

  it('fetch: dest/<host>/<src> on the controller, changed then ok, the same tree as Ansible writes', async () => {
    await both(`printf 'NodeName=cloud[1-4]\\n' > /etc/tsplay-fetch.conf; chmod 0600 /etc/tsplay-fetch.conf`);
    const mineDir = join(work, 'mine');
    const o = { ...become, controllerDir: mineDir };
    const r1 = (await runModule(conn, 'fetch', { src: '/etc/tsplay-fetch.conf', dest: 'fetched' }, o)).result;
    expect(r1).toMatchObject({ changed: true, dest: join(mineDir, 'fetched/node1/etc/tsplay-fetch.conf') });
    expect((await runModule(conn, 'fetch', { src: '/etc/tsplay-fetch.conf', dest: 'fetched' }, o)).result.changed).toBe(false);
    expect((await runModule(conn, 'fetch', { src: '/etc/tsplay-fetch.conf', dest: 'fetched' }, { ...o, check: true })).result.skipped).toBe(true);
    ansiblePlaybook(`- ansible.builtin.fetch: { src: /etc/tsplay-fetch.conf, dest: fetched }`);
    const theirs = readFileSync(join(work, 'fetched/node2/etc/tsplay-fetch.conf'));
    expect(readFileSync(String(r1.dest)).equals(theirs)).toBe(true);
    const a = ansibleModule('ansible.builtin.fetch', { src: '/etc/tsplay-fetch.conf', dest: join(work, 'fetched') });
    expect(a).toMatchObject({ changed: false, checksum: r1.checksum });
  });

  it("find: the same files, keys and counts as Ansible's find; nothing changes", async () => {
    const d = '/srv/tsplay-find';
    await both(`rm -rf ${d}; mkdir -p ${d}/sub/deep; printf 'Name=a\\n' > ${d}/a.conf; printf 'other\\n' > ${d}/b.conf; : > ${d}/.h.conf;
      printf 'x\\nName=c\\n' > ${d}/sub/c.conf; : > ${d}/sub/deep/d.conf; ln -s a.conf ${d}/l.conf; touch -d '2020-01-01' ${d}/b.conf`);
    const cases: Record<string, unknown>[] = [
      { paths: d, patterns: '*.conf' },
      { paths: d, patterns: '*.conf', recurse: true, hidden: true },
      { paths: d, recurse: true, depth: 2, file_type: 'any' },
      { paths: d, contains: 'Name=', recurse: true },
      { paths: d, patterns: '^[ab]', use_regex: true, age: '52w' },
      { paths: [d, '/nonexistent-x'], file_type: 'link' },
    ];
    for (const args of cases) {
      const r = (await runModule(conn, 'find', args, become)).result;
      const a = ansibleModule('ansible.builtin.find', args);
      const view = (x: ResultData) => ({
        matched: x.matched,
        examined: x.examined,
        msg: x.msg,
        changed: x.changed,
        skipped: Object.keys((x.skipped_paths as object) ?? {}),
        files: (x.files as Record<string, unknown>[]).map((f) => ({ ...f, atime: 0, mtime: 0, ctime: 0, inode: 0, dev: 0 })),
      });
      expect(view(r), JSON.stringify(args)).toEqual(view(a));
      expect(Object.keys((r.files as object[])[0] ?? {}).sort()).toEqual(Object.keys((a.files as object[])[0] ?? {}).sort());
    }
  });

  it('tempfile: a new 0600 file / 0700 directory each run (as Ansible: always changed); check mode creates nothing', async () => {
    const before = await sh('node1', 'ls -a /tmp | sort');
    const c = await runModule(conn, 'tempfile', { suffix: '.x' }, { ...become, check: true });
    expect(c.result.changed).toBe(true);
    expect(await sh('node1', 'ls -a /tmp | sort')).toBe(before);
    const f = (await runModule(conn, 'ansible.builtin.tempfile', { suffix: '.x' }, become)).result;
    const dir = (await runModule(conn, 'tempfile', { state: 'directory', prefix: 'build.', path: '/var/tmp' }, become)).result;
    expect(String(f.path)).toMatch(/^\/tmp\/ansible\.[a-z0-9_]{8}\.x$/);
    expect(String(dir.path)).toMatch(/^\/var\/tmp\/build\.[a-z0-9_]{8}$/);
    expect(await sh('node1', `stat -c '%F %a %U' ${f.path} ${dir.path}`)).toBe('regular empty file 600 root\ndirectory 700 root\n');
    const again = (await runModule(conn, 'tempfile', { suffix: '.x' }, become)).result;
    expect(again.path).not.toBe(f.path);
    const a = ansibleModule('ansible.builtin.tempfile', { suffix: '.x' });
    expect(await sh('node2', `stat -c '%F %a %U' ${a.path}`)).toBe('regular empty file 600 root\n');
    // Ansible's add_path_info keys, as ansible-core's tempfile returns them
    const keys = ['state', 'mode', 'owner', 'group', 'uid', 'gid', 'size'] as const;
    const pick = (r: ResultData) => Object.fromEntries(keys.map((k) => [k, r[k]]));
    expect(pick(f)).toEqual(pick(a));
    expect(pick(dir)).toMatchObject({ state: 'directory', mode: '0700', owner: 'root', uid: 0 });
  });

  it("getent: the same ansible_facts as Ansible's getent; a missing key fails the same way", async () => {
    for (const args of [
      { database: 'passwd', key: 'root' },
      { database: 'group' },
      { database: 'hosts', key: 'localhost' },
      { database: 'passwd', key: 'nobody-xyz', fail_key: false },
    ]) {
      const r = (await runModule(conn, 'getent', args, become)).result;
      const a = ansibleModule('ansible.builtin.getent', args);
      const facts = (x: ResultData) => {
        const t = (x.ansible_facts as Record<string, Record<string, unknown>>)[`getent_${args.database}`]!;
        // the hosts' own names (node1/node2) differ; compare the rest
        return Object.fromEntries(Object.entries(t).filter(([k]) => !/node[12]/.test(k)));
      };
      expect(r.changed).toBe(false);
      expect(facts(r), JSON.stringify(args)).toEqual(facts(a));
    }
    const miss = (await runModule(conn, 'getent', { database: 'passwd', key: 'nobody-xyz' }, become)).result;
    const am = ansibleModule('ansible.builtin.getent', { database: 'passwd', key: 'nobody-xyz' });
    expect(miss).toMatchObject({ failed: true, msg: am.msg });
  });
});
