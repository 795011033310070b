/**
 * INI inventory values, read the way Ansible reads them: Python's ast.literal_eval, and the raw
 * text when that fails. So `1` → 1, `1.5` → 1.5, `0x1F` → 31, `True` → true, `None` → null,
 * `'a b'` → "a b", `[1, 2]` → [1, 2], `{'k': 1}` → {k: 1}; but `yes`, `0644`, `a=b`, `1+2` stay strings.
 */

class NotLiteral extends Error {}

/** Nesting bound: the parser recurses per level, and the YAML loader allows 100 levels too. */
const MAX_DEPTH = 100;

/** Set a key as data (a key named __proto__ must not replace the object's prototype). */
const put = (obj: Record<string, unknown>, k: string, v: unknown) =>
  Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });

const fail = (): never => {
  throw new NotLiteral();
};

class LiteralParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseAll(): unknown {
    const v = this.value();
    this.skip();
    if (this.i < this.s.length) fail();
    return v;
  }

  private skip(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\f') this.i++;
      else if (c === '#') this.i = s.length;
      else break;
    }
  }

  private peek(): string {
    this.skip();
    return this.s[this.i] ?? '';
  }

  private depth = 0;

  /** A nested list, tuple, dict or set; deeper than Python's own parser goes (200) is not a literal, as there. */
  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) fail();
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private value(): unknown {
    const c = this.peek();
    if (c === '[') return this.nested(() => this.seq(']'));
    if (c === '(') return this.nested(() => this.paren());
    if (c === '{') return this.nested(() => this.brace());
    if (c === '-' || c === '+') {
      this.i++;
      if (this.peek() === '-' || this.peek() === '+') fail();
      const n = this.number();
      return c === '-' ? -n : n;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const str = this.strings();
    if (str !== undefined) return str;
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      if (m[0] === 'True') return true;
      if (m[0] === 'False') return false;
      if (m[0] === 'None') return null;
    }
    return fail();
  }

  private number(): number {
    this.skip();
    const rest = this.s.slice(this.i);
    const radix = /^0([xob])((?:_?[0-9a-f])+)(?![0-9a-z_.])/i.exec(rest);
    if (radix) {
      const base = { x: 16, o: 8, b: 2 }[radix[1]!.toLowerCase() as 'x' | 'o' | 'b'];
      const digits = radix[2]!.replace(/_/g, '');
      const valid = base === 16 ? /^[0-9a-f]+$/i : base === 8 ? /^[0-7]+$/ : /^[01]+$/;
      if (!valid.test(digits)) fail();
      this.i += radix[0].length;
      return safe(Number.parseInt(digits, base));
    }
    const d = String.raw`[0-9](?:_?[0-9])*`;
    const float = new RegExp(`^(?:(?:${d})?\\.${d}|${d}\\.?)(?:[eE][+-]?${d})?(?![0-9A-Za-z_.])`).exec(rest);
    if (!float) return fail();
    const text = float[0].replace(/_/g, '');
    if (/^[0-9]+$/.test(text)) {
      if (text.length > 1 && text[0] === '0' && /[1-9]/.test(text)) fail(); // 0644 is a SyntaxError in Python 3
      this.i += float[0].length;
      return safe(Number.parseInt(text, 10));
    }
    this.i += float[0].length;
    return Number.parseFloat(text);
  }

  /** One or more adjacent string literals ("a" 'b' → "ab"), or undefined when none starts here. */
  private strings(): string | undefined {
    let out: string | undefined;
    for (;;) {
      this.skip();
      const m = /^([rRbBuU]|[bB][rR]|[rR][bB])?('''|"""|'|")/.exec(this.s.slice(this.i));
      if (!m) return out;
      this.i += m[0].length;
      const raw = (m[1] ?? '').toLowerCase().includes('r');
      out = (out ?? '') + this.stringBody(m[2]!, raw);
    }
  }

  private stringBody(quote: string, raw: boolean): string {
    const s = this.s;
    let out = '';
    for (;;) {
      if (this.i >= s.length) fail();
      if (s.startsWith(quote, this.i)) {
        this.i += quote.length;
        return out;
      }
      const c = s[this.i]!;
      if (c === '\\') {
        const n = s[this.i + 1];
        if (n === undefined) fail();
        if (raw) {
          out += c + n;
          this.i += 2;
          continue;
        }
        this.i += 2;
        out += this.escape(n!);
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private escape(n: string): string {
    const simple: Record<string, string> = {
      '\\': '\\',
      "'": "'",
      '"': '"',
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
    };
    if (n in simple) return simple[n]!;
    const hex = (len: number): string => {
      const h = this.s.slice(this.i, this.i + len);
      if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) fail();
      this.i += len;
      return String.fromCodePoint(Number.parseInt(h, 16));
    };
    if (n === 'x') return hex(2);
    if (n === 'u') return hex(4);
    if (n === 'U') return hex(8);
    if (/[0-7]/.test(n)) {
      let oct = n;
      while (oct.length < 3 && /[0-7]/.test(this.s[this.i] ?? '')) oct += this.s[this.i++];
      return String.fromCharCode(Number.parseInt(oct, 8));
    }
    return '\\' + n; // Python keeps unknown escapes as they are
  }

  private items(close: string, onItem: () => void): void {
    for (;;) {
      if (this.peek() === close) break;
      onItem();
      const c = this.peek();
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c !== close) fail();
    }
    this.i++;
  }

  /** A list, the cursor on its opening bracket; `close` ends it. */
  private seq(close: string): unknown[] {
    this.i++; // the opening bracket
    const out: unknown[] = [];
    this.items(close, () => out.push(this.value()));
    return out;
  }

  private paren(): unknown {
    this.i++;
    if (this.peek() === ')') {
      this.i++;
      return [];
    }
    const first = this.value();
    if (this.peek() === ')') {
      this.i++;
      return first; // (x) is just x
    }
    if (this.peek() !== ',') fail();
    this.i++;
    const out = [first];
    this.items(')', () => out.push(this.value()));
    return out;
  }

  private brace(): unknown {
    this.i++;
    if (this.peek() === '}') {
      this.i++;
      return {};
    }
    const first = this.value();
    if (this.peek() === ':') {
      this.i++;
      const obj: Record<string, unknown> = {};
      put(obj, keyOf(first), this.value());
      if (this.peek() === ',') this.i++;
      this.items('}', () => {
        const k = this.value();
        if (this.peek() !== ':') fail();
        this.i++;
        put(obj, keyOf(k), this.value());
      });
      return obj;
    }
    // a set: Python has no order guarantee; keep the written order without duplicates
    const out: unknown[] = [first];
    if (this.peek() === ',') this.i++;
    this.items('}', () => out.push(this.value()));
    return [...new Set(out)];
  }
}

function safe(n: number): number {
  if (!Number.isSafeInteger(n)) fail(); // beyond 2^53: keep the text rather than a wrong number
  return n;
}

function keyOf(k: unknown): string {
  if (k !== null && typeof k === 'object') fail(); // unhashable key
  if (k === true) return 'true'; // as json.dumps writes Python's True/False/None keys
  if (k === false) return 'false';
  if (k === null) return 'null';
  return String(k);
}

/** Ansible's InventoryModule._parse_value: literal_eval, else the text itself. */
export function parseIniValue(text: string): unknown {
  const t = text.replace(/^[ \t]+/, '');
  try {
    return new LiteralParser(t).parseAll();
  } catch (e) {
    if (e instanceof NotLiteral) return text;
    throw e;
  }
}
