/**
 * Playbook-language conformance against lab hosts (lab conf1: node1 sudo without password, node2 with one).
 *
 * 1. Every case of harness.mjs: tsplay's normalised output (banners, per-host results, included files, recap,
 *    exit code) must equal what the real ansible-playbook 2.14 printed for the same playbook and options
 *    (test/fixtures/conformance/expected/*.txt, recorded by record.mjs), apart from the listed deliberate
 *    differences.
 * 2. What only tsplay has or does differently: diff per task, --step, vars_prompt, until's attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, stopLab, type Lab } from '../../harness/lab.js';
import { recap, tsplay } from '../../harness/cli.js';
// @ts-expect-error plain JS shared with the recorder
import { FIXTURES, cases, expected, ghostInventory, normalizeRaw, normalizeRun } from './harness.mjs';

interface Case {
  name: string;
  playbooks: string[];
  args?: string[];
  inventory?: 'lab' | 'ghost';
  pre?: string;
  raw?: boolean;
  diffs?: boolean;
}

// TSPLAY_CONF_LAB: another lab name, where several checkouts run this suite on one machine
const LAB = process.env.TSPLAY_CONF_LAB ?? 'conf1';
let lab: Lab;
let ghost: string;

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 2, sudo: 'mixed' });
  ghost = ghostInventory(lab.inventory, join(mkdtempSync(join(tmpdir(), 'conf-')), 'ghost.yml'));
});
afterAll(async () => {
  await stopLab(LAB);
});

const run = (args: string[], opts: { input?: string; inventory?: string } = {}) =>
  tsplay(['run', ...args, '-i', opts.inventory ?? lab.inventory], { cwd: FIXTURES, input: opts.input });

describe('same output as ansible-playbook 2.14', () => {
  for (const c of cases as Case[]) {
    it(c.name, async () => {
      if (c.pre) await Promise.all(lab.hosts.map((h) => lab.exec(h.name, c.pre!)));
      const r = await run([...c.playbooks, ...(c.args ?? [])], { inventory: c.inventory === 'ghost' ? ghost : undefined });
      expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace
      const got = (c.raw ? normalizeRaw : normalizeRun)(r.stdout, r.code, c);
      expect(got, r.stderr).toBe(expected(c));
    });
  }
});

describe('tsplay specifics', () => {
  it("diff: true on one task shows that task's diff only", async () => {
    await Promise.all(lab.hosts.map((h) => lab.exec(h.name, 'rm -f /tmp/conf-diff-a /tmp/conf-diff-b')));
    const dir = mkdtempSync(join(tmpdir(), 'conf-diff-'));
    const pb = join(dir, 'diff.yml');
    writeFileSync(
      pb,
      `- hosts: node1\n  gather_facts: false\n  tasks:\n` +
        `    - copy: {content: "shown\\n", dest: /tmp/conf-diff-a}\n      diff: true\n` +
        `    - copy: {content: "hidden\\n", dest: /tmp/conf-diff-b}\n`,
    );
    const r = await run([pb]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('+shown');
    expect(r.stdout).not.toContain('+hidden');
    const r2 = await run([pb, '--check', '--diff', '-e', 'unused=1']);
    expect(r2.stdout).not.toContain('+shown'); // unchanged now
  });

  it('--check --diff together: changes are shown, nothing is written', async () => {
    await Promise.all(lab.hosts.map((h) => lab.exec(h.name, 'rm -f /tmp/conf-cli.txt')));
    const r = await run(['cli.yml', '--check', '--diff', '-e', 'content=v9']);
    expect(r.stdout).toContain('+v9');
    expect(r.stdout).toContain('"msg": "check=True diff=True"');
    expect((await lab.exec('node1', 'test -e /tmp/conf-cli.txt; echo $?')).stdout.trim()).toBe('1');
  });

  it('--step runs the tasks answered yes, skips the others, continue stops asking', async () => {
    const r = await run(['cli.yml', '--step', '-l', 'node1'], { input: 'y\nn\nc\n' });
    expect(r.code, r.all).toBe(0);
    expect(r.stderr).toContain('Perform task: TASK: first (N)o/(y)es/(c)ontinue:');
    expect(r.stderr).toContain('Perform task: TASK: write a file (N)o/(y)es/(c)ontinue:');
    expect(r.stderr).toContain('Perform task: TASK: modes (N)o/(y)es/(c)ontinue:');
    expect(r.stderr).not.toContain('Perform task: TASK: last');
    expect(r.stdout).toContain('TASK [first]');
    expect(r.stdout).not.toContain('TASK [write a file]');
    expect(r.stdout).toContain('TASK [modes]');
    expect(r.stdout).toContain('TASK [last]');
  });

  it('vars_prompt: asked on the terminal (stdin here), skipped when given with -e', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conf-prompt-'));
    const pb = join(dir, 'prompt.yml');
    writeFileSync(
      pb,
      `- hosts: node1\n  gather_facts: false\n  vars_prompt:\n    - name: who\n      prompt: Who are you\n      private: false\n` +
        `  tasks:\n    - debug: {msg: "hello {{ who }}"}\n`,
    );
    const r = await run([pb], { input: 'alice\n' });
    expect(r.code, r.all).toBe(0);
    expect(r.stderr).toContain('Who are you: ');
    expect(r.stdout).toContain('"msg": "hello alice"');
    const r2 = await run([pb, '-e', 'who=bob']);
    expect(r2.stderr).not.toContain('Who are you');
    expect(r2.stdout).toContain('"msg": "hello bob"');
  });

  it('until: retries n runs n + 1 times; out of retries, attempts reports n (as ansible-core 2.14)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conf-until-'));
    const pb = join(dir, 'until.yml');
    writeFileSync(
      pb,
      `- hosts: node1\n  gather_facts: false\n  tasks:\n` +
        `    - command: echo never\n      register: g\n      until: g.stdout == 'ever'\n      retries: 2\n      delay: 0\n      ignore_errors: true\n` +
        `    - debug: {msg: "attempts={{ g.attempts }} failed={{ g.failed }}"}\n`,
    );
    const r = await run([pb]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout.match(/FAILED - RETRYING: \[node1\]: command \(\d retries left\)\./g)).toEqual([
      'FAILED - RETRYING: [node1]: command (2 retries left).',
      'FAILED - RETRYING: [node1]: command (1 retries left).',
    ]);
    // ansible-playbook 2.14 prints "attempts=2 failed=True" for this playbook (TaskExecutor: attempts = retries - 1)
    expect(r.stdout).toContain('"msg": "attempts=2 failed=True"');
    expect(recap(r.stdout)['node1']).toMatchObject({ ok: 2, ignored: 1 });
  });

  it('a notify naming no handler is an error when it notifies (as ansible-core), with where and a suggestion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conf-notify-'));
    const pb = join(dir, 'notify.yml');
    writeFileSync(
      pb,
      `- hosts: node1\n  gather_facts: false\n  tasks:\n    - command: echo\n      notify: restart nginx\n  handlers:\n    - name: restart ngnix\n      debug: {msg: x}\n`,
    );
    const r = await run([pb]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "ERROR! The requested handler 'restart nginx' was not found in either the main handlers list nor in the listening handlers list",
    );
    expect(r.stderr).toContain(`notified at ${pb}:4:7`);
    expect(r.stderr).toContain("did you mean 'restart ngnix'?");
    // --syntax-check still finds it before running
    const s = await run([pb, '--syntax-check']);
    expect(s.stderr).toContain(`${pb}:5:7: notify: no handler named or listening to 'restart nginx' in this play`);
  });
});
