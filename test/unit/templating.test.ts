/** Templating API: typed values, lazy vars, conditions, omit, vault/unsafe values, errors with locations. */
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  evalCondition,
  evalExpression,
  hasTemplate,
  OMIT,
  renderTemplateFile,
  renderText,
  renderValue,
  setEncryptedResolver,
  stripOmit,
} from '../../src/engine/templating/index.js';
import { EncryptedString, parseYaml, posOf, UnsafeString } from '../../src/config/yaml.js';
import { TsplayError } from '../../src/errors.js';
import { mask } from '../../src/output/mask.js';
import { fixturesDir } from '../fixtures/templates/conformance.js';

const vars = {
  n: 42,
  s: 'Hello',
  lst: ['a', 'b'],
  d: { k: 'v', inner: { x: 1 } },
  t: true,
  lazy: '{{ n + 1 }}',
  lazy_text: 'n is {{ n }}',
  lazy_list: ['{{ s }}', '{{ n }}'],
  loop_a: '{{ loop_b }}',
  loop_b: '{{ loop_c }}',
  loop_c: '{{ loop_a }}',
  self_ref: '{{ self_ref }}',
  broken_lazy: '{{ missing_var }}',
};

function err(f: () => unknown): TsplayError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TsplayError);
    return e as TsplayError;
  }
  throw new Error('expected an error');
}

describe('renderValue', () => {
  test.each([
    ['{{ n }}', 42],
    ['{{ n + 1 }}', 43],
    ['{{ 8 / 2 }}', 4],
    ['{{ lst }}', ['a', 'b']],
    ['{{ t }}', true],
    ['{{ d.inner }}', { x: 1 }],
    ['{{ none }}', null],
    ['n={{ n }}', 'n=42'],
    [' {{ n }}', ' 42'],
    ['{{ t }} and {{ lst }}', "True and ['a', 'b']"],
    ['{{ n }}{{ n }}', '4242'],
    ['no template', 'no template'],
    ['{% if t %}yes{% endif %}', 'yes'],
    ['{{ lazy }}', 43],
    ['{{ lazy_text }}', 'n is 42'],
    ['{{ lazy_list }}', ['Hello', 42]],
  ])('%s', (tpl, want) => {
    expect(renderValue(tpl, vars)).toEqual(want);
  });

  test('deep over arrays and objects; untouched parts keep identity', () => {
    const untouched = { a: 1, b: ['x'] };
    const args = { name: '{{ s | lower }}', opts: ['{{ n }}', 'plain'], untouched };
    const out = renderValue(args, vars) as Record<string, unknown>;
    expect(out).toEqual({ name: 'hello', opts: [42, 'plain'], untouched });
    expect(out.untouched).toBe(untouched);
    const plain = { a: 'x' };
    expect(renderValue(plain, vars)).toBe(plain);
  });

  test('omit: a lone {{ omit }} or default(omit) gives the OMIT sentinel; stripOmit drops it', () => {
    const out = renderValue({ mode: '{{ undefined_mode | default(omit) }}', owner: '{{ omit }}', group: 'wheel' }, vars);
    expect(out).toEqual({ mode: OMIT, owner: OMIT, group: 'wheel' });
    expect(stripOmit(out)).toEqual({ group: 'wheel' });
  });

  test('!unsafe values are never templated', () => {
    expect(renderValue(new UnsafeString('{{ n }}'), vars)).toBe('{{ n }}');
    expect(renderValue('{{ u }}', { u: new UnsafeString('{{ n }}') })).toBe('{{ n }}');
  });

  test('vault values resolve through the registered resolver and become secrets', () => {
    setEncryptedResolver((v) => (v.ciphertext === 'CIPHER' ? 's3cret-pass' : 'other'));
    const enc = new EncryptedString('CIPHER');
    expect(renderValue('{{ pw }}', { pw: enc })).toBe('s3cret-pass');
    expect(renderValue('pass={{ pw | upper }}', { pw: enc })).toBe('pass=S3CRET-PASS');
    expect(mask('the password is s3cret-pass')).toBe('the password is ********');
  });

  test('lookup file resolves against the source file directory (and files/)', () => {
    expect(renderValue("{{ lookup('file', 'lookup.txt') }}", {}, { source: { file: join(fixturesDir, 'play.yml'), line: 1, col: 1 } })).toBe(
      'line one\nline two',
    );
    expect(renderValue("{{ lookup('file', 'in-files.txt') }}", {}, { baseDir: fixturesDir })).toBe('from files/');
  });
});

describe('string literals in conditions', () => {
  test("a condition without {{ }} reads Python escapes in its strings ('\\n' is a newline), as Ansible's {% if %}; values keep backslashes", () => {
    expect(evalCondition(String.raw`x == 'a\nb \'q\''`, { x: "a\nb 'q'" })).toBe(true);
    expect(evalCondition(String.raw`x is match('a\\.b')`, { x: 'a.b' })).toBe(true);
    expect(renderValue(String.raw`{{ 'a\nb' }}`, {})).toBe('a\\nb');
  });
});

describe('pipe lookup (on the controller, as ansible.builtin.pipe)', () => {
  test("stdout rstripped, run by /bin/sh in the playbook's directory; each term one command; a non-zero rc is an error", () => {
    expect(renderValue("{{ lookup('pipe', 'echo a b; echo; pwd; echo \"  \"; echo') }}", { playbook_dir: fixturesDir })).toBe(`a b\n\n${fixturesDir}`);
    expect(evalExpression("query('pipe', 'echo 1', 'echo 2 | tr 2 3')", {})).toEqual(['1', '3']);
    expect(err(() => evalExpression("lookup('pipe', 'exit 3')", {})).message).toMatch(/lookup_plugin\.pipe\(exit 3\) returned 3/);
  });
});

describe('password_hash and the password lookup (on the controller)', () => {
  test("password_hash('sha512'[, salt[, salt_size[, rounds]]]) is crypt(3)'s SHA-crypt; without a salt a random 16-character one", () => {
    expect(renderValue("{{ 'secret' | password_hash('sha512', 'abcdefgh12345678') }}", {})).toBe(
      '$6$abcdefgh12345678$8qry.al/7S2fAQnDPL..k3GVAXostN0YvxqwHlKr6Jsf/74.qDax5ahH0CISuJF.P2fnhZoX0.4l8IwZUur9t1',
    );
    expect(renderValue("{{ 'secret' | password_hash('sha256', salt='abcdefgh') }}", {})).toBe('$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM.');
    expect(renderValue("{{ 'x' | password_hash('sha512') }}", {})).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(renderValue("{{ 'x' | password_hash('sha512_crypt', rounds=1000) }}", {})).toMatch(/^\$6\$rounds=1000\$/);
    expect(err(() => renderValue("{{ 'x' | password_hash('des') }}", {})).message).toMatch(/des is not in the list of supported passlib algorithms/);
  });
  test("lookup('password', '/dev/null'): 20 characters of letters, digits and .,:-_ each time; a file keeps its password", () => {
    const a = renderValue("{{ lookup('password', '/dev/null') }}", {}) as string;
    expect(a).toMatch(/^[A-Za-z0-9.,:_-]{20}$/);
    expect(renderValue("{{ lookup('password', '/dev/null') }}", {})).not.toBe(a);
    expect(renderValue("{{ lookup('password', '/dev/null length=8 chars=digits') }}", {})).toMatch(/^[0-9]{8}$/);
    const dir = mkdtempSync(join(tmpdir(), 'pwlookup-'));
    try {
      const first = renderValue("{{ lookup('password', 'creds/pw') }}", { playbook_dir: dir }) as string;
      expect(readFileSync(join(dir, 'creds/pw'), 'utf8')).toBe(first + '\n');
      expect(statSync(join(dir, 'creds/pw')).mode & 0o777).toBe(0o600);
      expect(renderValue("{{ lookup('password', 'creds/pw') }}", { playbook_dir: dir })).toBe(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('errors', () => {
  test('undefined variable names the variable', () => {
    const e = err(() => renderValue('{{ foo }}', vars, { source: { file: 'play.yml', line: 3, col: 9 } }));
    expect(e.code).toBe('undefined-var');
    expect(e.message).toBe("'foo' is undefined");
    expect(e.format()).toMatch(/^play\.yml:3:9: 'foo' is undefined/);
  });
  test('undefined attribute names the full path, in Ansible words', () => {
    expect(err(() => renderValue('{{ d.nope }}', vars)).message).toBe("'d.nope' is undefined ('dict object' has no attribute 'nope')");
    expect(err(() => renderValue('{{ ansible_facts.foo }}', { ansible_facts: {} })).message).toBe(
      "'ansible_facts.foo' is undefined ('dict object' has no attribute 'foo')",
    );
    expect(err(() => renderValue('{{ d.inner.x.y }}', vars)).message).toMatch(/^'d\.inner\.x\.y' is undefined/);
    expect(err(() => renderValue('{{ lst[5] }}', vars)).message).toBe("'lst[5]' is undefined (list object has no element 5)");
  });
  test('default and is defined work on undefined values and attributes', () => {
    expect(renderValue("{{ foo | default('x') }}", vars)).toBe('x');
    expect(renderValue("{{ d.nope.deeper | default('y') }}", vars)).toBe('y');
    expect(evalExpression('foo is defined or d.nope is defined', vars)).toBe(false);
    expect(evalExpression('d.inner is defined', vars)).toBe(true);
  });
  test('a lazy var that needs an undefined var is undefined itself (default applies)', () => {
    expect(renderValue("{{ broken_lazy | default('fallback') }}", vars)).toBe('fallback');
    expect(err(() => renderValue('{{ broken_lazy }}', vars)).message).toBe("'broken_lazy' is undefined ('missing_var' is undefined)");
  });
  test('recursive lazy vars are detected', () => {
    expect(err(() => renderValue('{{ loop_a }}', vars)).message).toBe('recursive loop detected in template: loop_a → loop_b → loop_c → loop_a');
    expect(err(() => renderValue('{{ self_ref }}', vars)).message).toBe('recursive loop detected in template: self_ref → self_ref');
  });
  test('syntax errors name the construct and the location', () => {
    const e = err(() => evalCondition('n > ', vars, { what: 'when', source: { file: 'playbook.yml', line: 12, col: 9 } }));
    expect(e.code).toBe('template');
    expect(e.format()).toMatch(/^playbook\.yml:12:9: template error in 'when': unexpected token: }}/);
    const e2 = err(() => renderValue('{{ s }', vars, { what: 'args.path', source: { file: 'p.yml', line: 2, col: 3 } }));
    expect(e2.format()).toMatch(/^p\.yml:2:3: template error in 'args\.path': expected variable end/);
  });
  test('unknown filters and tests are named', () => {
    expect(err(() => renderValue('{{ s | frobnicate }}', vars, { what: 'msg' })).message).toBe("template error in 'msg': no filter named 'frobnicate'");
    expect(err(() => evalExpression('s is frobbed', vars, { what: 'when' })).message).toBe("template error in 'when': no test named 'frobbed'");
    expect(err(() => evalExpression("lookup('frob', 'ls')", vars)).message).toMatch(/lookup plugin 'frob' is not supported \(supported: .*pipe/);
  });
  test('an error position points at the YAML value it came from', () => {
    const play = parseYaml('- name: t\n  debug:\n    msg: "{{ nope }}"\n', 'play.yml') as Record<string, Record<string, unknown>>[];
    const task = play[0]!;
    const source = posOf(task.debug!, 'msg');
    const e = err(() => renderValue(task.debug!.msg, {}, { source }));
    expect(e.format()).toBe("play.yml:3:10: 'nope' is undefined");
  });
});

describe('conditions', () => {
  test.each([
    [true, true],
    [false, false],
    ['t', true],
    ['not t', false],
    ['lst | length == 2', true],
    [['t', 'n > 40'], true],
    [['t', 'n > 50'], false],
    ['{{ t }}', true],
    ['{{ not t }}', false],
    ["'False'", true],
    ['[]', false],
    ['', true],
    ["'a' in lst and d.k == 'v'", true],
    ['foo is not defined', true],
  ])('%j → %s', (cond, want) => {
    expect(evalCondition(cond, vars)).toBe(want);
  });
  test('an undefined variable in a condition is an error', () => {
    expect(err(() => evalCondition('foo', vars)).message).toBe("'foo' is undefined");
  });
});

describe('template files', () => {
  test('.j2 renders like Ansible (trim_blocks, Python str(), escapes in strings)', async () => {
    const out = await renderTemplateFile(join(fixturesDir, 'hosts.j2'), {
      hosts: [
        { ip: '10.0.0.1', name: 'a', aliases: ['a1', 'a2'] },
        { ip: '10.0.0.2', name: 'b' },
      ],
      enabled: true,
    });
    expect(out).toBe("# managed by tsplay\n10.0.0.1\ta a1 a2\n10.0.0.2\tb\nenabled=True\nratio=4.0\nlist=['a', 'b']\nsep=a\tb\n");
  });
  test('trim_blocks also drops the newline after a comment, as Jinja does', () => {
    // jinja2.Environment(trim_blocks=True) renders this to 'a\nbc\n'
    expect(renderText('a\n{# c #}\nb\n{#- d -#}\n  c\n{# e #}', {})).toBe('a\nbc\n');
    expect(renderText('x {# one #}\n{# two #}\ny', {})).toBe('x y');
  });
  test('.j2 errors point at file:line:col', async () => {
    const e = await renderTemplateFile(join(fixturesDir, 'bad.j2'), { ok: 1, nope: {} }).catch((x: unknown) => x as TsplayError);
    expect(e).toBeInstanceOf(TsplayError);
    expect((e as TsplayError).format()).toBe(`${join(fixturesDir, 'bad.j2')}:3:15: 'nope.attr' is undefined ('dict object' has no attribute 'attr')`);
    const e2 = await renderTemplateFile(join(fixturesDir, 'broken.j2'), { x: 1 }).catch((x: unknown) => x as TsplayError);
    expect((e2 as TsplayError).source?.file).toBe(join(fixturesDir, 'broken.j2'));
    expect((e2 as TsplayError).message).toMatch(/endif|end of file/);
  });
});

test('hasTemplate', () => {
  expect(hasTemplate('a {{ b }}')).toBe(true);
  expect(hasTemplate('{% if x %}')).toBe(true);
  expect(hasTemplate('{# c #}')).toBe(true);
  expect(hasTemplate('plain { braces }')).toBe(false);
});

test('renderText never keeps the type', () => {
  expect(renderText('{{ lst }}', vars)).toBe("['a', 'b']");
  expect(renderText('{{ none }}', vars)).toBe('');
});

describe("Ansible's task-result tests", () => {
  const results = {
    ok: { changed: false, rc: 0 },
    ch: { changed: true },
    bad: { failed: true, changed: false, msg: 'x' },
    skip: { changed: false, skipped: true, skip_reason: 'Conditional result was False' },
    down: { unreachable: true, changed: false },
    loop: { results: [{ changed: false }, { changed: true }], msg: 'All items completed' },
    loop_ok: { results: [{ changed: false }], msg: 'All items completed' },
    job: { started: 1, finished: 0, ansible_job_id: 'j1' },
  };
  test.each([
    ['ok is changed', false],
    ['ch is changed', true],
    ['ch is change', true],
    ['loop is changed', true],
    ['loop_ok is changed', false],
    ['bad is failed', true],
    ['bad is failure', true],
    ['ok is failed', false],
    ['ok is succeeded', true],
    ['ok is success', true],
    ['ok is successful', true],
    ['bad is succeeded', false],
    ['skip is skipped', true],
    ['skip is skip', true],
    ['ok is skipped', false],
    ['down is unreachable', true],
    ['down is reachable', false],
    ['ok is reachable', true],
    ['job is started', true],
    ['job is finished', false],
    ['ok is finished', true],
    ['ok is not failed', true],
  ])('%s → %s', (expr, want) => {
    expect(evalExpression(expr, results)).toBe(want);
  });
  test('a result test on something that is not a result: the error Ansible gives', () => {
    expect(() => evalExpression("'text' is changed", results)).toThrow(/The 'changed' test expects a dictionary/);
  });
});
