/**
 * Python's ast.literal_eval, as ansible-core 2.14 applies it to the text a template produced (native_helpers.py
 * `ansible_eval_concat`): strings, numbers, True/False/None (and JSON's true/false/null), lists, tuples, dicts and
 * sets. Anything else (names, calls, operators, complex numbers, bytes) is not a literal: the text stays text.
 */
import { mkFloat, PyFloat, pyStr, tuple } from './py.js';

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

class NotLiteral extends Error {}

const CONSTANTS: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

class Parser {
  private i = 0;
  /** open brackets: newlines are whitespace inside them only */
  private depth = 0;
  constructor(private readonly s: string) {}

  parse(): unknown {
    const v = this.expr();
    this.space();
    if (this.i < this.s.length) throw new NotLiteral();
    return v;
  }

  private space(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\f' || (this.depth > 0 && (c === '\n' || c === '\r'))) this.i++;
      else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else if (c === '#' && this.depth > 0) while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      else if (this.depth === 0 && (c === '\n' || c === '\r') && /^[\r\n\s]*$/.test(this.s.slice(this.i))) this.i = this.s.length;
      else return;
    }
  }

  private peek(): string | undefined {
    this.space();
    return this.s[this.i];
  }

  private expect(c: string): void {
    if (this.peek() !== c) throw new NotLiteral();
    this.i++;
  }

  private expr(): unknown {
    const c = this.peek();
    if (c === '-' || c === '+') {
      // a sign applies to a number only (ast.literal_eval's signed numbers)
      this.i++;
      const d = this.peek();
      if (d === undefined || !/[0-9.]/.test(d)) throw new NotLiteral();
      const v = this.number();
      if (c === '+') return v;
      return v instanceof PyFloat ? mkFloat(-v.value) : typeof v === 'number' && Number.isInteger(v) ? 0 - v || 0 : -(v as number);
    }
    if (c === '[') return this.seq('[', ']', false);
    if (c === '(') return this.seq('(', ')', true);
    if (c === '{') return this.braces();
    if (c === "'" || c === '"') return this.strings('');
    if (c !== undefined && /[0-9.]/.test(c)) return this.number();
    if (c !== undefined && /[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))!;
      const word = m[0];
      const q = this.s[this.i + word.length];
      if ((q === "'" || q === '"') && /^[rRuU]$/.test(word)) {
        this.i += word.length;
        return this.strings(word.toLowerCase());
      }
      if (!(word in CONSTANTS)) throw new NotLiteral();
      this.i += word.length;
      return CONSTANTS[word];
    }
    throw new NotLiteral();
  }

  /** [a, b] or (a, b): a list or a tuple; (a) is a; a trailing comma is allowed. */
  private seq(open: string, close: string, isTuple: boolean): unknown {
    this.expect(open);
    this.depth++;
    const items: unknown[] = [];
    let comma = false;
    while (this.peek() !== close) {
      items.push(this.expr());
      comma = false;
      if (this.peek() === ',') {
        this.i++;
        comma = true;
      } else break;
    }
    this.expect(close);
    this.depth--;
    if (isTuple) return items.length === 1 && !comma ? items[0] : tuple(items);
    return items;
  }

  /** {k: v, ...} (a dict, keys as Python prints them) or {a, b} (a set, as a list). */
  private braces(): unknown {
    this.expect('{');
    this.depth++;
    if (this.peek() === '}') {
      this.i++;
      this.depth--;
      return {};
    }
    const first = this.expr();
    if (this.peek() === ':') {
      const out: Record<string, unknown> = {};
      // Python's equal keys (1, 1.0 and True) are one key, printed as first written
      const names = new Map<unknown, string>();
      let key = first;
      for (;;) {
        this.expect(':');
        if (key !== null && typeof key === 'object' && !(key instanceof PyFloat)) throw new NotLiteral(); // unhashable (or a tuple key)
        const same = typeof key === 'boolean' ? Number(key) : key instanceof PyFloat ? key.value : key;
        if (!names.has(same)) names.set(same, pyStr(key));
        out[names.get(same)!] = this.expr();
        if (this.peek() !== ',') break;
        this.i++;
        if (this.peek() === '}') break;
        key = this.expr();
      }
      this.expect('}');
      this.depth--;
      return out;
    }
    const items = [first];
    while (this.peek() === ',') {
      this.i++;
      if (this.peek() === '}') break;
      items.push(this.expr());
    }
    this.expect('}');
    this.depth--;
    return items;
  }

  private number(): unknown {
    const rest = this.s.slice(this.i);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest) ??
      /^(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][-+]?\d(?:_?\d)*)?/.exec(rest);
    if (!m || m[0] === '.') throw new NotLiteral();
    const t = m[0];
    this.i += t.length;
    if (/^[jJA-Za-z_]/.test(this.s[this.i] ?? '')) throw new NotLiteral(); // complex, or 1abc
    const clean = t.replace(/_/g, '');
    if (/^0[xXoObB]/.test(clean)) return Number(clean);
    if (/[.eE]/.test(clean)) return mkFloat(parseFloat(clean));
    if (/^0\d/.test(clean) && /[1-9]/.test(clean)) throw new NotLiteral(); // 012: not Python 3
    return parseInt(clean, 10);
  }

  /** One or more adjacent string literals ('a' "b" → 'ab'). */
  private strings(prefix: string): string {
    let out = this.string(prefix);
    for (;;) {
      const c = this.peek();
      if (c === "'" || c === '"') out += this.string('');
      else if (c !== undefined && /[rRuU]/.test(c) && /['"]/.test(this.s[this.i + 1] ?? '')) {
        this.i++;
        out += this.string(c.toLowerCase());
      } else return out;
    }
  }

  private string(prefix: string): string {
    const raw = prefix === 'r';
    const q = this.s[this.i]!;
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const end = triple ? q.repeat(3) : q;
    this.i += end.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) throw new NotLiteral();
      if (this.s.startsWith(end, this.i)) {
        this.i += end.length;
        return out;
      }
      const c = this.s[this.i]!;
      if (c === '\n' && !triple) throw new NotLiteral();
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const n = this.s[this.i + 1];
      if (n === undefined) throw new NotLiteral();
      if (raw) {
        out += c + n;
        this.i += 2;
        continue;
      }
      this.i += 2;
      if (n in ESCAPES) out += ESCAPES[n];
      else if (/[0-7]/.test(n)) {
        const m = /^[0-7]{1,2}/.exec(this.s.slice(this.i))?.[0] ?? '';
        out += String.fromCodePoint(parseInt(n + m, 8));
        this.i += m.length;
      } else if (n === 'x' || n === 'u' || n === 'U') {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotLiteral();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += len;
      } else if (n === 'N')
        throw new NotLiteral(); // \N{name}: not supported here
      else out += c + n; // Python keeps unknown escapes as written
    }
  }
}

/** ast.literal_eval(text), JSON's true/false/null included; `{ ok: false }` when the text is not a literal. */
export function parsePyLiteral(text: string): LiteralResult {
  try {
    return { ok: true, value: new Parser(text).parse() };
  } catch (e) {
    if (e instanceof NotLiteral || e instanceof RangeError) return { ok: false };
    throw e;
  }
}
