/**
 * Run policy through the real engine in process (test/harness/runner.ts): the loader, inventory, Runner and
 * plain renderer over one FakeHost per host. Each test asserts on the commands the fake hosts received and on
 * the PLAY RECAP the run printed.
 */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../harness/runner.js';
import { res, type Responder } from '../harness/fake-host.js';

const play = (tasks: string, head = '') => `- hosts: all\n  gather_facts: false\n${head}  tasks:\n${tasks}`;
/** the scripts a host ran that contain `s` */
const ran = (r: Awaited<ReturnType<typeof runPlaybook>>, host: string, s: string) => r.host(host).ran(s);

describe('the in-process runner', () => {
  it('with_first_found (files + paths), with_fileglob, with_lines and the first_found / vars lookups', async () => {
    const r = await runPlaybook(
      play(
        `    - include_vars: "{{ item }}"
      with_first_found:
        - files: ["{{ fam }}.yml", default.yml]
          paths: [vars]
    - name: found
      shell: "echo a={{ a }} {{ lookup('first_found', 'nothere.yml', 'one.conf') | basename }} {{ lookup('vars', 'fam') }} {{ query('first_found', ['nope'], skip=True) | length }}"
    - name: glob
      shell: "echo glob {{ item | basename }}"
      with_fileglob: ["*.conf"]
    - name: lines
      shell: "echo line {{ item }}"
      with_lines: cat lines.txt
`,
        '  vars:\n    fam: Debian\n',
      ),
      {
        inventory: { h1: {} },
        files: { 'vars/Debian.yml': 'a: 1\n', 'vars/default.yml': 'a: 0\n', 'files/one.conf': 'x\n', 'files/two.conf': 'y\n', 'lines.txt': 'l1\nl2\n' },
      },
    );
    expect(r.exitCode).toBe(0);
    const scripts = r
      .host('h1')
      .runs.map((c) => c.script)
      .join('\n');
    expect(scripts).toContain('echo a=1 one.conf Debian 0');
    expect(scripts).toContain('echo glob one.conf');
    expect(scripts).toContain('echo glob two.conf');
    expect(scripts).toContain('echo line l1');
    expect(scripts).toContain('echo line l2');
  });

  it("with_first_found searches the role's vars/ for include_vars, templates/ for template, files/ otherwise (TaskExecutor's _subdir)", async () => {
    const r = await runPlaybook(`- hosts: all\n  gather_facts: false\n  roles: [osvars]\n`, {
      inventory: { h1: {} },
      files: {
        'roles/osvars/tasks/main.yml':
          '- include_vars: "{{ item }}"\n  with_first_found: ["Debian-12.yml", "Debian.yml"]\n' +
          '- command: "echo pkg={{ os_pkg }} file={{ item | basename }}"\n  with_first_found: ["Debian.yml", "default.txt"]\n',
        'roles/osvars/vars/Debian.yml': 'os_pkg: from-vars\n',
        'roles/osvars/files/default.txt': 'x\n',
      },
    });
    expect(r.exitCode).toBe(0);
    const scripts = r
      .host('h1')
      .runs.map((c) => c.script)
      .join('\n');
    expect(scripts).toContain('echo pkg=from-vars file=default.txt');
  });

  it('include_vars hash_behaviour=merge merges into the variable and across files, as Ansible', async () => {
    const r = await runPlaybook(
      play(
        `    - include_vars: { file: v1.yml, hash_behaviour: merge }
    - include_vars: { file: v2.yml, hash_behaviour: merge }
    - name: show
      shell: "echo {{ cfg | to_json }}"
`,
        '  vars:\n    cfg: {z: 0}\n',
      ),
      { inventory: { h1: {} }, files: { 'v1.yml': 'cfg:\n  a: 1\n  sub: {x: 1}\n', 'v2.yml': 'cfg:\n  b: 2\n  sub: {y: 2}\n' } },
    );
    expect(r.exitCode).toBe(0);
    expect(
      r
        .host('h1')
        .runs.map((c) => c.script)
        .join('\n'),
    ).toContain(`{"z": 0, "a": 1, "sub": {"x": 1, "y": 2}, "b": 2}`);
  });

  it('include_vars free-form file name from a folded scalar loses its trailing newline, as ansible-core', async () => {
    const r = await runPlaybook(play(`    - include_vars: >\n        vars/svc.yml\n\n    - name: show\n      shell: "echo svc={{ service_name }}"\n`), {
      inventory: { h1: {} },
      files: { 'vars/svc.yml': 'service_name: my_custom_service\n' },
    });
    expect(r.exitCode).toBe(0);
    expect(ran(r, 'h1', 'echo svc=my_custom_service')).toHaveLength(1);
  });

  it('set_fact from a with_* item keeps it unsafe (not templated again); from a loop: item it is templated when read, as ansible-core', async () => {
    const r = await runPlaybook(
      play(
        `    - set_fact: { a: "{{ item }}" }
      with_items: ["{{ '{{ v }}' }}"]
    - set_fact: { b: "{{ item }}" }
      loop: ["{{ '{{ v }}' }}"]
    - set_fact: { c: !unsafe "{{ v }}" }
    - set_fact: { d: "{{ item }}" }
      with_items: ["yes"]
    - name: show
      shell: "echo a={{ a }} b={{ b }} c={{ c }} d={{ d }}"
`,
        '  vars:\n    v: templated\n',
      ),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode).toBe(0);
    expect(ran(r, 'h1', 'echo a={{ v }} b=templated c={{ v }} d=True')).toHaveLength(1);
  });

  it('gather_facts unset: facts are gathered when only a role default names one (and skipped when nothing can)', async () => {
    const gathered = (r: Awaited<ReturnType<typeof runPlaybook>>) => r.events.some((e) => e.type === 'task_start' && e.name === 'Gathering Facts');
    const withRole = await runPlaybook(`- hosts: all\n  roles: [pkgs]\n`, {
      inventory: { h1: {} },
      files: {
        'roles/pkgs/defaults/main.yml': 'pkg_family: "{{ ansible_os_family | default(\'none\') }}"\n',
        'roles/pkgs/tasks/main.yml': '- command: "echo {{ pkg_family }}"\n',
      },
    });
    expect(gathered(withRole)).toBe(true);
    const plain = await runPlaybook(play(`    - command: echo hi\n`).replace('  gather_facts: false\n', ''), { inventory: { h1: {} } });
    expect(gathered(plain)).toBe(false);
  });

  it('set_fact in free form with a templated name (`"{{ item }}=moo"`), and result tests on what it registered', async () => {
    const r = await runPlaybook(
      play(`    - set_fact: "{{ item }}=moo"
      loop: [a1, a2]
      register: sf
    - name: show
      command: "echo {{ a1 }}-{{ a2 }}-{{ sf is changed }}-{{ sf is succeeded }}"
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode).toBe(0);
    expect(ran(r, 'h1', 'echo moo-moo-False-True')).toHaveLength(1);
  });

  it('a templated become: keyword is resolved per host and reaches the connection', async () => {
    const r = await runPlaybook(
      play(`    - name: who
      command: id -u
      become: "{{ as_root }}"
      become_user: "{{ 'svc' if svc | default(false) else 'root' }}"
`),
      { inventory: { h1: { as_root: true }, h2: { as_root: false }, h3: { as_root: true, svc: true } } },
    );
    expect(r.exitCode).toBe(0);
    const [h1] = ran(r, 'h1', 'id -u');
    const [h2] = ran(r, 'h2', 'id -u');
    const [h3] = ran(r, 'h3', 'id -u');
    expect(h1!.opts).toMatchObject({ become: true, becomeUser: 'root' });
    expect(h2!.opts.become).toBe(false);
    expect(h3!.opts).toMatchObject({ become: true, becomeUser: 'svc' });
    expect(r.recap).toEqual({
      h1: { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
      h2: { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
      h3: { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
    });
  });

  it('when: on a registered result runs the task only where it holds', async () => {
    const flag =
      (value: string): Responder =>
      (script) =>
        script.includes('cat /etc/flag') ? res(`${value}\n`) : undefined;
    const r = await runPlaybook(
      play(`    - name: read
      command: cat /etc/flag
      register: flag
      changed_when: false
    - name: act
      command: touch /var/run/acted
      when: flag.stdout == 'yes'
`),
      { hosts: { h1: { respond: flag('yes') }, h2: { respond: flag('no') } } },
    );
    expect(r.exitCode).toBe(0);
    expect(ran(r, 'h1', 'touch /var/run/acted')).toHaveLength(1);
    expect(ran(r, 'h2', 'touch /var/run/acted')).toEqual([]);
    expect(r.host('h2').scripts).toEqual(['exec cat /etc/flag']);
    expect(r.recap.h1).toMatchObject({ ok: 2, changed: 1, skipped: 0 });
    expect(r.recap.h2).toMatchObject({ ok: 1, changed: 0, skipped: 1 });
    expect(r.output).toMatch(/skipping: \[h2\]/);
  });

  it('a handler notified twice runs once, after the tasks, only where notified', async () => {
    const r = await runPlaybook(
      `- hosts: all
  gather_facts: false
  tasks:
    - name: one
      command: echo one
      notify: restart
    - name: two
      command: echo two
      notify: restart
      when: inventory_hostname == 'h1'
    - name: three
      command: echo three
  handlers:
    - name: restart
      command: systemctl restart munge
`,
      { inventory: { h1: {}, h2: {} } },
    );
    expect(r.exitCode).toBe(0);
    expect(r.host('h1').scripts).toEqual(['exec echo one', 'exec echo two', 'exec echo three', 'exec systemctl restart munge']);
    expect(r.host('h2').scripts).toEqual(['exec echo one', 'exec echo three', 'exec systemctl restart munge']);
    expect(r.output.match(/RUNNING HANDLER \[restart\]/g)).toHaveLength(1);
    expect(r.recap.h1).toMatchObject({ ok: 4, changed: 4 });
    expect(r.recap.h2).toMatchObject({ ok: 3, changed: 3, skipped: 1 });
  });

  it('ignore_errors counts as ignored, rescue as rescued; the play goes on', async () => {
    const failing: Responder = (script) => (script.startsWith('exec false') ? res('', 1, 'boom') : undefined);
    const r = await runPlaybook(
      play(`    - name: ignored
      command: false ignored
      ignore_errors: true
    - block:
        - name: fails
          command: false in block
        - name: never
          command: echo never
      rescue:
        - name: rescue
          command: echo rescued
      always:
        - name: always
          command: echo always
    - name: after
      command: echo after
`),
      { inventory: { h1: {} }, hosts: { h1: { respond: failing } } },
    );
    expect(r.exitCode).toBe(0);
    expect(r.host('h1').scripts).toEqual(['exec false ignored', 'exec false in block', 'exec echo rescued', 'exec echo always', 'exec echo after']);
    // as in Ansible, an ignored failure counts as ok too (and command results are changed)
    expect(r.recap.h1).toEqual({ ok: 4, changed: 4, unreachable: 0, failed: 0, skipped: 0, rescued: 1, ignored: 1 });
    expect(r.output).toContain('...ignoring');
  });

  it('--check never calls apply(): no command reaches the host, yet the recap shows the changes', async () => {
    const pb = play(`    - name: conf
      copy: {dest: /etc/app.conf, content: "a=1\\n"}
    - name: line
      lineinfile: {path: /etc/hosts, line: "10.0.0.5 db"}
    - name: dir
      file: {path: /srv/app, state: directory}
    - name: cmd
      command: touch /x
`);
    // the file model answers every file fact: a read costs no command, so any command would be a write
    const hosts = () => ({ h1: { files: { '/etc/hosts': { content: '127.0.0.1 localhost\n' } }, dirs: ['/etc', '/srv'] } });
    const checked = await runPlaybook(pb, { inventory: { h1: {} }, hosts: hosts(), check: true, diff: true });
    expect(checked.exitCode, checked.output).toBe(0);
    expect(checked.host('h1').runs).toEqual([]);
    expect(checked.recap.h1).toMatchObject({ ok: 3, changed: 3, skipped: 1, failed: 0 }); // command: skipped in check mode
    expect(checked.output).toContain('+10.0.0.5 db');
    // the same playbook for real does write (so the check above means something)
    const applied = await runPlaybook(pb, { inventory: { h1: {} }, hosts: hosts() });
    const h1 = applied.host('h1');
    expect(h1.runs).toHaveLength(4); // copy, lineinfile, file, command: one command each, no fact reads
    expect(h1.runs[0]!.stdin).toBe('a=1\n');
    expect(h1.runs[1]!.stdin).toBe('127.0.0.1 localhost\n10.0.0.5 db\n');
    expect(h1.ran('mkdir -- "$d"')).toHaveLength(1);
    expect(h1.scripts[3]).toBe('exec touch /x');
    expect(applied.recap.h1).toMatchObject({ ok: 4, changed: 4 });
  });

  it('any_errors_fatal: one host fails, no host runs the next task', async () => {
    const failOn =
      (host: string): Responder =>
      (script) =>
        script === 'exec check-it' && host === 'h2' ? res('', 2) : undefined;
    const r = await runPlaybook(
      play(
        `    - name: check
      command: check-it
    - name: next
      command: echo next
`,
        '  any_errors_fatal: true\n',
      ),
      { inventory: { h1: {}, h2: {}, h3: {} }, hosts: { h1: { respond: failOn('h1') }, h2: { respond: failOn('h2') }, h3: { respond: failOn('h3') } } },
    );
    expect(r.exitCode, r.output).toBe(2);
    for (const h of ['h1', 'h2', 'h3']) {
      expect(r.host(h).scripts).toEqual(['exec check-it']);
      expect(ran(r, h, 'echo next')).toEqual([]);
    }
    expect(r.recap.h2).toMatchObject({ failed: 1, ok: 0 });
    expect(r.recap.h1).toMatchObject({ failed: 0, ok: 1 });
    expect(r.output).toContain('NO MORE HOSTS LEFT');
  });
});
