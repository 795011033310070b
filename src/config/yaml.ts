/**
 * YAML loading that remembers where every value came from, so errors can say file:line:col.
 * Plain JS values come out (objects, arrays, scalars); positions are kept in WeakMaps keyed by the
 * containing object, so loaders and the engine can ask `posOf(obj, key)` for any value they hold.
 */
import {
  Composer,
  YAMLMap as YAMLMapClass,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  visit,
  YAMLParseError,
  type Alias,
  type CST,
  type Document,
  type Node as YNode,
  type Scalar,
  type ScalarTag,
  type Tags,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { TsplayError, type SourcePos } from '../errors.js';
import { readSourceFile } from './source-file.js';

/** An Ansible Vault encrypted value (`!vault |` tag); decrypted by the vault layer. */
export class EncryptedString {
  constructor(
    readonly ciphertext: string,
    readonly source?: SourcePos,
  ) {}
  toString(): string {
    return '********';
  }
  toJSON(): string {
    return '********';
  }
}

/** An `!unsafe` string: never templated. */
export class UnsafeString {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

const objPos = new WeakMap<object, SourcePos>();
const keyPos = new WeakMap<object, Map<string | number, SourcePos>>();
const valPos = new WeakMap<object, Map<string | number, SourcePos>>();

/** Position of an object/array itself. */
export function posOfObject(obj: object): SourcePos | undefined {
  return objPos.get(obj);
}
/** Position of a key in a mapping (falls back to the value, then the object). */
export function posOfKey(obj: object, key: string | number): SourcePos | undefined {
  return keyPos.get(obj)?.get(key) ?? valPos.get(obj)?.get(key) ?? objPos.get(obj);
}
/** Position of the value under key (mapping) or index (sequence). */
export function posOf(obj: object, key?: string | number): SourcePos | undefined {
  if (key === undefined) return objPos.get(obj);
  return valPos.get(obj)?.get(key) ?? keyPos.get(obj)?.get(key) ?? objPos.get(obj);
}
/** Record a position for a value created by code (e.g. after a copy). */
export function setPos(obj: object, pos: SourcePos | undefined, key?: string | number): void {
  if (!pos) return;
  if (key === undefined) {
    objPos.set(obj, pos);
    return;
  }
  let m = valPos.get(obj);
  if (!m) valPos.set(obj, (m = new Map()));
  m.set(key, pos);
}
/** Copy the recorded positions of `from` onto `to` (same keys). */
export function copyPos(from: object, to: object): void {
  const o = objPos.get(from);
  if (o) objPos.set(to, o);
  const k = keyPos.get(from);
  if (k) keyPos.set(to, new Map(k));
  const v = valPos.get(from);
  if (v) valPos.set(to, new Map(v));
}

const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: (v) => v instanceof EncryptedString,
  resolve: (str: string) => new EncryptedString(str.replace(/\s+/g, (m) => (m.includes('\n') ? '\n' : m)).trim()),
};
const pyBoolTag: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (v) => typeof v === 'boolean',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (str: string) => /^(?:yes|true|on)$/i.test(str),
  stringify: ({ value }) => (value ? 'true' : 'false'),
};
const unsafeTag: ScalarTag = {
  tag: '!unsafe',
  identify: (v) => v instanceof UnsafeString,
  resolve: (str: string) => new UnsafeString(str),
};

export interface LoadedYaml {
  file: string;
  value: unknown;
}

/**
 * Bounds on what one YAML document may build. Input drives every recursive walk over loaded data (the YAML
 * composer, conversion, templating, merging, output), so nesting is bounded before any of them runs; aliases
 * are bounded by the values they would copy, so a few lines that alias aliases ("billion laughs") cannot make
 * billions of values.
 */
export const YAML_LIMITS = {
  /** nested lists/mappings (real playbooks and inventories: under 15) */
  depth: 100,
  /** values copied through aliases in one document (real use: defaults merged into a few hundred hosts) */
  aliasValues: 100_000,
} as const;

const TAGS = (tags: Tags) => [...tags.filter((t) => (t as ScalarTag).tag !== 'tag:yaml.org,2002:bool'), pyBoolTag, vaultTag, unsafeTag];

/** Parse YAML text; throws TsplayError('yaml') with file:line:col on a syntax error or a bound exceeded. */
export function parseYaml(text: string, file: string): unknown {
  const lc = new LineCounter();
  const opts = {
    // YAML 1.1 like PyYAML (0644 is octal), but booleans only as PyYAML reads them (not y/n)
    customTags: TAGS,
    prettyErrors: false,
    // duplicate keys are found in convertMap: the composer's own check is quadratic (20,000 keys took 7 s)
    uniqueKeys: false,
    version: '1.1', // Ansible's YAML is 1.1: yes/no/on/off are booleans
  } as const;
  const at = (offset: number): SourcePos => {
    const p = lc.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  // the concrete syntax tree is built without recursion; its depth is checked before the (recursive) composer runs
  const tokens = [...new Parser(lc.addNewLine).parse(text)];
  const deep = tooDeep(tokens, YAML_LIMITS.depth);
  if (deep !== undefined) {
    throw new TsplayError('yaml', `nesting deeper than ${YAML_LIMITS.depth} levels of lists and mappings`, { source: at(deep) });
  }
  let doc: Document | undefined;
  for (const d of new Composer(opts).compose(tokens, true, text.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'a file may hold only one YAML document (found a second "---")'));
      break;
    }
  }
  const err = doc!.errors[0];
  if (err) {
    const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new TsplayError('yaml', `YAML syntax error: ${msg}`, { source: at(err.pos[0]) });
  }
  const st: ConvertState = { doc: doc!, lc, file, targets: aliasTargets(doc!), active: new Set(), copied: 0 };
  return convert(st, doc!.contents as YNode | null, 0, undefined);
}

/** Offset of the first collection nested deeper than `max`, or undefined. Iterative: input cannot overflow it. */
function tooDeep(tokens: CST.Token[], max: number): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  while (stack.length) {
    const [t, d] = stack.pop()!;
    switch (t.type) {
      case 'document':
        if (t.value) stack.push([t.value, d]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (d + 1 > max) return t.offset;
        for (const it of t.items as CST.CollectionItem[]) {
          if (it.key) stack.push([it.key, d + 1]);
          if (it.value) stack.push([it.value, d + 1]);
        }
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

/** What each alias refers to: the last node with its anchor before it, in document order (YAML 1.2 §3.2.2.2). */
function aliasTargets(doc: Document): Map<Alias, YNode> {
  const anchors = new Map<string, YNode>();
  const targets = new Map<Alias, YNode>();
  visit(doc, {
    Alias(_k, a) {
      const t = anchors.get(a.source);
      if (t) targets.set(a, t);
    },
    Node(_k, n) {
      if (!isAlias(n) && n.anchor) anchors.set(n.anchor, n as YNode);
    },
  });
  return targets;
}

/** Decrypts a whole-file vault (text starting with `$ANSIBLE_VAULT;`); set by the vault layer. */
export type FileDecryptor = (text: string, file: string) => string;
let fileDecryptor: FileDecryptor | undefined;
export function setFileDecryptor(fn: FileDecryptor | undefined): void {
  fileDecryptor = fn;
}

/** Load a YAML file (a regular file, bounded in size, UTF-8); `from`: where it was named, for a refusal. */
export function loadYamlFile(file: string, from?: SourcePos): unknown {
  let text = readSourceFile(file, { code: 'yaml', from });
  if (text.startsWith('$ANSIBLE_VAULT;')) {
    if (!fileDecryptor) throw new TsplayError('vault', `${file} is vault-encrypted and no vault secret is available`, { source: { file, line: 1, col: 1 } });
    text = fileDecryptor(text, file);
  }
  return parseYaml(text, file);
}

function nodePos(node: YNode | null | undefined, lc: LineCounter, file: string): SourcePos | undefined {
  const r = node?.range;
  if (!r) return undefined;
  const p = lc.linePos(r[0]);
  return { file, line: p.line, col: p.col };
}

interface ConvertState {
  doc: Document;
  lc: LineCounter;
  file: string;
  targets: Map<Alias, YNode>;
  /** the collections being converted (an alias to one of them is a cycle) */
  active: Set<YNode>;
  /** values copied through aliases so far */
  copied: number;
}

function fail(st: ConvertState, node: YNode | null | undefined, message: string): TsplayError {
  return new TsplayError('yaml', message, { source: nodePos(node, st.lc, st.file) ?? { file: st.file, line: 1, col: 1 } });
}

/** A mapping key as text; numbers as Python writes them (.nan → nan, .inf → inf), not as JS does (NaN). */
function keyText(k: unknown): string {
  if (k === null) return 'null';
  if (typeof k === 'number' && !Number.isFinite(k)) return Number.isNaN(k) ? 'nan' : k > 0 ? 'inf' : '-inf';
  return String(k);
}

const isMergeKey = (k: YNode | null): boolean =>
  !!k && isScalar(k) && (!k.type || k.type === 'PLAIN') && (k.value === '<<' || (typeof k.value === 'symbol' && k.value.description === '<<'));

/**
 * The plain JS value of a node, positions recorded. `depth`: collections above it; `via`: the outermost alias
 * being expanded (a copy through it counts against the alias bound, and errors point at it).
 */
function convert(st: ConvertState, node: YNode | null, depth: number, via: Alias | undefined): unknown {
  if (node == null) return null;
  if (isAlias(node)) {
    const target = st.targets.get(node);
    if (!target) throw fail(st, node, `unknown alias '*${node.source}': no anchor '&${node.source}' before it`);
    if (st.active.has(target)) throw fail(st, via ?? node, `alias '*${node.source}' refers to a value that contains it (a cycle)`);
    return convert(st, target, depth, via ?? node);
  }
  if (via && ++st.copied > YAML_LIMITS.aliasValues) {
    throw fail(
      st,
      via,
      `aliases expand to more than ${YAML_LIMITS.aliasValues.toLocaleString('en')} values (aliases of aliases multiply: a "billion laughs" document); refused at alias '*${via.source}'`,
    );
  }
  if (isScalar(node)) return scalarValue(st, node);
  if (!isSeq(node) && !isMap(node)) return null;
  if (depth >= YAML_LIMITS.depth)
    throw fail(st, via ?? node, `nesting deeper than ${YAML_LIMITS.depth} levels of lists and mappings${via ? ` (through alias '*${via.source}')` : ''}`);
  st.active.add(node);
  try {
    return isSeq(node) ? convertSeq(st, node, depth, via) : convertMap(st, node as YAMLMap<YNode, YNode>, depth, via);
  } finally {
    st.active.delete(node);
  }
}

function scalarValue(st: ConvertState, node: Scalar): unknown {
  const v = node.value;
  // a !vault value remembers where it is, so a failed decryption can name file:line:col
  if (v instanceof EncryptedString && !v.source) return new EncryptedString(v.ciphertext, nodePos(node, st.lc, st.file));
  // YAML 1.1 timestamps and !!binary: the text as written (not a JS Date or byte array that prints as JS would)
  if (v instanceof Date || v instanceof Uint8Array) return typeof node.source === 'string' ? node.source : String(node.source ?? '');
  if (typeof v === 'symbol') return v.description ?? '';
  return v === undefined ? null : v;
}

function convertSeq(st: ConvertState, node: YAMLSeq, depth: number, via: Alias | undefined): unknown[] {
  const arr: unknown[] = [];
  const vp = new Map<string | number, SourcePos>();
  node.items.forEach((item, i) => {
    // !!omap / !!pairs hold key: value pairs as items: each becomes a one-key mapping, as written
    if (isPair(item)) {
      const one = new YAMLMapClass<unknown, unknown>();
      one.items.push(item);
      one.range = (item.key as YNode | null)?.range;
      arr.push(convert(st, one as YNode, depth + 1, via));
    } else arr.push(convert(st, item as YNode, depth + 1, via));
    const p = nodePos(item as YNode, st.lc, st.file);
    if (p) vp.set(i, p);
  });
  const p = nodePos(node, st.lc, st.file);
  if (p) objPos.set(arr, p);
  valPos.set(arr, vp);
  return arr;
}

function convertMap(st: ConvertState, node: YAMLMap<YNode, YNode>, depth: number, via: Alias | undefined): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  const kp = new Map<string | number, SourcePos>();
  const vp = new Map<string | number, SourcePos>();
  const set = (k: string, v: unknown) => Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  const merged: Record<string, unknown>[] = [];
  const own: [string, unknown, SourcePos | undefined, SourcePos | undefined][] = [];
  const seen = new Set<string>();
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    const keyNode = pair.key as YNode | null;
    const valueNode = pair.value as YNode | null;
    if (isMergeKey(keyNode)) {
      const src = convert(st, valueNode, depth, via);
      for (const m of Array.isArray(src) ? src : [src]) {
        if (!m || typeof m !== 'object' || Array.isArray(m)) throw fail(st, valueNode ?? keyNode, "'<<' (merge) needs a mapping or a list of mappings");
        merged.push(m as Record<string, unknown>);
      }
      continue;
    }
    const k = convert(st, keyNode, depth + 1, via);
    if (k !== null && typeof k === 'object' && !(k instanceof EncryptedString) && !(k instanceof UnsafeString)) {
      throw fail(st, keyNode, `a mapping key must be a string or a number, not a ${Array.isArray(k) ? 'list' : 'mapping'}`);
    }
    // the same key twice (1 and "1" too: a JS object, like the JSON Ansible's variables become, holds only one)
    const key = keyText(k);
    if (seen.has(key)) throw fail(st, keyNode, 'YAML syntax error: Map keys must be unique');
    seen.add(key);
    own.push([keyText(k), convert(st, valueNode, depth, via), nodePos(keyNode, st.lc, st.file), nodePos(valueNode, st.lc, st.file)]);
  }
  // merge keys as PyYAML applies them: the merged maps first (an earlier one in a '<<' list wins), then the
  // map's own keys, which win over all; a key named __proto__ is data, never the object's prototype
  for (const m of merged.reverse()) {
    for (const [k, v] of Object.entries(m)) {
      set(k, v);
      const p = posOf(m, k);
      if (p) vp.set(k, p);
    }
  }
  for (const [k, v, p1, p2] of own) {
    set(k, v);
    if (p1) kp.set(k, p1);
    if (p2) vp.set(k, p2);
  }
  const p = nodePos(node, st.lc, st.file);
  if (p) objPos.set(obj, p);
  keyPos.set(obj, kp);
  valPos.set(obj, vp);
  return obj;
}
