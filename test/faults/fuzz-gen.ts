/**
 * A seeded generator of hostile inputs for the loaders: the repo's own playbooks, inventories and test fixtures,
 * each mutated the way a new user's typo, an editor accident or an attacker would (wrong types, deleted and
 * duplicated keys, unicode, deep nesting, alias bombs and cycles, invalid UTF-8, tabs, huge host ranges,
 * special files). The same seed gives the same cases, so a failure found in CI is reproduced by its case id.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isPair, isScalar, isSeq, parseDocument, Scalar, visit, type Document, type Node as YNode, type Pair, type YAMLMap } from 'yaml';

/** A file of the case's tree replaced by something that is not a regular file. */
export type Special = 'fifo' | 'dev-zero' | 'dev-urandom' | 'directory';

export interface Write {
  /** relative to the tree's root */
  path: string;
  data: Buffer | { special: Special };
}

export interface FuzzCase {
  id: number;
  /** e.g. "syntax playbooks/cloudnode.yml" */
  subject: string;
  /** the mutations applied, e.g. "alias-bomb@inventory/hosts.yml" */
  mutation: string;
  /** CLI arguments; paths are relative to the tree's root (the child's cwd) */
  argv: string[];
  writes: Write[];
}

interface Subject {
  name: string;
  argv: string[];
  /** files a mutation may change (relative paths) */
  files: string[];
  /** playbook subjects can also point a task or vars_files at a special file */
  playbook?: string;
}

/** The directories copied into each fuzz tree (relative to the repo root). */
export const TREE_DIRS = ['playbooks', 'inventory', 'templates', 'test/fixtures/conformance', 'test/fixtures/playbooks', 'test/fixtures/inventory'];
/** A static inventory for the fixture playbooks (their real one is made by the lab). */
export const FUZZ_INVENTORY = {
  path: 'fuzz-hosts.ini',
  text: '[web]\nnode1 ansible_host=192.0.2.1\nnode2 ansible_host=192.0.2.2\n\n[db]\nnode3 ansible_host=192.0.2.3\n\n[all:vars]\nansible_user=admin\n',
};

const isYamlName = (f: string) => /\.(ya?ml|json)$/.test(f);
const isInvName = (f: string) => /\.(ya?ml|json|ini)$/.test(f) || !f.includes('.');

function listFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d)).sort()) {
      const rel = join(d, e);
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk(dir);
  return out;
}

/** The subjects: what is run, and which files of the tree its mutations may touch. */
export function subjects(root: string): Subject[] {
  const out: Subject[] = [];
  const invVars = listFiles(root, 'inventory').filter((f) => f.includes('group_vars/') && !f.startsWith('inventory/lab/'));
  for (const pb of ['playbooks/cloudnode.yml', 'playbooks/gateway.yml', 'playbooks/image.yml']) {
    out.push({
      name: `syntax ${pb}`,
      argv: ['run', '--syntax-check', pb, '-i', 'inventory/hosts.yml'],
      files: [pb, 'inventory/hosts.yml', ...invVars],
      playbook: pb,
    });
  }
  const conf = 'test/fixtures/conformance';
  const confSupport = listFiles(root, conf).filter((f) => isYamlName(f) && relative(conf, f).includes('/') && !f.includes('/expected/'));
  for (const f of readdirSync(join(root, conf)).sort()) {
    if (!f.endsWith('.yml')) continue;
    const pb = `${conf}/${f}`;
    out.push({
      name: `syntax ${pb}`,
      argv: ['run', '--syntax-check', pb, '-i', FUZZ_INVENTORY.path],
      files: [pb, pb, pb, ...confSupport, FUZZ_INVENTORY.path],
      playbook: pb,
    });
  }
  for (const f of readdirSync(join(root, 'test/fixtures/playbooks')).sort()) {
    if (!f.endsWith('.yml')) continue;
    const pb = `test/fixtures/playbooks/${f}`;
    out.push({ name: `syntax ${pb}`, argv: ['run', '--syntax-check', pb, '-i', FUZZ_INVENTORY.path], files: [pb], playbook: pb });
  }
  const fi = 'test/fixtures/inventory';
  const invs: [string, string[]][] = [
    ['inventory/hosts.yml', ['inventory/hosts.yml', ...invVars]],
    ['inventory/lab/hosts.yml', listFiles(root, 'inventory/lab')],
    [`${fi}/yaml-forms.yml`, [`${fi}/yaml-forms.yml`]],
    [`${fi}/patterns.ini`, [`${fi}/patterns.ini`]],
    [`${fi}/cluster`, listFiles(root, `${fi}/cluster`)],
    [`${fi}/dir`, listFiles(root, `${fi}/dir`).filter(isInvName)],
    [`${fi}/ini/hosts.ini`, listFiles(root, `${fi}/ini`)],
    [`${fi}/multi/a`, listFiles(root, `${fi}/multi/a`)],
  ];
  for (const [inv, files] of invs) {
    out.push({ name: `inventory --list ${inv}`, argv: ['inventory', '-i', inv, '--list'], files });
    out.push({ name: `inventory --graph ${inv}`, argv: ['inventory', '-i', inv, '--graph'], files });
  }
  return out;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// value pools

const deepExpr = (n: number) => `"{{ ${'('.repeat(n)}1${')'.repeat(n)} }}"`;
/** Replacement values, as YAML text (parsed into a node of the mutated document). */
const VALUES = [
  'null',
  '~',
  'true',
  'no',
  '0',
  '-1',
  '0644',
  '99999999999999999999999',
  '1e400',
  '.nan',
  '-.inf',
  '""',
  'x',
  '[]',
  '{}',
  '[1, [2, [3]]]',
  '{a: {b: c}}',
  '[{}, [], null]',
  '2001-12-14t21:59:43.10-05:00',
  '2002-12-14',
  '!!binary aGVsbG8=',
  '!!set {a, b}',
  '!!omap [{a: 1}, {b: 2}]',
  '!!pairs [{a: 1}]',
  '!!str 0644',
  '!!float x',
  '!!int 0x1F',
  '!unsafe "{{ x }}"',
  '!vault "garbage"',
  '!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162',
  '!custom x',
  '{{ x }}',
  '"{{ x }}"',
  '"{% for %}"',
  '"{{ x | nosuchfilter }}"',
  '"{{ undefined_thing.attr[0] }}"',
  "\"{{ lookup('file', '/dev/zero') }}\"",
  deepExpr(60),
  deepExpr(3000),
  '"' + 'A'.repeat(100_000) + '"',
  '[' + Array.from({ length: 5000 }, (_, i) => i).join(', ') + ']',
  '"\\u0000\\u0007\\u001b[31m"',
  '"a\\nb: c"',
  '"node[0:99999999]"',
  '"all:!web:&db[0:10]"',
  '"~(unclosed"',
  '"__proto__"',
  '{__proto__: {polluted: 1}}',
  '{constructor: {prototype: x}}',
];
const UNICODE = [
  '\u202e',
  '\u200b',
  '\ufeff',
  '💥',
  'e\u0301',
  '\u0000',
  '\u0007',
  '\u2028',
  '\u0085',
  'İ',
  '：',
  '名前',
  '\ud800',
  '\u{10ffff}',
  '\r',
  '\r\n',
];
const BAD_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xf0, 0x28, 0x8c, 0xbc],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];
const PUNCT = [
  ':',
  ': ',
  '- ',
  '{',
  '[',
  ']',
  '}',
  '&',
  '&x ',
  '*',
  '*nosuch ',
  '!',
  '!!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '? ',
  '---\n',
  '...\n',
  '"',
  "'",
  '#',
  ',',
  '\\',
  '<<: ',
  '<<: *nosuch\n',
];
const RANGES = [
  'node[0:99999999]',
  'n[0:99999][0:99999]',
  'r[a:z][a:z][a:z][a:z][a:z]',
  'x' + '[0:9]'.repeat(12),
  'h[1:5000]',
  'a[1:]',
  'a[:5]',
  'a[5:1]',
  'a[0:10:0]',
  'a[01:100]',
  'a[9999999999999999999999:99999999999999999999999]',
  'a[0:1e30]',
  'a[0:10',
  'a]0:1[',
  'a[[0:1]]',
  'a[-5:5]',
  'a[0:9:-1]',
  'c' + '[0:1]'.repeat(40),
];

const bomb = (levels: number, width: number, tag: string): string => {
  const parts = [`&${tag}0 [${Array(width).fill('lol').join(', ')}]`];
  for (let l = 1; l < levels; l++)
    parts.push(
      `&${tag}${l} [${Array(width)
        .fill(`*${tag}${l - 1}`)
        .join(', ')}]`,
    );
  return `[${parts.join(', ')}]`;
};
const mergeBomb = (levels: number, width: number, tag: string): string => {
  const parts = [`&${tag}0 {a: 1, b: 2, c: [x, y]}`];
  for (let l = 1; l < levels; l++)
    parts.push(
      `&${tag}${l} {<<: [${Array(width)
        .fill(`*${tag}${l - 1}`)
        .join(', ')}], k${l}: [${Array(width)
        .fill(`*${tag}${l - 1}`)
        .join(', ')}]}`,
    );
  return `[${parts.join(', ')}]`;
};
const CYCLES = ['&cy0 [*cy0]', '&cy1 {k: *cy1}', '&cy2 [{k: [*cy2]}]', '&cy3 {<<: *cy3, a: 1}', '&cy4 {a: &cy5 [*cy4, *cy5]}'];

function nest(rng: Rng, n: number): string {
  const style = rng.int(4);
  if (style === 0) return '['.repeat(n) + ']'.repeat(n);
  if (style === 1) return '{a: '.repeat(n) + '1' + '}'.repeat(n);
  if (style === 2) return '[{a: '.repeat(n) + '1' + '}]'.repeat(n);
  return `"{{ ${'['.repeat(n)}${']'.repeat(n)} }}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// mutations

type TextMutation = (rng: Rng, text: string, file: string) => string | Buffer | undefined;
type DocMutation = (rng: Rng, doc: Document, file: string) => boolean;

function allNodes(doc: Document): { node: YNode; parent: YAMLMap | import('yaml').YAMLSeq | Pair | null }[] {
  const out: { node: YNode; parent: YAMLMap | import('yaml').YAMLSeq | Pair | null }[] = [];
  visit(doc, {
    Node(_k, node, path) {
      const p = path[path.length - 1];
      out.push({ node: node as YNode, parent: isMap(p) || isSeq(p) || isPair(p) ? (p as never) : null });
    },
  });
  return out;
}

function maps(doc: Document): YAMLMap[] {
  const out: YAMLMap[] = [];
  visit(doc, {
    Map(_k, m) {
      out.push(m as YAMLMap);
    },
  });
  return out;
}

function parseValue(text: string): YNode {
  const d = parseDocument(text, { version: '1.1', uniqueKeys: false, strict: false });
  return (d.contents ?? new Scalar(null)) as YNode;
}

/** Replace a node with `value` (a value of a pair, an item of a sequence). */
function replaceNode(doc: Document, rng: Rng, make: () => YNode, mapsOnly = false): boolean {
  const cands = allNodes(doc).filter((c) => c.parent && (!mapsOnly || isMap(c.node)));
  if (!cands.length) return false;
  const { node, parent } = rng.pick(cands);
  if (isPair(parent)) {
    if (parent.value === node) parent.value = make();
    else parent.key = make();
  } else if (isSeq(parent) || isMap(parent)) {
    const i = parent.items.indexOf(node as never);
    if (i < 0) return false;
    (parent.items as unknown[])[i] = isMap(parent) ? parent.items[i] : make();
  }
  return true;
}

function addPair(doc: Document, rng: Rng, key: string, value: YNode): boolean {
  const ms = maps(doc);
  if (!ms.length) return false;
  rng.pick(ms).add({ key: new Scalar(key), value } as Pair);
  return true;
}

const typo = (rng: Rng, s: string): string => {
  if (s.length < 2) return s + s;
  const i = rng.int(s.length - 1);
  switch (rng.int(4)) {
    case 0:
      return s.slice(0, i) + s.slice(i + 1); // dropped letter
    case 1:
      return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2); // transposed
    case 2:
      return s.slice(0, i) + s[i] + s.slice(i); // doubled
    default:
      return s + s[s.length - 1]; // destt
  }
};

const DOC: Record<string, DocMutation> = {
  'wrong-type': (rng, doc) => replaceNode(doc, rng, () => parseValue(rng.pick(VALUES))),
  'delete-key': (rng, doc) => {
    const ms = maps(doc).filter((m) => m.items.length);
    if (!ms.length) return false;
    const m = rng.pick(ms);
    m.items.splice(rng.int(m.items.length), 1);
    return true;
  },
  'rename-key': (rng, doc) => {
    const ms = maps(doc).filter((m) => m.items.some((p) => isScalar(p.key)));
    if (!ms.length) return false;
    const p = rng.pick(rng.pick(ms).items.filter((p) => isScalar(p.key)));
    (p.key as Scalar).value = typo(rng, String((p.key as Scalar).value));
    return true;
  },
  'deep-nest': (rng, doc) => replaceNode(doc, rng, () => parseValue(nest(rng, rng.pick([60, 120, 500, 3000, 20000])))),
  'alias-bomb': (rng, doc) => addPair(doc, rng, 'fuzz_bomb', parseValue(bomb(rng.pick([6, 8, 9, 10]), rng.pick([9, 10]), 'lol'))),
  'merge-bomb': (rng, doc) => addPair(doc, rng, 'fuzz_merge', parseValue(mergeBomb(rng.pick([6, 8, 10]), rng.pick([5, 10]), 'mb'))),
  'alias-cycle': (rng, doc) => addPair(doc, rng, 'fuzz_cycle', parseValue(rng.pick(CYCLES))),
  'nest-in-vars': (rng, doc) => addPair(doc, rng, 'fuzz_deep', parseValue(nest(rng, rng.pick([99, 100, 101, 1000])))),
};

const lines = (t: string) => t.split('\n');
const TEXT: Record<string, TextMutation> = {
  'duplicate-key': (rng, t) => {
    const ls = lines(t);
    const keyed = ls.map((l, i) => [l, i] as const).filter(([l]) => /^\s*(- )?[\w.-]+:/.test(l));
    if (!keyed.length) return undefined;
    const [l, i] = rng.pick(keyed);
    ls.splice(i + 1, 0, l.replace(/^(\s*)- /, '$1  '));
    return ls.join('\n');
  },
  unicode: (rng, t) => {
    const at = rng.int(t.length + 1);
    return t.slice(0, at) + rng.pick(UNICODE) + t.slice(at);
  },
  'invalid-utf8': (rng, t) => {
    const b = Buffer.from(t);
    const at = rng.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(BAD_UTF8)), b.subarray(at)]);
  },
  tabs: (rng, t) => {
    const ls = lines(t);
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const i = rng.int(ls.length);
      ls[i] = rng.chance(0.7) ? ls[i]!.replace(/^( +)/, (m) => '\t'.repeat(Math.max(1, m.length >> 1))) : ls[i]!.replace(/: /, ':\t');
    }
    return ls.join('\n');
  },
  'huge-range': (rng, t, file) => {
    const r = rng.pick(RANGES);
    // a host entry: an INI line's first word, or a YAML key under hosts:
    if (file.endsWith('.ini') || !/\.(ya?ml|json)$/.test(file)) {
      const ls = lines(t);
      const hostLines = ls.map((l, i) => [l, i] as const).filter(([l]) => /^[A-Za-z0-9]/.test(l) && !l.startsWith('['));
      if (!hostLines.length) return t + `\n${r}\n`;
      const [l, i] = rng.pick(hostLines);
      ls[i] = l.replace(/^\S+/, r);
      return ls.join('\n');
    }
    const m = /^(\s+)hosts:\s*\n(\s+)[\w.-]+:/m.exec(t);
    if (m) return t.slice(0, m.index) + m[0].replace(/[\w.-]+:$/, `"${r}":`) + t.slice(m.index + m[0].length);
    return t.replace(/^(\s*hosts:\s*)(\S.*)$/m, `$1"${r}"`);
  },
  punctuation: (rng, t) => {
    const at = rng.int(t.length + 1);
    return t.slice(0, at) + rng.pick(PUNCT) + t.slice(at);
  },
  'delete-line': (rng, t) => {
    const ls = lines(t);
    ls.splice(rng.int(ls.length), 1 + (rng.chance(0.3) ? rng.int(5) : 0));
    return ls.join('\n');
  },
  'duplicate-lines': (rng, t) => {
    const ls = lines(t);
    const i = rng.int(ls.length);
    const n = 1 + rng.int(6);
    ls.splice(i, 0, ...ls.slice(i, i + n));
    return ls.join('\n');
  },
  'swap-lines': (rng, t) => {
    const ls = lines(t);
    if (ls.length < 2) return undefined;
    const i = rng.int(ls.length - 1);
    [ls[i], ls[i + 1]] = [ls[i + 1]!, ls[i]!];
    return ls.join('\n');
  },
  indent: (rng, t) => {
    const ls = lines(t);
    const i = rng.int(ls.length);
    const n = 1 + rng.int(4);
    for (let j = i; j < Math.min(ls.length, i + n); j++) ls[j] = rng.chance(0.5) ? ' ' + ls[j] : ls[j]!.replace(/^ /, '');
    return ls.join('\n');
  },
  truncate: (rng, t) => {
    const b = Buffer.from(t);
    return b.subarray(0, rng.int(b.length + 1));
  },
  empty: (rng) =>
    rng.pick(['', '\n', '# only a comment\n', '---\n', '---\n...\n', '[]\n', '{}\n', 'null\n', '- \n', '~\n', '"just a string"\n', '42\n', '--- !!set\n']),
  'jinja-break': (rng, t) => {
    const spots = [...t.matchAll(/\{\{|\}\}|\{%|%\}/g)];
    if (!spots.length) return undefined;
    const m = rng.pick(spots);
    const repl = rng.pick(['', '{', '}', '{{ {{', '}} }}', '{{ (', '{% for x in %}', `{{ ${'('.repeat(3000)}`, '{{ x |', '{{ x is }}']);
    return t.slice(0, m.index) + repl + t.slice(m.index! + m[0].length);
  },
  'many-keys': (rng, t) => {
    const n = rng.pick([1000, 20000]);
    const block = Array.from({ length: n }, (_, i) => `fuzz_k${i}: ${i}`).join('\n');
    return /^\s*-/.test(t) ? t + `\n- hosts: all\n  vars:\n${block.replace(/^/gm, '    ')}\n` : t + `\n${block}\n`;
  },
};

/** Where the pool puts a FIFO in every tree; `@FUZZROOT@` in a written file is replaced by the tree's root. */
export const FIFO = 'fuzz.fifo';
export const ROOT_MARK = '@FUZZROOT@';

/** Special-file references added to a playbook (a play's vars_files, an include_vars or import_tasks task). */
const SPECIAL_REFS = ['/dev/zero', '/dev/urandom', '/dev/stdin', '/proc/self/mem', `${ROOT_MARK}/${FIFO}`, '/', '/nonexistent/x.yml', '/etc/shadow'];
function specialRef(rng: Rng, t: string): string | undefined {
  const ref = rng.pick(SPECIAL_REFS);
  const m = /^(\s*)tasks:\s*\n/m.exec(t);
  if (!m) return undefined;
  const ind = m[1]!;
  const form = rng.int(3);
  if (form === 0) return t.slice(0, m.index) + `${ind}vars_files: [${ref}]\n` + t.slice(m.index);
  const task = form === 1 ? `include_vars: ${ref}` : `import_tasks: ${ref}`;
  return t.slice(0, m.index + m[0].length) + `${ind}  - ${task}\n` + t.slice(m.index + m[0].length);
}

function applyDoc(rng: Rng, name: string, text: string, file: string): string | undefined {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, strict: false });
  if (doc.errors.length) return undefined;
  // a mutation that the document cannot take (a key added twice, a node yaml cannot print) falls back to a text one
  try {
    if (!DOC[name]!(rng, doc, file)) return undefined;
    return doc.toString({ lineWidth: 0 });
  } catch {
    return undefined;
  }
}

const DOC_NAMES = Object.keys(DOC);
const TEXT_NAMES = Object.keys(TEXT);

/** Case `id` of the run seeded with `seed`. */
export function makeCase(seed: number, id: number, subs: Subject[], originals: Map<string, Buffer>): FuzzCase {
  const rng = new Rng((seed * 2654435761 + id * 40503) >>> 0);
  const sub = subs[rng.int(subs.length)]!;
  const names: string[] = [];
  const contents = new Map<string, Buffer | { special: Special }>();
  const steps = rng.chance(0.2) ? 2 : 1;
  for (let s = 0; s < steps; s++) {
    const file = rng.pick(sub.files);
    const cur = contents.get(file) ?? originals.get(file);
    if (!cur || !Buffer.isBuffer(cur)) continue;
    const text = cur.toString('utf8');
    const roll = rng.next();
    let out: string | Buffer | undefined;
    let name: string;
    if (roll < 0.06) {
      const sp = rng.pick<Special>(['fifo', 'dev-zero', 'dev-urandom', 'directory']);
      contents.set(file, { special: sp });
      names.push(`special-${sp}@${file}`);
      continue;
    } else if (roll < 0.12 && sub.playbook) {
      name = 'special-ref';
      out = specialRef(rng, ((contents.get(sub.playbook) as Buffer | undefined) ?? originals.get(sub.playbook)!).toString('utf8'));
      if (out !== undefined) {
        contents.set(sub.playbook, Buffer.from(out));
        names.push(`${name}@${sub.playbook}`);
      }
      continue;
    } else if (roll < 0.55 && isYamlName(file)) {
      name = rng.pick(DOC_NAMES);
      out = applyDoc(rng, name, text, file);
      if (out === undefined) {
        name = rng.pick(TEXT_NAMES);
        out = TEXT[name]!(rng, text, file);
      }
    } else {
      name = rng.pick(TEXT_NAMES);
      out = TEXT[name]!(rng, text, file);
    }
    if (out === undefined) continue;
    contents.set(file, Buffer.isBuffer(out) ? out : Buffer.from(out));
    names.push(`${name}@${file}`);
  }
  const writes: Write[] = [...contents].map(([path, data]) => ({ path, data }));
  return { id, subject: sub.name, mutation: names.join(' + ') || 'none', argv: sub.argv, writes };
}

/** Every file of the tree (relative path → bytes), for mutating and restoring. */
export function readTree(root: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const d of TREE_DIRS) for (const f of listFiles(root, d)) m.set(f, readFileSync(join(root, f)));
  return m;
}
