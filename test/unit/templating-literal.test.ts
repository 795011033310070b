/**
 * parsePyLiteral against Python's own ast.literal_eval (with ansible-core's Json2Python: true/false/null), run by
 * /usr/bin/python3 on the same texts: the same value, or "not a literal" where Python refuses.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { parsePyLiteral } from '../../src/engine/templating/literal.js';
import { toPlain } from '../../src/engine/templating/py.js';

const texts = [
  'True',
  'False',
  '[1, 2]',
  '[]',
  '{}',
  '[1, 2,]',
  "{'a': 1, 'b': [True, None]}",
  '{"a": true, "b": null}',
  '[\'x\', "y"]',
  "['a' 'b']",
  "[r'\\d+', '\\t', '\\x41\\u00e9', '\\101', '\\q']",
  "['''tri\nple''']",
  '[-1, +2, -0.5, 1e3, .5, 5., 0x1f, 0o17, 0b11, 1_000]',
  '[1.0, 2.50]',
  '(1, 2)',
  '[(1,), ()]',
  '{1: "a", 2.5: "b", True: "c", None: "d"}',
  '{1, 2}',
  '[1,\n 2]\n',
  '[1, # c\n 2]',
  '[1] and more',
  '[a]',
  '[1, 2',
  '{1: }',
  '[1 2]',
  '[f(1)]',
  '[1 + 2]',
  '[1j]',
  "[b'x']",
  '[-True]',
  '[--1]',
  '[012]',
  '[True]x',
  '{[1]: 2}',
  "{'a': {'b': [{}]}}",
  '[1e400]',
  "['\\N{DASH}']",
  "[u'x']",
  '[0]',
  '[-0]',
  '{1.0: 1, 1: 2}',
];

const PY = `
import ast, json, sys
_JSON_MAP = {"true": True, "false": False, "null": None}
class Json2Python(ast.NodeTransformer):
    def visit_Name(self, node):
        if node.id not in _JSON_MAP:
            return node
        return ast.Constant(value=_JSON_MAP[node.id])
out = []
for t in json.load(sys.stdin):
    try:
        v = ast.literal_eval(ast.fix_missing_locations(Json2Python().visit(ast.parse(t, mode='eval'))))
        def plain(x):
            if isinstance(x, (set, frozenset, tuple)): return [plain(i) for i in x]
            if isinstance(x, list): return [plain(i) for i in x]
            if isinstance(x, dict): return {str(k): plain(i) for k, i in x.items()}
            if isinstance(x, (bytes, complex)): raise ValueError('not json')
            if isinstance(x, float) and x != x or x in (float('inf'), float('-inf')): return repr(x)
            return x
        out.append({'ok': True, 'value': plain(v)})
    except (ValueError, SyntaxError, MemoryError, TypeError):
        out.append({'ok': False})
print(json.dumps(out))
`;

describe('parsePyLiteral: the same as ast.literal_eval', () => {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(texts), encoding: 'utf8' });
  const python = r.status === 0 ? (JSON.parse(r.stdout) as { ok: boolean; value?: unknown }[]) : [];
  it('python answered', () => expect(r.status, r.stderr).toBe(0));
  texts.forEach((t, i) => {
    it(JSON.stringify(t), () => {
      const want = python[i]!;
      const got = parsePyLiteral(t);
      expect(got.ok).toBe(want.ok);
      if (got.ok && want.ok) {
        // Python dict keys print as str(); infinities as their repr
        const plain = JSON.parse(JSON.stringify(toPlain(got.value), (_k, v: unknown) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v)));
        expect(plain).toEqual(want.value);
      }
    });
  });
});
