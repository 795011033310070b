/**
 * Jinja parsing via nunjucks' lexer and parser (Jinja syntax, line/col on every node, whitespace control,
 * raw blocks, tests with arguments), with Ansible's settings (trim_blocks) and two fixes for Python
 * semantics: float literals stay floats (1.0), slices (jinja-compat). Parsed trees are cached by source.
 */
import nunjucks from 'nunjucks';
import { mkFloat } from './py.js';

// Slices (a[1:3], s[::-1]) come with nunjucks' Jinja compatibility layer (a parser extension).
(nunjucks as unknown as { installJinjaCompat(): void }).installJinjaCompat();

/** A parsed nunjucks node (untyped upstream). */
export interface JNode {
  typename: string;
  lineno: number;
  colno: number;
  value?: unknown;
  children?: JNode[];
  [field: string]: unknown;
}

interface Tok {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}

const lib = nunjucks as unknown as {
  parser: { Parser: new (tokens: unknown) => ParserLike };
  lexer: { lex(src: string, opts: object): unknown };
  nodes: Record<'Literal' | 'Symbol', new (l: number, c: number, v: unknown) => JNode> &
    Record<'Is', new (l: number, c: number, a: JNode, b: JNode) => JNode> &
    Record<'Not', new (l: number, c: number, a: JNode) => JNode> &
    Record<'NodeList', new (l: number, c: number, kids: JNode[]) => JNode> &
    Record<'FunCall', new (l: number, c: number, name: JNode, args: JNode) => JNode> &
    Record<'LookupVal', new (l: number, c: number, target: JNode, val: JNode) => JNode> &
    Record<'KeywordArgs', new (l: number, c: number) => JNode & { addChild(n: JNode): void }> &
    Record<'Pair', new (l: number, c: number, key: JNode, value: JNode) => JNode> &
    Record<'Not', { extend(name: string): new (l: number, c: number, target: JNode) => JNode }>;
};

/** Call splats: `f(*args)` (Splat) and `f(**kwargs)` (DoubleSplat), the expanded value in `target`. */
const Splat = lib.nodes.Not.extend('Splat');
const DoubleSplat = lib.nodes.Not.extend('DoubleSplat');
interface ParserLike {
  peekToken(): Tok | null;
  nextToken(): Tok | null;
  parsePostfix(node: JNode): JNode;
  parseSignature(tolerant?: boolean, noParens?: boolean): JNode;
  parseExpression(): JNode;
  skip(type: string): boolean;
  skipValue(type: string, value: string): boolean;
  parseAggregate(): JNode;
  parseAsRoot(): JNode;
  parsePrimary(noPostfix?: boolean): JNode;
  parseCompare(): JNode;
  skipSymbol(name: string): boolean;
  fail(msg: string, lineno?: number, colno?: number): never;
}

const STOP_WORDS = new Set(['and', 'or', 'else', 'if', 'in', 'is', 'not']);

const BaseParser = lib.parser.Parser as unknown as new (tokens: unknown) => ParserLike;

interface TokenizerLike {
  in_code: boolean;
  index: number;
  str: string;
  lineno: number;
  colno: number;
  current(): string;
  forward(): void;
  isFinished(): boolean;
  nextToken(): Tok | null;
}

const PY_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };

/**
 * nunjucks' tokenizer with Jinja's lexing where it differs: `}}` inside a dict literal closes the dict,
 * floats with exponents, and string literals as Ansible sees them: in playbook values backslashes are
 * literal (Ansible escapes them before Jinja sees the text, so '\.' in a regex stays '\.'); in template
 * files Python escapes apply.
 */
function lex(src: string, rawStrings: boolean): TokenizerLike {
  const t = lib.lexer.lex(src, { trimBlocks: true }) as TokenizerLike;
  const base = Object.getPrototypeOf(t).nextToken as () => Tok | null;
  let depth = 0;
  const take = (n: number) => {
    for (let i = 0; i < n; i++) t.forward();
  };
  t.nextToken = function nextToken(): Tok | null {
    if (!t.in_code || t.isFinished()) {
      depth = 0;
      const tok = base.call(t);
      // trim_blocks removes the newline after a comment too (Jinja's comment_end takes block_suffix_re)
      if (tok?.type === 'comment' && !t.isFinished() && t.current() === '\n') t.forward();
      return tok;
    }
    const lineno = t.lineno;
    const colno = t.colno;
    const cur = t.current();
    if (cur === '"' || cur === "'") {
      t.forward();
      let out = '';
      while (!t.isFinished() && t.current() !== cur) {
        const c = t.current();
        if (c === '\\') {
          t.forward();
          const e = t.current();
          if (rawStrings) out += e === cur ? e : '\\' + e;
          else if (e === 'x' || e === 'u') {
            const len = e === 'x' ? 2 : 4;
            const hex = t.str.slice(t.index + 1, t.index + 1 + len);
            if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === len) {
              out += String.fromCharCode(parseInt(hex, 16));
              take(len);
            } else out += '\\' + e;
          } else out += PY_ESCAPES[e] ?? '\\' + e;
          t.forward();
        } else {
          out += c;
          t.forward();
        }
      }
      t.forward();
      return { type: 'string', value: out, lineno, colno };
    }
    const rest = t.str.slice(t.index, t.index + 40);
    const exp = /^\d+(?:\.\d+)?[eE][+-]?\d+/.exec(rest);
    if (exp) {
      take(exp[0].length);
      return { type: 'float', value: exp[0], lineno, colno };
    }
    if (depth > 0 && rest.startsWith('}')) {
      t.forward();
      depth--;
      return { type: 'right-curly', value: '}', lineno, colno };
    }
    const tok = base.call(t);
    if (tok?.type === 'left-curly') depth++;
    return tok;
  };
  return t;
}

class PyParser extends BaseParser {
  /** nunjucks' postfix loop, plus Jinja's `x.0` (= x[0]); the lexer reads `x.0.name` as x, '.', float "0.", name. */
  override parsePostfix(node: JNode): JNode {
    const N = lib.nodes;
    const at = (tok: Tok, target: JNode, key: unknown) => new N.LookupVal(tok.lineno, tok.colno, target, new N.Literal(tok.lineno, tok.colno, key));
    for (let tok = this.peekToken(); tok; tok = this.peekToken()) {
      if (tok.type === 'left-paren') node = new N.FunCall(tok.lineno, tok.colno, node, this.parseSignature());
      else if (tok.type === 'left-bracket') {
        const agg = this.parseAggregate();
        if ((agg.children?.length ?? 0) > 1) this.fail('invalid index');
        node = new N.LookupVal(tok.lineno, tok.colno, node, agg.children![0]!);
      } else if (tok.type === 'operator' && tok.value === '.') {
        this.nextToken();
        const val = this.nextToken();
        if (val?.type === 'symbol') node = at(val, node, val.value);
        else if (val && (val.type === 'int' || val.type === 'float')) {
          for (const part of val.value.split('.')) if (part !== '') node = at(val, node, parseInt(part, 10));
          if (val.value.endsWith('.')) {
            const name = this.nextToken();
            if (name?.type !== 'symbol') this.fail(`expected name as lookup value, got ${name?.value}`, name?.lineno, name?.colno);
            node = at(name!, node, name!.value);
          }
        } else this.fail(`expected name as lookup value, got ${val?.value}`, val?.lineno, val?.colno);
      } else break;
    }
    return node;
  }

  /** nunjucks' call signature plus Jinja's `*args` / `**kwargs` and a trailing comma. */
  override parseSignature(tolerant?: boolean, noParens?: boolean): JNode {
    const open = this.peekToken();
    if (noParens || open?.type !== 'left-paren') return super.parseSignature(tolerant, noParens);
    this.nextToken();
    const N = lib.nodes;
    const args = new N.NodeList(open.lineno, open.colno, []) as JNode & { addChild(n: JNode): void };
    const kwargs = new N.KeywordArgs(open.lineno, open.colno);
    let checkComma = false;
    for (;;) {
      let tok = this.peekToken();
      if (!tok) this.fail('unexpected end of input in a call');
      if (tok!.type === 'right-paren') {
        this.nextToken();
        break;
      }
      if (checkComma) {
        if (!this.skip('comma')) this.fail('parseSignature: expected comma after expression', tok!.lineno, tok!.colno);
        tok = this.peekToken();
        if (tok?.type === 'right-paren') continue;
      }
      if (tok?.type === 'operator' && (tok.value === '*' || tok.value === '**')) {
        this.nextToken();
        const e = this.parseExpression();
        args.addChild(new (tok.value === '*' ? Splat : DoubleSplat)(tok.lineno, tok.colno, e));
      } else {
        const arg = this.parseExpression();
        if (this.skipValue('operator', '=')) kwargs.addChild(new N.Pair(arg.lineno, arg.colno, arg, this.parseExpression()));
        else args.addChild(arg);
      }
      checkComma = true;
    }
    if (kwargs.children!.length) args.addChild(kwargs);
    return args;
  }

  override parsePrimary(noPostfix?: boolean): JNode {
    const tok = this.peekToken();
    if (tok && tok.type === 'float') {
      this.nextToken();
      let node: JNode = new lib.nodes.Literal(tok.lineno, tok.colno, mkFloat(parseFloat(tok.value)));
      if (!noPostfix) node = this.parsePostfix(node);
      return node;
    }
    return super.parsePrimary(noPostfix);
  }

  /** `x is [not] name`, `x is name(args)`, and Jinja's `x is name arg` (one argument, no parens). */
  parseIs(): JNode {
    let node = this.parseCompare();
    if (!this.skipSymbol('is')) return node;
    const not = this.skipSymbol('not');
    const tok = this.nextToken();
    if (!tok || !['symbol', 'none', 'boolean'].includes(tok.type)) this.fail('expected a test name after "is"', tok?.lineno, tok?.colno);
    const N = lib.nodes;
    const name = new N.Symbol(tok!.lineno, tok!.colno, tok!.value);
    let right: JNode = name;
    const next = this.peekToken();
    if (next?.type === 'left-paren') right = this.parsePostfix(name);
    else if (
      next &&
      (['string', 'int', 'float', 'left-bracket', 'left-curly', 'none', 'boolean'].includes(next.type) ||
        (next.type === 'symbol' && !STOP_WORDS.has(next.value)))
    ) {
      const arg = this.parsePrimary();
      right = new N.FunCall(tok!.lineno, tok!.colno, name, new N.NodeList(arg.lineno, arg.colno, [arg]));
    }
    node = new N.Is(node.lineno, node.colno, node, right);
    return not ? new N.Not(node.lineno, node.colno, node) : node;
  }
}

export class JinjaSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const cache = new Map<string, JNode>();
const cacheRaw = new Map<string, JNode>();
const MAX_CACHE = 5000;

/**
 * Parse a template (text with {{ }} / {% %}); cached. Throws JinjaSyntaxError.
 * @param file true for template files (Python string escapes); false for playbook values (literal backslashes)
 */
export function parseTemplate(src: string, file = false): JNode {
  const c = file ? cache : cacheRaw;
  let ast = c.get(src);
  if (ast) return ast;
  try {
    const p = new PyParser(lex(src, !file));
    ast = p.parseAsRoot();
  } catch (e) {
    throw toSyntaxError(e);
  }
  if (c.size >= MAX_CACHE) c.clear();
  c.set(src, ast);
  return ast;
}

/**
 * Parse a bare expression (when:, until:, debug var=); returns the expression node. `pyStrings`: Python escapes in
 * string literals (a condition without {{ }}: Ansible renders it as {% if %} text, whose backslashes it leaves alone).
 */
export function parseExpression(expr: string, pyStrings = false): JNode {
  const key = (pyStrings ? '\u0000pyexpr:' : '\u0000expr:') + expr;
  let node = cacheRaw.get(key);
  if (node) return node;
  const root = parseTemplate('{{ ' + expr + ' }}', pyStrings);
  const out = root.children?.[0];
  if (root.children?.length !== 1 || out?.typename !== 'Output' || out.children?.length !== 1) {
    throw new JinjaSyntaxError(`not a single expression`, 1, 1);
  }
  node = out.children[0]!;
  if (cacheRaw.size >= MAX_CACHE) cacheRaw.clear();
  cacheRaw.set(key, node);
  return node;
}

function toSyntaxError(e: unknown): JinjaSyntaxError {
  const err = e as { message?: string; lineno?: number; colno?: number };
  let msg = String(err.message ?? e);
  // nunjucks: "(unknown path) [Line 0, Column 5]\n  unexpected token: }"
  const m = /\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/.exec(msg);
  let line = (err.lineno ?? 0) + 1;
  let col = (err.colno ?? 0) + 1;
  if (m) {
    line = Number(m[1]) + 1;
    col = Number(m[2]) + 1;
    msg = m[3]!;
  }
  msg = msg
    .replace(/^\(unknown path\)\s*/, '')
    .replace(/^Template render error:\s*/, '')
    .trim();
  return new JinjaSyntaxError(msg, line, col);
}
