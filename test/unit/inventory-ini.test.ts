import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIniValue } from '../../src/config/inventory/py-literal.js';
import { shlexSplit } from '../../lib/shell/shlex.js';

/** INI value text → value (Python's ast.literal_eval, else the text) */
const VALUES: [string, unknown][] = [
  ['1', 1],
  ['-3', -3],
  ['+4', 4],
  ['- 5', -5],
  ['1_000', 1000],
  ['0', 0],
  ['00', 0],
  ['0644', '0644'],
  ['0o644', 420],
  ['0x1F', 31],
  ['0b101', 5],
  ['1.5', 1.5],
  ['.5', 0.5],
  ['1e3', 1000],
  ['2.5E-1', 0.25],
  ['True', true],
  ['False', false],
  ['None', null],
  ['true', 'true'],
  ['yes', 'yes'],
  ['on', 'on'],
  ['"quoted"', 'quoted'],
  ["'single'", 'single'],
  ['"a" \'b\'', 'ab'],
  ['"tab\\tnl\\n"', 'tab\tnl\n'],
  ['"\\x41\\u00e9\\101"', 'Aé' + 'A'],
  ['r"raw\\n"', 'raw\\n'],
  ['b"bytes"', 'bytes'],
  ['"""triple"""', 'triple'],
  ['"unknown \\q escape"', 'unknown \\q escape'],
  ['[1, 2, "x"]', [1, 2, 'x']],
  ['[]', []],
  ['[1,]', [1]],
  ['(1, 2)', [1, 2]],
  ['(1,)', [1]],
  ['(1)', 1],
  ['()', []],
  ["{'k': 1, 'l': [True, None]}", { k: 1, l: [true, null] }],
  ['{1: "a", None: "b", 2.5: "c"}', { '1': 'a', null: 'b', '2.5': 'c' }],
  ['{}', {}],
  ['{1, 2, 2}', [1, 2]],
  ['[1, [2, (3,)]]', [1, [2, [3]]]],
  ['1 # comment', 1],
  ['some value # not a comment', 'some value # not a comment'],
  ['', ''],
  ['1 2', '1 2'],
  ['1+2', '1+2'],
  ['--1', '--1'],
  ['1j', '1j'],
  ['inf', 'inf'],
  ['x=y', 'x=y'],
  ['[1, 2', '[1, 2'],
  ['"unterminated', '"unterminated'],
  ['f"x"', 'f"x"'],
  ['/usr/bin/python3', '/usr/bin/python3'],
  ['10.0.0.1', '10.0.0.1'],
  ['1.2.3', '1.2.3'],
  ['12345678901234567890', '12345678901234567890'], // beyond 2^53: kept as text rather than a wrong number
  ['{[1]: 2}', '{[1]: 2}'],
];

describe('parseIniValue (ast.literal_eval)', () => {
  it.each(VALUES)('%s', (text, value) => {
    expect(parseIniValue(text)).toEqual(value);
  });
});

const SPLITS: [string, string[]][] = [
  ['a b  c', ['a', 'b', 'c']],
  ['h1 x="two words" y=\'single q\'', ['h1', 'x=two words', 'y=single q']],
  ['h1 x=a\\ b', ['h1', 'x=a b']],
  ['h1 x="a\\"b" y="a\\nb"', ['h1', 'x=a"b', 'y=a\\nb']],
  ["h1 x='a\\b'", ['h1', 'x=a\\b']],
  ['h1 # comment x=1', ['h1']],
  ['h1 pw=abc#def more', ['h1', 'pw=abc']],
  ['h1 e="" f=\'\'', ['h1', 'e=', 'f=']],
  ['h1 x="a"b"c"', ['h1', 'x=abc']],
  ['  ', []],
  ['""', ['']],
];

describe('shlexSplit (shlex.split(comments=True))', () => {
  it.each(SPLITS)('%s', (line, words) => {
    expect(shlexSplit(line, { comments: true })).toEqual(words);
  });

  it.each([
    ['h1 x="open', 'No closing quotation'],
    ["h1 x='open", 'No closing quotation'],
    ['h1 x=\\', 'No escaped character'],
  ])('rejects %s', (line, message) => {
    expect(() => shlexSplit(line, { comments: true })).toThrow(message);
  });
});

const python = existsSync('/usr/bin/python3');

describe.skipIf(!python)('same as Python itself (/usr/bin/python3)', () => {
  it("parses every value of the table like ast.literal_eval + Ansible's fallback", () => {
    const script = `
import ast, json, sys
out = []
for v in json.loads(sys.argv[1]):
    try:
        r = ast.literal_eval(v)
        if isinstance(r, bytes): r = r.decode()
        if isinstance(r, (set, tuple)): r = list(r)
        if isinstance(r, complex) or (isinstance(r, int) and not isinstance(r, bool) and abs(r) > 2**53): r = v
    except (ValueError, SyntaxError, TypeError):
        r = v
    out.append(r)
print(json.dumps(out))`;
    const texts = VALUES.map(([t]) => t);
    const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify(texts)], { encoding: 'utf8' })) as unknown[];
    texts.forEach((t, i) => expect([t, parseIniValue(t)]).toEqual([t, ref[i]]));
  });

  it('splits every line of the table like shlex.split(comments=True)', () => {
    const script = `
import json, shlex, sys
out = []
for line in json.loads(sys.argv[1]):
    try: out.append(shlex.split(line, comments=True))
    except ValueError as e: out.append(str(e))
print(json.dumps(out))`;
    const lines = SPLITS.map(([l]) => l);
    const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify(lines)], { encoding: 'utf8' })) as unknown[];
    lines.forEach((l, i) => expect([l, shlexSplit(l, { comments: true })]).toEqual([l, ref[i]]));
  });
});
