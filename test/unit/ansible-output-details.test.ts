/**
 * Details of Ansible's output that ansible-core's script targets (runme.sh) compare byte for byte with files they
 * ship (bench/compat.mjs runs them): assert's result shown unless quiet, debug's trimmed result, `debug:
 * var=ansible_facts` not setting facts, and the conditional-templating warning on stderr, wrapped as Ansible's
 * Display wraps it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../harness/runner.js';
import { tsplay } from '../harness/cli.js';
import { wrapText } from '../../src/output/plain.js';

const play = (tasks: string) => `- hosts: h1\n  gather_facts: false\n  tasks:\n${tasks}`;

describe("Ansible's output details", () => {
  it('assert: the result is shown (with the loop item) unless quiet: true', async () => {
    const r = await runPlaybook(
      play(`    - assert: { that: item is defined, quiet: true }
      with_items: [a]
    - assert: { that: item is defined }
      with_items: [a]
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    const [quiet, loud] = r.output.split('TASK [assert]').slice(1);
    expect(quiet).toContain('ok: [h1] => (item=a)\n');
    expect(quiet).not.toContain('All assertions passed');
    expect(loud).toContain(
      'ok: [h1] => (item=a) => {\n    "ansible_loop_var": "item",\n    "changed": false,\n    "item": "a",\n    "msg": "All assertions passed"\n}',
    );
  });

  it("assert: the items of a `that` list are evaluated as written (Ansible's untemplated args), a failure names the raw condition", async () => {
    const r = await runPlaybook(
      play(`    - assert:
        that:
          - '"{{ foo }}" == "bar"'
          - foo == "baz"
      vars: { foo: bar }
      register: out
      ignore_errors: true
    - debug: var=out.assertion
`),
      { inventory: { h1: {} } },
    );
    expect(r.output).toContain('"out.assertion": "foo == \\"baz\\""');
  });

  it('debug: var=ansible_facts shows the facts and does not set them (ansible/ansible#74060)', async () => {
    const r = await runPlaybook(
      play(`    - set_fact:
        ansible_facts: { nonfact: 1 }
    - debug: var=ansible_facts
    - assert: { that: nonfact is not defined }
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain('"nonfact": 1');
  });

  it('a templated conditional warns once, on stderr, wrapped at 79 columns; stdout stays the play', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-warn-'));
    writeFileSync(
      join(dir, 'p.yml'),
      `- hosts: localhost
  gather_facts: false
  tasks:
    - debug: msg=one
      when: "{{ foo == 'bar' }}"
      vars: { foo: bar }
      loop: [1, 2]
`,
    );
    const r = await tsplay(['run', '-i', 'localhost,', '-c', 'local', join(dir, 'p.yml')], { env: { NO_COLOR: '1' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('WARNING');
    expect(r.stderr).toBe(
      "[WARNING]: conditional statements should not include jinja2 templating\ndelimiters such as {{ }} or {% %}. Found: {{ foo == 'bar' }}\n",
    );
  });

  it("wrapText: textwrap.wrap's greedy fill, long words broken at the width", () => {
    expect(wrapText('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapText('  a   b  ', 10)).toEqual(['a b']);
    expect(wrapText('x abcdefghij', 4)).toEqual(['x ab', 'cdef', 'ghij']);
  });
});
