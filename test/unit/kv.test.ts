import { describe, expect, it } from 'vitest';
import { parseKv, splitArgs } from '../../src/config/kv.js';

describe('k=v argument strings', () => {
  it.each([
    ['src=a dest=b', { src: 'a', dest: 'b' }],
    [`dest="/tmp/my file" mode=0644`, { dest: '/tmp/my file', mode: '0644' }],
    [`line='a "quoted" word'`, { line: 'a "quoted" word' }],
    ['msg="{{ a }} and {{ b | default(\'x y\') }}"', { msg: "{{ a }} and {{ b | default('x y') }}" }],
    ['content={{ x }} dest=/y', { content: '{{ x }}', dest: '/y' }],
    ['a=1\n  b=2', { a: '1', b: '2' }],
  ])('%s', (input, expected) => {
    expect(parseKv(input).args).toEqual(expected);
  });

  it('free form keeps the text and takes only known keys', () => {
    expect(parseKv('echo a=b chdir=/tmp', { freeForm: true, knownKeys: new Set(['chdir']) })).toEqual({ args: { chdir: '/tmp' }, freeForm: 'echo a=b' });
  });

  it('a multi-line free-form script keeps its lines (shell: |)', () => {
    const r = parseKv('set -e\nif true; then\n  echo "a  b"\nfi\n', { freeForm: true, knownKeys: new Set() });
    // as Ansible's split_args/join_args: indentation and the final newline stay
    expect(r.freeForm).toBe('set -e\nif true; then\n  echo "a  b"\nfi\n');
    expect(parseKv('echo this is a \\\n"multi line" \\\n| wc\necho 2\n', { freeForm: true, knownKeys: new Set() }).freeForm).toBe(
      'echo this is a "multi line" | wc\necho 2\n',
    );
    expect(parseKv('executable="/bin/bash"\ncreates=/x/a.txt\necho "test"\n', { freeForm: true, knownKeys: new Set(['creates', 'executable']) })).toEqual({
      args: { executable: '/bin/bash', creates: '/x/a.txt' },
      freeForm: 'echo "test"\n',
    });
  });

  it('rejects a token that is not k=v when there is no free form', () => {
    expect(() => parseKv('src=a oops')).toThrow(/expected key=value, got 'oops'/);
  });

  it('an unbalanced quote is an error', () => {
    expect(() => splitArgs('a="b')).toThrow(/unbalanced quote/);
  });

  it("decodes Ansible's escapes in k=v tokens (\\b is a backspace, \\\\b a word boundary); free-form text keeps them", () => {
    expect(parseKv(String.raw`regexp='\b(.+)\b' replace='"\1"'`).args).toEqual({ regexp: '\b(.+)\b', replace: '"\\1"' });
    expect(parseKv(String.raw`regexp='\\b(.+)\\b' line="a\tb" q='it\'s' x=\x41\u00e9`).args).toEqual({
      regexp: '\\b(.+)\\b',
      line: 'a\tb',
      q: "it's",
      x: 'Aé',
    });
    expect(parseKv(String.raw`printf 'a\tb' creates=/x\ty`, { freeForm: true, knownKeys: new Set(['creates']) })).toEqual({
      args: { creates: '/x\ty' },
      freeForm: String.raw`printf 'a\tb'`,
    });
  });
});
