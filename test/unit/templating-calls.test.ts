/** Calls as Jinja has them: `f(*args)`, `f(**kwargs)`, a trailing comma; lookups through them (real templating). */
import { describe, expect, test } from 'vitest';
import { evalExpression } from '../../src/engine/templating/index.js';
import { loopItems } from '../../src/engine/loops.js';
import { TsplayError } from '../../src/errors.js';

const vars = { phrases: ['Hello World', 'Olá Mundo'], kw: { wantlist: true }, d: { a: 1, b: 2 }, n: 3 };
const ev = (e: string) => evalExpression(e, vars);

describe('call splats', () => {
  test('*list spreads positional arguments, also after a keyword argument', () => {
    expect(ev('lookup("list", wantlist=True, *phrases)')).toEqual(['Hello World', 'Olá Mundo']);
    expect(ev('q("list", *phrases)')).toEqual(['Hello World', 'Olá Mundo']);
    expect(ev('range(*[1, 4])')).toEqual([1, 2, 3]);
  });
  test('**dict spreads keyword arguments', () => {
    expect(ev('lookup("list", "x", **kw)')).toEqual(['x']);
    expect(ev('dict(**d)')).toEqual({ a: 1, b: 2 });
  });
  test('a dict after * gives its keys; a trailing comma is accepted', () => {
    expect(ev('q("list", *d)')).toEqual(['a', 'b']);
    expect(ev('range(1, 3,)')).toEqual([1, 2]);
  });
  test('a non-iterable after * or a non-mapping after ** is a template error', () => {
    expect(() => ev('range(*n)')).toThrow(TsplayError);
    expect(() => ev('range(*n)')).toThrow(/argument after \* must be an iterable, not int/);
    expect(() => ev('dict(**phrases)')).toThrow(/argument after \*\* must be a mapping, not list/);
  });
});

describe('with_list / with_dict', () => {
  test("with_list refuses a dict with ansible-core's message; with_dict takes a list of dicts", () => {
    expect(() => loopItems('list', { key: 'value' })).toThrow(/^with_list expects a list$/);
    expect(() => loopItems('dict', [1, 2])).toThrow(/^with_dict expects a dict$/);
    expect(loopItems('dict', [{ a: 1 }, { b: 2 }])).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
  });
  test('the lookups behind the loops are callable as lookup()/query()', () => {
    expect(ev("query('sequence', 'start=1 end=3')")).toEqual(['1', '2', '3']);
    expect(ev("query('together', [1, 2], ['a'])")).toEqual([
      [1, 'a'],
      [2, null],
    ]);
    expect(ev("lookup('subelements', [{'n': 1, 'l': [5, 6]}], 'l', wantlist=true)")).toEqual([
      [{ n: 1 }, 5],
      [{ n: 1 }, 6],
    ]);
    expect(() => ev("lookup('subelements', 9001, 'groups', wantlist=true)")).toThrow(/expects a dictionary/);
  });
});
