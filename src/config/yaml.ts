/**
 * YAML loading that remembers where every value came from, so errors can say file:line:col.
 * Plain JS values come out (objects, arrays, scalars); positions are kept in WeakMaps keyed by the
 * containing object, so loaders and the engine can ask `posOf(obj, key)` for any value they hold.
 */
import { readFileSync } from 'node:fs';
import {
  isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument,
  type Document, type Node as YNode, type ScalarTag,
} from 'yaml';
import { TsplayError, type SourcePos } from '../errors.js';

/** An Ansible Vault encrypted value (`!vault |` tag); decrypted by the vault layer. */
export class EncryptedString {
  constructor(readonly ciphertext: string, readonly source?: SourcePos) {}
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

/** Parse YAML text; throws TsplayError('yaml') with file:line:col on a syntax error. */
export function parseYaml(text: string, file: string): unknown {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    // YAML 1.1 like PyYAML (0644 is octal), but booleans only as PyYAML reads them (not y/n)
    customTags: (tags) => [...tags.filter((t) => (t as ScalarTag).tag !== 'tag:yaml.org,2002:bool'), pyBoolTag, vaultTag, unsafeTag],
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.1', // Ansible's YAML is 1.1: yes/no/on/off are booleans
  });
  const err = doc.errors[0];
  if (err) {
    const p = lc.linePos(err.pos[0]);
    const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new TsplayError('yaml', `YAML syntax error: ${msg}`, { source: { file, line: p.line, col: p.col } });
  }
  return convert(doc, doc.contents as YNode | null, lc, file);
}

/** Decrypts a whole-file vault (text starting with `$ANSIBLE_VAULT;`); set by the vault layer. */
export type FileDecryptor = (text: string, file: string) => string;
let fileDecryptor: FileDecryptor | undefined;
export function setFileDecryptor(fn: FileDecryptor | undefined): void {
  fileDecryptor = fn;
}

export function loadYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsplayError('yaml', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
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

function convert(doc: Document, node: YNode | null, lc: LineCounter, file: string): unknown {
  if (node == null) return null;
  if (isAlias(node)) return convert(doc, node.resolve(doc) as YNode, lc, file);
  if (isScalar(node)) {
    const v = node.value;
    // a !vault value remembers where it is, so a failed decryption can name file:line:col
    if (v instanceof EncryptedString && !v.source) return new EncryptedString(v.ciphertext, nodePos(node, lc, file));
    return v === undefined ? null : v;
  }
  if (isSeq(node)) {
    const arr: unknown[] = [];
    const vp = new Map<string | number, SourcePos>();
    node.items.forEach((item, i) => {
      arr.push(convert(doc, item as YNode, lc, file));
      const p = nodePos(item as YNode, lc, file);
      if (p) vp.set(i, p);
    });
    const p = nodePos(node, lc, file);
    if (p) objPos.set(arr, p);
    valPos.set(arr, vp);
    return arr;
  }
  if (isMap(node)) {
    const obj: Record<string, unknown> = {};
    const kp = new Map<string | number, SourcePos>();
    const vp = new Map<string | number, SourcePos>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YNode | null;
      let key: string;
      if (keyNode && isScalar(keyNode) && keyNode.value === '<<') {
        // merge key: copy entries of the referenced map(s)
        const src = convert(doc, pair.value as YNode, lc, file);
        for (const m of Array.isArray(src) ? src : [src]) {
          if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) if (!(k in obj)) obj[k] = v;
        }
        continue;
      }
      const k = convert(doc, keyNode, lc, file);
      key = k === null ? 'null' : String(k);
      obj[key] = convert(doc, pair.value as YNode, lc, file);
      const p1 = nodePos(keyNode, lc, file);
      if (p1) kp.set(key, p1);
      const p2 = nodePos(pair.value as YNode, lc, file);
      if (p2) vp.set(key, p2);
    }
    const p = nodePos(node, lc, file);
    if (p) objPos.set(obj, p);
    keyPos.set(obj, kp);
    valPos.set(obj, vp);
    return obj;
  }
  return null;
}
