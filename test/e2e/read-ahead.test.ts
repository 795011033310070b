/**
 * Read-ahead (src/facts/read-ahead.ts) against lab hosts over real SSH and sudo: the run after a first one asks
 * every remembered read at once and answers exactly as reading task by task does (--no-persist), sees what
 * changed on a host between runs, and never serves a read made before a task changed a host: neither a
 * command that changes a file it reports unchanged (changed_when: false), nor a task delegated from another
 * host, nor what was read before an until retry or a wait_for (the host may have moved on meanwhile). Every run uses this file's own runtime dir (TSPLAY_PERSIST_DIR), never a developer's holder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, tsplay } from '../harness/cli.js';

const LAB = 'read-ahead';
let lab: Lab;
const work = mkdtempSync(join(tmpdir(), 'tsplay-read-ahead-e2e-'));
const dir = join(work, 'rt');

const MAIN = `- hosts: all
  become: true
  gather_facts: false
  tasks:
    - file: path=/opt/ra state=directory mode=0755
    - copy: content="port=80\\n" dest=/opt/ra/app.conf mode=0644
    - lineinfile: path=/opt/ra/lines.conf line="added=1" create=yes
    - lineinfile: path=/opt/ra/lines.conf regexp='^port=' line='port=8080'
    - blockinfile: path=/opt/ra/block.conf create=yes block="a=1\\nb=2"
    - file: src=/opt/ra/app.conf dest=/opt/ra/app.link state=link
    - copy: content="host={{ inventory_hostname }}\\n" dest=/opt/ra/host.conf
    - file: path=/opt/ra/stamp state=touch modification_time=preserve access_time=preserve
`;
// a command that rewrites a file and says it changed nothing, then an edit of that file
const TRAP = `- hosts: all
  become: true
  gather_facts: false
  tasks:
    - file: path=/opt/ra state=directory mode=0755
    - lineinfile: path=/opt/ra/trap.conf line="added" create=yes
    - shell: printf 'base\\n' > /opt/ra/trap.conf
      changed_when: false
    - lineinfile: path=/opt/ra/trap.conf line="added" create=yes
`;
// node1 rewrites a file on node2 (delegate_to), then every host edits its own copy
const DELEGATED = `- hosts: all
  become: true
  gather_facts: false
  tasks:
    - lineinfile: path=/opt/ra/deleg.conf line="own" create=yes
    - shell: printf 'delegated\\n' > /opt/ra/deleg.conf
      delegate_to: node2
      changed_when: false
      when: inventory_hostname == 'node1'
    - lineinfile: path=/opt/ra/deleg.conf line="own" create=yes
`;
// a stat that retries until a file appears (made on the host while the task retries)
const UNTIL = `- hosts: node1
  become: true
  gather_facts: false
  tasks:
    - file: path=/opt/ra/started state=touch
    - stat: path=/opt/ra/flag
      register: r
      until: r.stat.exists
      retries: 20
      delay: 1
`;
// a read made (ahead) before a wait_for, and the same file changed on the host while it waited
const WAIT = `- hosts: node1
  become: true
  gather_facts: false
  tasks:
    - lineinfile: path=/opt/ra/wait.conf line="own" create=yes
    - wait_for: path=/opt/ra/go timeout=60
    - copy: content="mine\\n" dest=/opt/ra/wait2.conf
`;

const pb = (name: string, text: string): string => {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
};
const run = (playbook: string, args: string[] = []) => tsplay(['run', playbook, '-i', lab.inventory, ...args], { env: { TSPLAY_PERSIST_DIR: dir } });
const warm = (playbook: string) => run(playbook, ['--persist', '60']);
const changed = (out: string) => Object.fromEntries(Object.entries(recap(out)).map(([h, s]) => [h, s.changed]));

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 2, sudo: 'nopasswd' });
  for (const h of ['node1', 'node2']) await lab.exec(h, 'rm -rf /opt/ra');
}, 180_000);
afterAll(async () => {
  await tsplay(['persist', 'stop'], { env: { TSPLAY_PERSIST_DIR: dir } });
  if (lab) for (const h of ['node1', 'node2']) await lab.exec(h, 'rm -rf /opt/ra').catch(() => undefined);
  await stopLab(LAB);
  rmSync(work, { recursive: true, force: true });
});

describe('read-ahead over lab hosts', () => {
  it('the warm run answers as task-by-task reading does; what is kept is private and holds no content', async () => {
    const main = pb('main.yml', MAIN);
    const first = await warm(main);
    expect(first.code, first.all).toBe(0);
    expect(changed(first.stdout)).toEqual({ node1: 8, node2: 8 });
    const learned = await warm(main);
    expect(changed(learned.stdout), learned.all).toEqual({ node1: 0, node2: 0 });
    const ahead = await warm(main);
    const direct = await run(main, ['--no-persist']);
    expect(ahead.code, ahead.all).toBe(0);
    // the same lines (hosts within a task come in the order they finish, as in Ansible)
    const lines = (out: string) => out.split('\n').sort();
    expect(lines(ahead.stdout)).toEqual(lines(direct.stdout));
    expect(recap(ahead.stdout)).toEqual(recap(direct.stdout));
    const kept = readdirSync(dir).filter((f) => f.startsWith('read-ahead-'));
    expect(kept.length).toBeGreaterThan(0);
    for (const f of kept) {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text).toContain('/opt/ra/lines.conf');
      expect(text).not.toContain('port=8080');
    }
  });

  it('a change made on a host between runs is seen (and only there)', async () => {
    const main = pb('main.yml', MAIN);
    await lab.exec('node1', "printf 'port=1\\n' > /opt/ra/lines.conf; chmod 0600 /opt/ra/app.conf");
    const r = await warm(main);
    expect(r.code, r.all).toBe(0);
    expect(changed(r.stdout)).toEqual({ node1: 3, node2: 0 });
    expect((await lab.exec('node1', 'cat /opt/ra/lines.conf; stat -c %a /opt/ra/app.conf')).stdout).toBe('port=8080\nadded=1\n644\n');
    expect(changed((await warm(main)).stdout)).toEqual({ node1: 0, node2: 0 });
  });

  it('a file a command rewrote (changed_when: false) is read again by the task after it', async () => {
    const trap = pb('trap.yml', TRAP);
    for (let i = 0; i < 3; i++) {
      const r = await warm(trap);
      expect(r.code, r.all).toBe(0);
      // the second lineinfile puts back what the command took away, every run
      expect(changed(r.stdout)).toEqual(i === 0 ? { node1: 2, node2: 2 } : { node1: 1, node2: 1 });
      for (const h of ['node1', 'node2']) expect((await lab.exec(h, 'cat /opt/ra/trap.conf')).stdout).toBe('base\nadded\n');
    }
  });

  it('an until loop asks the host again at every attempt', async () => {
    const until = pb('until.yml', UNTIL);
    await lab.exec('node1', 'rm -f /opt/ra/flag /opt/ra/started');
    // the flag appears a second after the play began (its first task), while the stat retries
    const bg = lab.exec('node1', 'i=0; while [ ! -e /opt/ra/started ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; sleep 1.5; touch /opt/ra/flag');
    const r = await warm(until);
    await bg;
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('FAILED - RETRYING');
    expect(recap(r.stdout)['node1']?.failed).toBe(0);
  }, 120_000);

  it('what a host answered before a wait_for is asked again after it', async () => {
    const wait = pb('wait.yml', WAIT);
    await lab.exec('node1', "printf 'mine\\n' > /opt/ra/wait2.conf; touch /opt/ra/go");
    // learn the reads (a run that changes something reads nothing ahead after it), then a warm run that changes nothing
    const first = await warm(wait);
    expect(first.code, first.all).toBe(0);
    const learned = await warm(wait);
    expect(changed(learned.stdout), learned.all).toEqual({ node1: 0 });
    // now: wait2.conf is rewritten on the host while the play waits, after the play's first read
    await lab.exec('node1', 'rm -f /opt/ra/go; touch -a -d "3 days ago" /opt/ra/wait.conf');
    const bg = lab.exec(
      'node1',
      'a=$(stat -c %X /opt/ra/wait.conf); i=0; while [ "$(stat -c %X /opt/ra/wait.conf)" = "$a" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; ' +
        "sleep 1; printf 'theirs\\n' > /opt/ra/wait2.conf; touch /opt/ra/go",
    );
    const r = await warm(wait);
    await bg;
    expect(r.code, r.all).toBe(0);
    expect(changed(r.stdout), r.all).toEqual({ node1: 1 });
    expect((await lab.exec('node1', 'cat /opt/ra/wait2.conf')).stdout).toBe('mine\n');
  }, 120_000);

  it("a task delegated from another host makes this host's earlier reads stale", async () => {
    const deleg = pb('deleg.yml', DELEGATED);
    for (let i = 0; i < 3; i++) {
      const r = await warm(deleg);
      expect(r.code, r.all).toBe(0);
      expect(changed(r.stdout)).toEqual(i === 0 ? { node1: 1, node2: 2 } : { node1: 0, node2: 1 });
      expect((await lab.exec('node2', 'cat /opt/ra/deleg.conf')).stdout).toBe('delegated\nown\n');
      expect((await lab.exec('node1', 'cat /opt/ra/deleg.conf')).stdout).toBe('own\n');
    }
  });
});
