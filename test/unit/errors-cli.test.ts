/**
 * Errors through the CLI: --syntax-check reports every problem at once (exit 4) without connecting to any host,
 * run-time errors (an undefined variable, a failing expression) name the variable and the value's position, and
 * nothing ever prints a stack trace. No lab: the hosts are unreachable addresses or the controller itself.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recap, ROOT, tsplay } from '../harness/cli.js';

const DIR = join(ROOT, 'test/fixtures/errors');
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*:\d+/);

describe('--syntax-check', () => {
  it('lists every error of the playbook, then a count, exit 4, without connecting', async () => {
    // 192.0.2.1 (TEST-NET-1) is unroutable: any connection attempt would hang until the timeout
    const t0 = Date.now();
    const r = await tsplay(['run', join(DIR, 'many.yml'), '--syntax-check', '-i', '192.0.2.1,'], { cwd: DIR });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(4);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('ERROR! '));
    expect(lines.map((l) => l.replace(`ERROR! ${DIR}/`, ''))).toEqual([
      'many.yml:7:7: a task can have only one module, found: copy, file',
      "many.yml:9:7: unknown module 'coppy'",
      "many.yml:13:9: copy: unknown argument 'contnet' (did you mean 'content'?)",
      "many.yml:16:7: unknown task keyword 'whn'",
      "many.yml:19:14: template error in 'debug.msg': no filter named 'nosuchfilter'",
      "many.yml:20:3: bad host pattern '~(web': Invalid host list pattern: ~(web",
      "many.yml:23:3: unknown play keyword 'taks'",
      // with an inventory (-i), variables are checked too: 'foo' is defined nowhere
      "many.yml:19:14: undefined variable 'foo' in 'debug.msg': it is not defined in the inventory, the play, its roles, or by any task",
    ]);
    expect(r.stderr).toContain('8 errors found');
    expect(r.stdout).toBe('');
    noStack(r.all);
  });

  it('with an inventory, also finds undefined variables', async () => {
    const r = await tsplay(['run', join(DIR, 'undefined-variable.yml'), '--syntax-check', '-i', '192.0.2.1,']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`ERROR! ${DIR}/undefined-variable.yml:6:14: undefined variable 'who' in 'debug.msg'`);
    const ok = await tsplay(['run', join(DIR, 'undefined-variable.yml'), '--syntax-check', '-i', '192.0.2.1,', '-e', 'who=me']);
    expect(ok.code, ok.all).toBe(0);
    expect(ok.stdout).toContain(`playbook: ${join(DIR, 'undefined-variable.yml')}`);
  });

  it('a good playbook passes (the conformance fixtures, with the Ansible-shaped output)', async () => {
    const fx = join(ROOT, 'test/fixtures/conformance');
    const r = await tsplay(['run', 'reuse.yml', 'handlers.yml', '--syntax-check', '-i', '192.0.2.1,'], { cwd: fx });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toBe('\nplaybook: reuse.yml\n\nplaybook: handlers.yml\n');
  });

  it('a YAML error, an import cycle: one message each, exit 4', async () => {
    const y = await tsplay(['run', join(DIR, 'yaml-syntax.yml'), '--syntax-check']);
    expect(y.code).toBe(4);
    expect(y.stderr).toContain(`ERROR! ${DIR}/yaml-syntax.yml:5:1: YAML syntax error`);
    const c = await tsplay(['run', join(DIR, 'cycle-a.yml'), '--syntax-check']);
    expect(c.code).toBe(4);
    expect(c.stderr).toContain(`ERROR! ${DIR}/cycle-b.yml:1:3: import_playbook cycle`);
    noStack(y.all + c.all);
  });

  it('a run (not a syntax check) stops at load errors before connecting, exit 4', async () => {
    const r = await tsplay(['run', join(DIR, 'unknown-module.yml'), '-i', '192.0.2.1,']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`ERROR! ${DIR}/unknown-module.yml:4:7: unknown module 'cpoy'\n  hint: did you mean 'copy'?\n`);
    expect(r.stdout).toBe('');
  });
});

describe('run-time errors name what and where', () => {
  const local = ['-i', 'localhost,', '-e', 'ansible_connection=local'];

  it('an undefined variable in an argument', async () => {
    const r = await tsplay(['run', join(DIR, 'undefined-variable.yml'), ...local]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      `fatal: [localhost]: FAILED! => {"changed": false, "msg": "${DIR}/undefined-variable.yml:6:14: argument 'msg' uses an undefined variable: 'who' is undefined"}`,
    );
    expect(recap(r.stdout)['localhost']).toMatchObject({ failed: 1 });
    noStack(r.all);
  });

  it('an undefined variable in a condition', async () => {
    const r = await tsplay(['run', join(DIR, 'undefined-in-when.yml'), ...local]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${DIR}/undefined-in-when.yml:6:7: the conditional check 'ready' failed: 'ready' is undefined`);
  });

  it('an expression that fails at run time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-err-'));
    const f = join(dir, 'pb.yml');
    writeFileSync(
      f,
      '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ 1 / 0 }}"\n    - debug:\n        msg: "{{ [1] | join(5) }}"\n      ignore_errors: true\n',
    );
    const r = await tsplay(['run', f, ...local]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`"msg": "${f.replace(/[.]/g, '\\.')}:5:14: template error in 'debug\\.msg': .*division`));
    noStack(r.all);
  });

  it("a handler that does not exist, named by a templated notify, stops the run with Ansible's message", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-err-'));
    const f = join(dir, 'pb.yml');
    writeFileSync(
      f,
      '- hosts: localhost\n  gather_facts: false\n  vars: {h: nope}\n  tasks:\n    - set_fact: {x: 1}\n      changed_when: true\n      notify: "restart {{ h }}"\n  handlers:\n    - name: restart web\n      debug: {msg: x}\n',
    );
    const r = await tsplay(['run', f, ...local]);
    // as ansible-playbook: an error while running, exit 1
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ERROR! The requested handler 'restart nope' was not found in either the main handlers list nor in the listening handlers list");
    noStack(r.all);
  });
});

describe('input a new user gets wrong', () => {
  it('an empty playbook is an error with its name, exit 4, as ansible-playbook says it (run and --syntax-check)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-err-'));
    for (const [name, text] of [
      ['empty.yml', ''],
      ['comments.yml', '# nothing yet\n---\n'],
    ] as const) {
      const f = join(dir, name);
      writeFileSync(f, text);
      for (const extra of [[], ['--syntax-check']]) {
        const r = await tsplay(['run', f, '-i', 'localhost,', ...extra]);
        expect(r.code).toBe(4);
        expect(r.stderr).toContain(`ERROR! ${f}:1:1: Empty playbook, nothing to do`);
        expect(r.stdout).not.toContain('PLAY RECAP');
      }
    }
  });

  it('a misspelt argument: the unknown one first with its did-you-mean, then the missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-err-'));
    const f = join(dir, 'pb.yml');
    writeFileSync(f, '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - copy: {destt: /tmp/x, content: x}\n');
    const run = await tsplay(['run', f, '-i', 'localhost,']);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      `ERROR! ${f}:4:14: copy: unknown argument 'destt' (did you mean 'dest'?)\n  also: ${f}:4:7: copy: missing required argument 'dest'\n`,
    );
    const check = await tsplay(['run', f, '-i', 'localhost,', '--syntax-check']);
    expect(check.stderr.split('\n').filter((l) => l.startsWith('ERROR!'))).toEqual([
      `ERROR! ${f}:4:14: copy: unknown argument 'destt' (did you mean 'dest'?)`,
      `ERROR! ${f}:4:7: copy: missing required argument 'dest'`,
    ]);
  });
});
