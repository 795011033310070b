/**
 * Hostile and mistaken input at load time: each gets one clear error at its file:line:col, in
 * bounded time, never a stack overflow or JavaScript's wording. YAML: bounded nesting and alias expansion,
 * alias cycles, merge keys, duplicate and complex keys, strict UTF-8; files: only regular files of bounded
 * size (a FIFO is refused, not waited on); host ranges bounded; empty playbooks and misspelt arguments named
 * as ansible-playbook names them, the real mistake first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYaml, YAML_LIMITS } from '../../src/config/yaml.js';
import { decodeUtf8, MAX_SOURCE_BYTES, readSourceFile } from '../../src/config/source-file.js';
import { loadPlaybook } from '../../src/config/playbook.js';
import { checkUndefinedVariables } from '../../src/config/static-vars.js';
import { expandHostRange, MAX_RANGE_HOSTS } from '../../src/config/inventory/ranges.js';
import { parseIniValue } from '../../src/config/inventory/py-literal.js';
import { loadInventory } from '../../src/config/inventory/index.js';
import { graph } from '../../src/config/inventory/output.js';
import { expressionProblem } from '../../src/config/static-expr.js';
import { damerauLevenshtein, suggestName, validateArgs } from '../../src/contract/validate.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { builtinModules } from '../../modules/index.js';
import { TsplayError } from '../../src/errors.js';

const DIR = mkdtempSync(join(tmpdir(), 'tsplay-input-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const registry = new ModuleRegistry(builtinModules);

/** The formatted error a call throws (failing the test if it throws anything else, or nothing). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TsplayError)) throw e;
    return e.format();
  }
  throw new Error('expected an error');
}

function write(name: string, text: string | Buffer): string {
  const p = join(DIR, name);
  writeFileSync(p, text);
  return p;
}

const bomb = (levels: number) => {
  const parts = ['&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let l = 1; l < levels; l++)
    parts.push(
      `&a${l} [${Array(10)
        .fill(`*a${l - 1}`)
        .join(', ')}]`,
    );
  return `x: [${parts.join(', ')}]`;
};

describe('YAML bounds', () => {
  it(`nesting deeper than ${YAML_LIMITS.depth} levels is an error at the collection that goes past it`, () => {
    const n = 3000;
    for (const text of [
      'a: ' + '['.repeat(n) + ']'.repeat(n),
      'a: ' + '{b: '.repeat(n) + '1' + '}'.repeat(n),
      Array.from({ length: 150 }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ' x',
    ]) {
      expect(errorOf(() => parseYaml(text, 'f.yml'))).toMatch(/^f\.yml:\d+:\d+: nesting deeper than 100 levels of lists and mappings$/);
    }
    expect(errorOf(() => parseYaml('a: ' + '['.repeat(101) + ']'.repeat(101), 'f.yml'))).toBe(
      'f.yml:1:103: nesting deeper than 100 levels of lists and mappings',
    );
    expect(JSON.stringify(parseYaml('a: ' + '['.repeat(99) + ']'.repeat(99), 'f.yml'))).toBe('{"a":' + '['.repeat(99) + ']'.repeat(99) + '}');
  });

  it('aliases cannot nest past the bound either', () => {
    const text = 'a: &a ' + '['.repeat(60) + ']'.repeat(60) + '\nb: ' + '['.repeat(60) + '*a' + ']'.repeat(60);
    expect(errorOf(() => parseYaml(text, 'f.yml'))).toBe("f.yml:2:64: nesting deeper than 100 levels of lists and mappings (through alias '*a')");
  });

  it('a "billion laughs" document is refused at an alias, quickly', () => {
    const t0 = Date.now();
    expect(errorOf(() => parseYaml(bomb(10), 'f.yml'))).toMatch(/^f\.yml:1:\d+: aliases expand to more than 100,000 values .*refused at alias '\*a\d'$/);
    expect(Date.now() - t0).toBeLessThan(5_000); // a bound against a hang, not a benchmark
    // a few thousand aliased values are ordinary use
    expect((parseYaml(bomb(4), 'f.yml') as { x: unknown[] }).x).toHaveLength(4);
  });

  it('merge-key bombs are bounded the same way', () => {
    const parts = ['&m0 {a: 1, b: [x, y]}'];
    for (let l = 1; l < 10; l++)
      parts.push(
        `&m${l} {<<: [${Array(10)
          .fill(`*m${l - 1}`)
          .join(', ')}], k${l}: [${Array(10)
          .fill(`*m${l - 1}`)
          .join(', ')}]}`,
      );
    expect(errorOf(() => parseYaml(`x: [${parts.join(', ')}]`, 'f.yml'))).toMatch(/aliases expand to more than 100,000 values/);
  });

  it('an alias inside its own anchor is a cycle, at the alias', () => {
    expect(errorOf(() => parseYaml('a: &x [1, *x]', 'f.yml'))).toBe("f.yml:1:11: alias '*x' refers to a value that contains it (a cycle)");
    expect(errorOf(() => parseYaml('a: &x {k: {j: *x}}', 'f.yml'))).toMatch(/^f\.yml:1:\d+: alias '\*x' refers to a value that contains it \(a cycle\)$/);
    expect(errorOf(() => parseYaml('a: &x {<<: *x, b: 1}', 'f.yml'))).toMatch(/\(a cycle\)$/);
    expect(errorOf(() => parseYaml('a: *nope', 'f.yml'))).toBe("f.yml:1:4: unknown alias '*nope': no anchor '&nope' before it");
  });

  it('merge keys merge (an earlier map of the list wins, the own keys over all)', () => {
    expect(parseYaml('b: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3', 'f.yml')).toEqual({ b: { x: 1, y: 2 }, d: { x: 1, y: 3 } });
    expect(parseYaml('a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc: {<<: [*a, *b], w: 0}', 'f.yml')).toEqual({
      a: { x: 1 },
      b: { x: 2, z: 2 },
      c: { x: 1, z: 2, w: 0 },
    });
    expect(errorOf(() => parseYaml('a: {<<: 1}', 'f.yml'))).toBe("f.yml:1:9: '<<' (merge) needs a mapping or a list of mappings");
  });

  it('keys: duplicates, lists as keys, __proto__ and nan', () => {
    expect(errorOf(() => parseYaml('a: 1\nb: 2\na: 3', 'f.yml'))).toBe('f.yml:3:1: YAML syntax error: Map keys must be unique');
    expect(errorOf(() => parseYaml('? [a, b]\n: 1', 'f.yml'))).toBe('f.yml:1:3: a mapping key must be a string or a number, not a list');
    const v = parseYaml('__proto__: {polluted: 1}', 'f.yml') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(Object.keys(parseYaml('.nan: 1\n.inf: 2', 'f.yml') as object)).toEqual(['nan', 'inf']);
  });

  it('20,000 keys load in well under a second or two (no quadratic duplicate check)', () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const t0 = Date.now();
    expect(Object.keys(parseYaml(text, 'f.yml') as object)).toHaveLength(20_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('timestamps and !!binary stay the text written, not a JS Date or byte array', () => {
    expect(parseYaml('a: 2001-12-14\nb: !!binary aGVsbG8=\nc: !!omap [{k: 1}]', 'f.yml')).toEqual({ a: '2001-12-14', b: 'aGVsbG8=', c: [{ k: 1 }] });
  });

  it('a second document is an error at its start', () => {
    expect(errorOf(() => parseYaml('a: 1\n---\nb: 2', 'f.yml'))).toBe(
      'f.yml:2:1: YAML syntax error: a file may hold only one YAML document (found a second "---")',
    );
  });
});

describe('source files', () => {
  it('invalid UTF-8 is an error at the line and column of the first bad byte', () => {
    const buf = Buffer.concat([Buffer.from('a: 1\nbé: x'), Buffer.from([0xff]), Buffer.from('y\n')]);
    expect(errorOf(() => decodeUtf8(buf, 'f.yml'))).toBe('f.yml:2:6: invalid UTF-8 (bytes ff 79 0a): playbooks, inventories and vars files must be UTF-8 text');
    for (const bad of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xe2, 0x82],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      expect(errorOf(() => decodeUtf8(Buffer.from([0x61, ...bad]), 'f.yml'))).toMatch(/^f\.yml:1:2: invalid UTF-8/);
    }
    expect(decodeUtf8(Buffer.from('\ufeffa: 1'), 'f.yml')).toBe('a: 1'); // a BOM is dropped
  });

  it('a FIFO, a device and a directory are refused without blocking', () => {
    const fifo = join(DIR, 'fifo.yml');
    execFileSync('mkfifo', [fifo]);
    expect(errorOf(() => readSourceFile(fifo))).toBe(
      `${fifo}: not a regular file (a FIFO): tsplay reads playbooks, inventories and vars files only from regular files`,
    );
    const zero = join(DIR, 'zero.yml');
    symlinkSync('/dev/zero', zero);
    expect(errorOf(() => readSourceFile(zero))).toMatch(/: not a regular file \(a character device\)/);
    expect(errorOf(() => readSourceFile(DIR))).toBe(`${DIR}: is a directory, not a file`);
    expect(errorOf(() => readSourceFile(join(DIR, 'nope.yml')))).toBe(`${join(DIR, 'nope.yml')}: cannot be read: no such file (ENOENT)`);
  });

  it(`a file over ${MAX_SOURCE_BYTES / 2 ** 20} MiB is refused before it is read`, () => {
    const big = write('big.yml', '');
    truncateSync(big, MAX_SOURCE_BYTES + 1); // sparse: costs no disk
    expect(errorOf(() => readSourceFile(big))).toMatch(/: too large \(more than 16 MiB; a playbook, inventory or vars file may have at most 16 MiB\)$/);
  });

  it('a vars_files entry or include_vars naming a device is an error at that entry (the syntax check reads them)', () => {
    const pb = write('devzero.yml', '- hosts: all\n  vars_files:\n    - /dev/zero\n  tasks:\n    - include_vars: /dev/urandom\n');
    const check = (text: string) => {
      writeFileSync(pb, text);
      return errorOf(() => checkUndefinedVariables(loadPlaybook(pb, { registry }).plays, () => [], { registry, playbookDir: DIR }));
    };
    expect(check('- hosts: all\n  vars_files:\n    - /dev/zero\n  tasks: []\n')).toBe(
      `${pb}:3:7: /dev/zero: not a regular file (a character device): tsplay reads playbooks, inventories and vars files only from regular files`,
    );
    expect(check('- hosts: all\n  tasks:\n    - include_vars: /dev/urandom\n')).toMatch(new RegExp(`^${pb}:3:7: /dev/urandom: not a regular file`));
  });
});

describe('playbooks', () => {
  it.each([
    ['', 'Empty playbook, nothing to do'],
    ['# only a comment\n', 'Empty playbook, nothing to do'],
    ['---\n', 'Empty playbook, nothing to do'],
    ['[]\n', 'A playbook must contain at least one play'],
    ['hosts: all\n', 'a playbook must be a list of plays, got a mapping'],
  ])('%j: %s', (text, msg) => {
    const pb = write(`pb-${msg.length}-${text.length}.yml`, text);
    expect(errorOf(() => loadPlaybook(pb, { registry }))).toBe(`${pb}:1:1: ${msg}`);
  });

  it('a misspelt argument is named first with what it meant, then what is missing', () => {
    const pb = write('destt.yml', '- hosts: all\n  tasks:\n    - copy: {destt: /tmp/x, content: x}\n');
    const errors: TsplayError[] = [];
    loadPlaybook(pb, { registry, errors });
    expect(errors.map((e) => e.format())).toEqual([
      `${pb}:3:14: copy: unknown argument 'destt' (did you mean 'dest'?)`,
      `${pb}:3:7: copy: missing required argument 'dest'`,
    ]);
    // without error collection (a run) the first error carries the rest
    expect(errorOf(() => loadPlaybook(pb, { registry }))).toBe(
      `${pb}:3:14: copy: unknown argument 'destt' (did you mean 'dest'?)\n  also: ${pb}:3:7: copy: missing required argument 'dest'`,
    );
  });

  it('at run time too, the unknown argument comes before the missing one', () => {
    const copy = registry.get('copy')!;
    expect(errorOf(() => validateArgs(copy, { destt: '/x', content: 'x' }))).toBe(
      "copy: unknown argument 'destt' (did you mean 'dest'?)\n  also: copy: missing required argument 'dest'",
    );
  });

  it('an expression nested past the bound is an error, not a stack overflow', () => {
    expect(expressionProblem(`{{ ${'('.repeat(3000)}1${')'.repeat(3000)} }}`, false)).toBe('nested deeper than 100 levels of brackets or blocks');
    expect(expressionProblem(`{{ x${' | lower'.repeat(5000)} }}`, false)).toMatch(/nested (deeper than 200 levels|too deeply to parse)/);
    expect(expressionProblem(`{{ ${'('.repeat(50)}1${')'.repeat(50)} }}`, false)).toBeUndefined();
  });
});

describe('did you mean', () => {
  it('counts a transposition as one edit', () => {
    expect(damerauLevenshtein('contnet', 'content')).toBe(1);
    expect(damerauLevenshtein('destt', 'dest')).toBe(1);
    expect(damerauLevenshtein('abc', 'xyz')).toBe(3);
  });
  it.each([
    ['destt', ['dest', 'content', 'src'], 'dest'],
    ['contnet', ['dest', 'content'], 'content'],
    ['cont', ['content', 'dest'], 'content'], // a prefix
    ['destination', ['dest', 'src'], 'dest'], // the other way round
    ['taks', ['tasks', 'tags'], 'tasks'], // a dropped letter wins the tie
    ['Mode', ['mode', 'owner'], 'mode'],
    ['xy', ['ab', 'cd'], undefined],
    ['zzzzzz', ['dest', 'content'], undefined],
  ])('%s → %s', (word, options, want) => {
    expect(suggestName(word, options)).toBe(want);
  });
});

describe('inventories', () => {
  it(`a host range over ${MAX_RANGE_HOSTS.toLocaleString('en')} hosts is an error naming it, before any name is made`, () => {
    const t0 = Date.now();
    expect(() => expandHostRange('node[0:99999999]')).toThrow(
      "host range '[0:99999999]' in 'node[0:99999999]' expands to 100,000,000 hosts; at most 100,000 are allowed per entry",
    );
    expect(() => expandHostRange('x' + '[0:9]'.repeat(12))).toThrow(/^the ranges of 'x\[0:9\].*' expand to 1,000,000,000,000 hosts/);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(expandHostRange('n[1:3]r[a:b]')).toEqual(['n1ra', 'n1rb', 'n2ra', 'n2rb', 'n3ra', 'n3rb']);
  });

  it('a huge range in an inventory file is an error at its line', async () => {
    const inv = write('range.ini', '[compute]\nnode[0:99999999]\n');
    await expect(loadInventory([inv])).rejects.toThrow(TsplayError);
    await loadInventory([inv]).catch((e: TsplayError) =>
      expect(e.format()).toBe(
        `${inv}:2:1: host range '[0:99999999]' in 'node[0:99999999]' expands to 100,000,000 hosts; at most 100,000 are allowed per entry`,
      ),
    );
  });

  it('a chain of 3,000 groups loads and graphs without recursion trouble', async () => {
    const lines = ['[g0]', 'h1'];
    for (let i = 1; i < 3000; i++) lines.push(`[g${i}:children]`, `g${i - 1}`);
    const inv = await loadInventory([write('chain.ini', lines.join('\n') + '\n')]);
    expect(inv.groupsOf('h1')).toHaveLength(3000);
    expect(graph(inv).split('\n')).toHaveLength(3003); // @all, 3,000 groups, h1, @ungrouped
  });

  it('INI values nested past the bound stay text (as literal_eval fails on them)', () => {
    expect(parseIniValue('[[1]]')).toEqual([[1]]);
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(parseIniValue(deep)).toBe(deep);
    const set = '{' + Array.from({ length: 50_000 }, (_, i) => i % 100).join(', ') + '}';
    expect(parseIniValue(set)).toHaveLength(100); // de-duplicated in linear time
  });
});
