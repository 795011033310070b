/**
 * with_* loops: tsplay's loopItems against ansible-core's own lookup plugins (the installed ansible-core 2.14,
 * through /usr/bin/python3), for the same loop values; plus loop:'s rules (a list is required, no flattening).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { loopItems } from '../../src/engine/loops.js';
import type { TsplayError } from '../../src/errors.js';
import type { LoopKind } from '../../src/config/playbook-types.js';

const cases: [LoopKind, unknown][] = [
  ['items', [[1, [2, 3]], 4, 'x']],
  ['items', 'single'],
  ['items', [[], [[1]]]],
  ['list', [[1, [2]], 3]],
  ['together', [[1, 2], [3]]],
  ['together', [['a', 'b', 'c'], [1, 2], [true]]],
  ['nested', [[1, 2], ['a', 'b'], ['x']]],
  [
    'subelements',
    [
      [
        { n: 1, k: [1, 2] },
        { n: 2, k: [3] },
      ],
      'k',
    ],
  ],
  ['indexed_items', ['a', 'b', 'c']],
  ['indexed_items', [['a', 'b'], 'c']],
  ['sequence', 'start=1 end=10 stride=3 format=x%02d'],
  ['sequence', 'count=3'],
  ['sequence', '4-8/2'],
  ['sequence', 'start=10 end=0 stride=-5'],
  ['sequence', '0x0f-0x12:%04x'],
  ['sequence', 'count=0'],
  ['sequence', ['1-2', 'start=5 count=2 stride=2']],
  [
    'together',
    [
      ['a', 'b', 'c', 'd'],
      ['1', '2', '3', '4'],
    ],
  ],
  ['indexed_items', ['x', 'y']],
  ['subelements', [{ one: { id: 'x', the: { sub: { list: ['q', 'r'] } } }, two: { id: 'y', the: { sub: { list: ['i'] } } } }, 'the.sub.list']],
  ['subelements', [[{ id: 'x', the: { list: ['k'] } }, { id: 'y' }, { id: 's', skipped: true, the: { list: [1] } }], 'the.list', { skip_missing: true }]],
  ['dict', { a: 1, b: { c: 2 } }],
  ['flattened', [1, [2, [3, [4]]], 'x']],
];

const PY = `
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.plugins.loader import lookup_loader
loader = DataLoader()
templar = Templar(loader=loader)
out = []
for kind, value in json.load(sys.stdin):
    terms = value if isinstance(value, list) else [value]
    out.append(lookup_loader.get(kind, loader=loader, templar=templar).run(terms, variables={}))
print(json.dumps(out))
`;

describe("with_* loops: the same items as ansible-core's lookup plugins", () => {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(cases), encoding: 'utf8' });
  const ansible = r.status === 0 ? (JSON.parse(r.stdout) as unknown[]) : [];
  it('ansible-core answered', () => expect(r.status, r.stderr).toBe(0));
  cases.forEach(([kind, value], i) => {
    it(`with_${kind}: ${JSON.stringify(value)}`, () => {
      expect(JSON.parse(JSON.stringify(loopItems(kind, value)))).toEqual(ansible[i]);
    });
  });
});

/** Bad loop values: the task fails with the lookup plugin's own message (no position), as ansible-core's. */
const bad: [LoopKind, unknown][] = [
  ['together', []],
  ['indexed_items', { a: 1 }],
  ['sequence', 'start=0 junk=3'],
  ['sequence', 'start=A end=3'],
  ['sequence', 'A-4/2'],
  ['sequence', '1-B/2'],
  ['sequence', '1-4/C'],
  ['sequence', 'start=1'],
  ['sequence', 'start=1 end=4 count=2'],
  ['sequence', 'start=4 end=1 stride=2'],
  ['sequence', 'start=1 end=4 stride=-2'],
  ['sequence', 'start=1 end=4 format=d'],
  ['subelements', [[9001], 'groups']],
  ['subelements', [[{ a: { b: 1 } }], 'a.b']],
  ['subelements', [[{ a: { b: 1 } }], 'a.b.c']],
  ['subelements', [[{ a: { b: 1 } }], 'a.monkey']],
  ['subelements', [[{ a: [1] }], 'a', 'wolves']],
  ['subelements', [[{ a: [1] }], 'a', 'wolves', 'foo']],
  ['subelements', [[{ a: [1] }], true]],
  ['subelements', [true, [{ a: [1] }]]],
];

const PY_ERR = `
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.plugins.loader import lookup_loader
from ansible.utils.listify import listify_lookup_plugin_terms
loader = DataLoader()
templar = Templar(loader=loader)
out = []
for kind, value in json.load(sys.stdin):
    try:
        lookup_loader.get(kind, loader=loader, templar=templar).run(listify_lookup_plugin_terms(value, templar), variables={})
        out.append(None)
    except Exception as e:
        out.append(str(e))
print(json.dumps(out))
`;

describe("with_* loops: bad values fail with ansible-core's messages", () => {
  const r = spawnSync('/usr/bin/python3', ['-c', PY_ERR], { input: JSON.stringify(bad), encoding: 'utf8' });
  const ansible = r.status === 0 ? (JSON.parse(r.stdout) as unknown[]) : [];
  it('ansible-core answered', () => expect(r.status, r.stderr).toBe(0));
  bad.forEach(([kind, value], i) => {
    it(`with_${kind}: ${JSON.stringify(value)}`, () => {
      let msg: string | null = null;
      try {
        loopItems(kind, value);
      } catch (e) {
        msg = (e as TsplayError).format();
      }
      expect(msg).toBe(ansible[i]);
    });
  });
});

describe('loop:', () => {
  it('takes a list as it is (no flattening)', () => {
    expect(loopItems('loop', [[1, 2], 3])).toEqual([[1, 2], 3]);
  });
  it('refuses anything else, with a hint for dicts', () => {
    expect(() => loopItems('loop', { a: 1 })).toThrow(/requires a list.*dict2items/);
    expect(() => loopItems('loop', 'abc')).toThrow(/requires a list/);
  });
});
