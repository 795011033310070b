/**
 * The Jinja evaluator with Python/Ansible semantics over plain JS values (see py.ts): walks the tree
 * nunjucks parsed. Expressions: literals, names, attribute/item access, calls, filters, tests,
 * arithmetic, comparisons, in, and/or/not, x if c else y. Statements: if/for/set/macro/raw/comments.
 */
import { callMethod, getAttr } from './methods.js';
import { JinjaSyntaxError, type JNode } from './parse.js';
import { isInt, isMapping, isNumber, mkFloat, num, pyCompare, pyEq, pyIn, pyStr, PyFloat, truthy, tuple, typeName, isFloat } from './py.js';
import { isUndef, OMIT, OMIT_TEXT, Undef } from './undefined.js';
import { pyFormat } from './format.js';

export type Kwargs = Record<string, unknown>;

/** A filter's or test's argument: positional `i`, else keyword `name`, else `dflt` (Python's call rules). */
export function callArg(call: { args: unknown[]; kw: Kwargs }, i: number, name: string, dflt?: unknown): unknown {
  return i < call.args.length ? call.args[i] : name in call.kw ? call.kw[name] : dflt;
}
export interface FilterDef {
  fn: (env: EvalEnv, value: unknown, args: unknown[], kw: Kwargs) => unknown;
  /** receives an undefined value instead of failing (default, mandatory) */
  undefinedOk?: boolean;
}
export interface TestDef {
  fn: (env: EvalEnv, value: unknown, args: unknown[], kw: Kwargs) => boolean;
  undefinedOk?: boolean;
}
export type JFunction = (args: unknown[], kw: Kwargs) => unknown;

/** What an evaluation needs from its surroundings. */
export interface EvalEnv {
  /** a variable by name: its (lazily rendered) value, or an Undef */
  lookupVar(name: string): unknown;
  filters: Record<string, FilterDef>;
  tests: Record<string, TestDef>;
  globals: Record<string, unknown>;
  /** directory lookups('file') resolve against */
  baseDir?: string;
  /** the names of the variables in scope (lookup('varnames')) */
  varNames?(): string[];
  /** render a template file's text with these variables (lookup('template')) */
  renderTemplateText?(text: string, file: string, extra: Record<string, unknown>): string;
}

/** An unsupported construct or a runtime error inside the template: message + position. */
export class TemplateRuntimeError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const NAMESPACE = Symbol('namespace');
export function makeNamespace(init: Record<string, unknown>): Record<string, unknown> {
  const ns: Record<string, unknown> = Object.assign(Object.create(null), init);
  Object.defineProperty(ns, NAMESPACE, { value: true });
  return ns;
}

class Scope {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent?: Scope) {}
  get(name: string): unknown {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(name)) return s.vars.get(name);
    return NOT_FOUND;
  }
}
const NOT_FOUND = Symbol('not-found');

const CONSTS: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, none: null };

export class Evaluator {
  constructor(readonly env: EvalEnv) {}

  /** Render a whole template tree to text. */
  render(root: JNode): string {
    return this.block(root.children ?? [], new Scope());
  }

  /** Evaluate a single expression node to a value (may be an Undef). */
  value(node: JNode): unknown {
    return this.ev(node, new Scope());
  }

  // ---- statements --------------------------------------------------------------------------------

  private block(nodes: JNode[], scope: Scope): string {
    let out = '';
    for (const n of nodes) out += this.stmt(n, scope);
    return out;
  }

  private stmt(n: JNode, scope: Scope): string {
    switch (n.typename) {
      case 'Output': {
        let out = '';
        for (const c of n.children!) {
          if (c.typename === 'TemplateData') out += c.value as string;
          else out += at(c, () => this.text(this.ev(c, scope), c));
        }
        return out;
      }
      case 'TemplateData':
        return n.value as string;
      case 'NodeList':
        return this.block(n.children!, scope);
      case 'If': {
        const cond = n.cond as JNode;
        if (at(cond, () => this.truth(this.ev(cond, scope), cond))) return this.block(kids(n.body), scope);
        return n.else_ ? this.block(kids(n.else_), scope) : '';
      }
      case 'For':
        return this.forLoop(n, scope);
      case 'Set':
        this.set(n, scope);
        return '';
      case 'Macro':
        scope.vars.set((n.name as JNode).value as string, this.macro(n, scope));
        return '';
      default:
        throw this.unsupported(n);
    }
  }

  private forLoop(n: JNode, scope: Scope): string {
    let arrNode = n.arr as JNode;
    let filter: JNode | undefined;
    // `for x in xs if cond` arrives as an inline-if without else
    if (arrNode.typename === 'InlineIf' && !arrNode.else_) {
      filter = arrNode.cond as JNode;
      arrNode = arrNode.body as JNode;
    }
    let items = at(arrNode, () => this.iterate(this.ev(arrNode, scope), arrNode));
    const nameNode = n.name as JNode;
    const bind = (s: Scope, item: unknown) => {
      if (nameNode.typename === 'Symbol') s.vars.set(nameNode.value as string, item);
      else {
        const names = nameNode.children!.map((c) => c.value as string);
        const vals = this.iterate(item, nameNode);
        if (vals.length !== names.length) throw this.err(`cannot unpack ${vals.length} values into ${names.length} names`, nameNode);
        names.forEach((nm, i) => s.vars.set(nm, vals[i]));
      }
    };
    if (filter) {
      items = items.filter((item) => {
        const s = new Scope(scope);
        bind(s, item);
        return this.truth(this.ev(filter!, s), filter!);
      });
    }
    if (items.length === 0) return n.else_ ? this.block(kids(n.else_), scope) : '';
    let out = '';
    const len = items.length;
    items.forEach((item, i) => {
      const s = new Scope(scope);
      bind(s, item);
      s.vars.set('loop', {
        index: i + 1,
        index0: i,
        revindex: len - i,
        revindex0: len - i - 1,
        first: i === 0,
        last: i === len - 1,
        length: len,
        previtem: i > 0 ? items[i - 1] : new Undef('loop.previtem'),
        nextitem: i < len - 1 ? items[i + 1] : new Undef('loop.nextitem'),
        cycle: ((args: unknown[]) => args[i % args.length]) as JFunction,
      });
      out += this.block(kids(n.body), s);
    });
    return out;
  }

  private set(n: JNode, scope: Scope): void {
    const value = n.value ? this.ev(n.value as JNode, scope) : this.block(kids((n.body as JNode).body ?? n.body), scope);
    for (const t of n.targets as JNode[]) {
      if (t.typename === 'Symbol') scope.vars.set(t.value as string, value);
      else if (t.typename === 'LookupVal') {
        const obj = this.ev(t.target as JNode, scope);
        if (!obj || typeof obj !== 'object' || !(NAMESPACE in (obj as object))) throw this.err(`can only set attributes of a namespace()`, t);
        (obj as Record<string, unknown>)[String(this.ev(t.val as JNode, scope))] = value;
      } else throw this.unsupported(t);
    }
  }

  private macro(n: JNode, scope: Scope): JFunction {
    const params: { name: string; dflt?: JNode }[] = [];
    for (const a of kids(n.args)) {
      if (a.typename === 'Symbol') params.push({ name: a.value as string });
      else if (a.typename === 'KeywordArgs') for (const p of a.children!) params.push({ name: (p.key as JNode).value as string, dflt: p.value as JNode });
    }
    return (args, kw) => {
      const s = new Scope(scope);
      params.forEach((p, i) => {
        const v = i < args.length ? args[i] : p.name in kw ? kw[p.name] : p.dflt ? this.ev(p.dflt, s) : new Undef(p.name);
        s.vars.set(p.name, v);
      });
      return this.block(kids(n.body), s);
    };
  }

  // ---- expressions -------------------------------------------------------------------------------

  ev(n: JNode, scope: Scope): unknown {
    switch (n.typename) {
      case 'Literal':
        return n.value;
      case 'Symbol':
        return this.symbol(n.value as string, scope);
      case 'Array':
        return n.children!.map((c) => this.strict(c, scope));
      case 'Group':
        return n.children!.length === 1 ? this.ev(n.children![0]!, scope) : tuple(n.children!.map((c) => this.strict(c, scope)));
      case 'Dict': {
        const o: Record<string, unknown> = {};
        for (const p of n.children!) o[pyStr(this.strict(p.key as JNode, scope))] = this.strict(p.value as JNode, scope);
        return o;
      }
      case 'LookupVal':
        return this.lookupVal(n, scope);
      case 'FunCall':
        return this.call(n, scope);
      case 'Filter':
        return this.filter(n, scope);
      case 'Is':
        return this.test(n, scope);
      case 'Not':
        return !this.truth(this.ev(n.target as JNode, scope), n.target as JNode);
      case 'And': {
        const l = this.ev(n.left as JNode, scope);
        return this.truth(l, n.left as JNode) ? this.ev(n.right as JNode, scope) : l;
      }
      case 'Or': {
        const l = this.ev(n.left as JNode, scope);
        return this.truth(l, n.left as JNode) ? l : this.ev(n.right as JNode, scope);
      }
      case 'InlineIf': {
        const c = this.ev(n.cond as JNode, scope);
        if (this.truth(c, n.cond as JNode)) return this.ev(n.body as JNode, scope);
        return n.else_
          ? this.ev(n.else_ as JNode, scope)
          : new Undef('<inline if>', 'the inline if-expression on line ' + (n.lineno + 1) + ' evaluated to false and no else section was defined');
      }
      case 'In':
        return this.guard(() => pyIn(this.strict(n.left as JNode, scope), this.strict(n.right as JNode, scope)), n);
      case 'Compare':
        return this.compare(n, scope);
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'FloorDiv':
      case 'Mod':
      case 'Pow':
        return this.guard(() => arith(n.typename, this.strict(n.left as JNode, scope), this.strict(n.right as JNode, scope)), n);
      case 'Concat':
        return pyStr(this.strict(n.left as JNode, scope)) + pyStr(this.strict(n.right as JNode, scope));
      case 'Neg': {
        const v = this.strict(n.target as JNode, scope);
        if (!isNumber(v) && typeof v !== 'boolean') throw this.err(`bad operand type for unary -: '${typeName(v)}'`, n);
        return isFloat(v) ? mkFloat(-num(v)) : -num(v);
      }
      case 'Pos':
        return this.strict(n.target as JNode, scope);
      default:
        throw this.unsupported(n);
    }
  }

  /** Evaluate and fail on an undefined result (any use other than default/defined). */
  private strict(n: JNode, scope: Scope): unknown {
    const v = this.ev(n, scope);
    if (isUndef(v)) v.fail();
    return v;
  }

  private truth(v: unknown, _n: JNode): boolean {
    if (isUndef(v)) v.fail();
    return truthy(v);
  }

  private symbol(name: string, scope: Scope): unknown {
    const local = scope.get(name);
    if (local !== NOT_FOUND) return local;
    if (name in CONSTS) return CONSTS[name];
    if (name === 'omit') return OMIT;
    const v = this.env.lookupVar(name);
    if (isUndef(v) && Object.prototype.hasOwnProperty.call(this.env.globals, name)) return this.env.globals[name];
    return v;
  }

  private lookupVal(n: JNode, scope: Scope): unknown {
    const target = this.ev(n.target as JNode, scope);
    const keyNode = n.val as JNode;
    if (isUndef(target)) return target;
    if (keyNode.typename === 'Slice') return this.slice(target, keyNode, scope, n);
    const key = this.strict(keyNode, scope);
    return this.guard(() => getAttr(target, key, () => pathOf(n)), n);
  }

  private slice(target: unknown, s: JNode, scope: Scope, n: JNode): unknown {
    const part = (k: string) => {
      const v = s[k] ? this.strict(s[k] as JNode, scope) : null;
      return v === null || v === undefined ? undefined : num(v);
    };
    const start = part('start');
    const stop = part('stop');
    const step = part('step') ?? 1;
    const seq: unknown[] =
      typeof target === 'string'
        ? [...target]
        : Array.isArray(target)
          ? target
          : (() => {
              throw this.err(`'${typeName(target)}' object is not subscriptable`, n);
            })();
    const len = seq.length;
    const norm = (i: number | undefined, dflt: number) =>
      i === undefined ? dflt : i < 0 ? Math.max(len + i, step < 0 ? -1 : 0) : Math.min(i, step < 0 ? len - 1 : len);
    const out: unknown[] = [];
    if (step > 0) for (let i = norm(start, 0); i < norm(stop, len); i += step) out.push(seq[i]);
    else for (let i = norm(start, len - 1); i > norm(stop, -1); i += step) out.push(seq[i]);
    return typeof target === 'string' ? out.join('') : out;
  }

  private args(list: JNode | undefined, scope: Scope, skip = 0): [unknown[], Kwargs] {
    const args: unknown[] = [];
    const kw: Kwargs = {};
    kids(list).forEach((c, i) => {
      if (i < skip) return;
      if (c.typename === 'KeywordArgs') for (const p of c.children!) kw[(p.key as JNode).value as string] = this.ev(p.value as JNode, scope);
      else if (c.typename === 'Splat') {
        // f(*xs): a list, tuple, string or dict (its keys) spread as positional arguments
        const v = this.strict(c.target as JNode, scope);
        if (Array.isArray(v)) args.push(...v);
        else if (typeof v === 'string') args.push(...v);
        else if (isMapping(v)) args.push(...Object.keys(v));
        else
          this.guard(() => {
            throw new TypeError(`argument after * must be an iterable, not ${typeName(v)}`);
          }, c);
      } else if (c.typename === 'DoubleSplat') {
        const v = this.strict(c.target as JNode, scope);
        if (!isMapping(v))
          this.guard(() => {
            throw new TypeError(`argument after ** must be a mapping, not ${typeName(v)}`);
          }, c);
        Object.assign(kw, v);
      } else args.push(this.ev(c, scope));
    });
    return [args, kw];
  }

  private call(n: JNode, scope: Scope): unknown {
    const nameNode = n.name as JNode;
    if (nameNode.typename === 'LookupVal') {
      const target = this.ev(nameNode.target as JNode, scope);
      if (isUndef(target)) target.fail();
      const key = this.strict(nameNode.val as JNode, scope);
      const [args, kw] = this.args(n.args as JNode, scope);
      failUndefArgs(args, kw);
      if (isMapping(target) && typeof target[String(key)] === 'function') return this.guard(() => (target[String(key)] as JFunction)(args, kw), n);
      return this.guard(() => callMethod(target, String(key), args, kw, () => pathOf(nameNode)), n);
    }
    const fn = this.ev(nameNode, scope);
    if (isUndef(fn)) fn.fail();
    if (typeof fn !== 'function') throw this.err(`'${typeName(fn)}' object is not callable`, n);
    const [args, kw] = this.args(n.args as JNode, scope);
    failUndefArgs(args, kw);
    return this.guard(() => (fn as JFunction)(args, kw), n);
  }

  private filter(n: JNode, scope: Scope): unknown {
    const name = (n.name as JNode).value as string;
    const def = this.env.filters[name] ?? this.env.filters[stripCollection(name)];
    if (!def) throw this.err(`no filter named '${name}'`, n);
    const argNodes = kids(n.args as JNode);
    const value = this.ev(argNodes[0]!, scope);
    if (isUndef(value) && !def.undefinedOk) value.fail();
    const [args, kw] = this.args(n.args as JNode, scope, 1);
    failUndefArgs(args, kw);
    return this.guard(() => def.fn(this.env, value, args, kw), n);
  }

  private test(n: JNode, scope: Scope): boolean {
    const right = n.right as JNode;
    let name: string;
    let args: unknown[] = [];
    let kw: Kwargs = {};
    if (right.typename === 'Symbol') name = right.value as string;
    else if (right.typename === 'FunCall' && (right.name as JNode).typename === 'Symbol') {
      name = (right.name as JNode).value as string;
      [args, kw] = this.args(right.args as JNode, scope);
      failUndefArgs(args, kw);
    } else throw this.err(`unsupported test expression`, right);
    const def = this.env.tests[name] ?? this.env.tests[stripCollection(name)];
    if (!def) throw this.err(`no test named '${name}'`, right);
    const value = this.ev(n.left as JNode, scope);
    if (isUndef(value) && !def.undefinedOk) value.fail();
    return this.guard(() => def.fn(this.env, value, args, kw), n);
  }

  private compare(n: JNode, scope: Scope): boolean {
    let left = this.strict(n.expr as JNode, scope);
    for (const op of n.ops as JNode[]) {
      const right = this.strict(op.expr as JNode, scope);
      const ok = this.guard(() => cmp(op.type as string, left, right), op);
      if (!ok) return false;
      left = right;
    }
    return true;
  }

  private iterate(v: unknown, n: JNode): unknown[] {
    if (isUndef(v)) v.fail();
    if (Array.isArray(v)) return v;
    if (typeof v === 'string') return [...v];
    if (isMapping(v)) return Object.keys(v);
    throw this.err(`'${typeName(v)}' object is not iterable`, n);
  }

  /** Text of a value printed by {{ }} inside a template: Python str(), None prints as ''. */
  text(v: unknown, _n?: JNode): string {
    if (isUndef(v)) v.fail();
    if (v === null || v === undefined) return '';
    if (v === OMIT) return OMIT_TEXT;
    return pyStr(v);
  }

  private guard<T>(f: () => T, n: JNode): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof TemplateRuntimeError || e instanceof JinjaSyntaxError || (e as { code?: string }).code) throw e;
      throw this.err((e as Error).message ?? String(e), n);
    }
  }

  err(message: string, n: JNode): TemplateRuntimeError {
    return new TemplateRuntimeError(message, (n.lineno ?? 0) + 1, (n.colno ?? 0) + 1);
  }

  private unsupported(n: JNode): TemplateRuntimeError {
    return this.err(`unsupported template construct '${n.typename}'`, n);
  }
}

/** Where in the template an error (e.g. an undefined variable) happened: set once, innermost first. */
export const errorPos = new WeakMap<object, { line: number; col: number }>();
function at<T>(n: JNode, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e && typeof e === 'object' && !errorPos.has(e)) {
      const s = startOf(n);
      errorPos.set(e, { line: (s.lineno ?? 0) + 1, col: (s.colno ?? 0) + 1 });
    }
    throw e;
  }
}

/** The leftmost node of an expression (nunjucks puts a.b at the dot, x | f at the pipe). */
function startOf(n: JNode): JNode {
  const next =
    n.typename === 'LookupVal'
      ? n.target
      : n.typename === 'Filter'
        ? (n.args as JNode).children?.[0]
        : n.typename === 'FunCall'
          ? n.name
          : n.typename === 'Compare'
            ? n.expr
            : 'left' in n
              ? n.left
              : undefined;
  return next ? startOf(next as JNode) : n;
}

function kids(n: unknown): JNode[] {
  if (!n) return [];
  const node = n as JNode;
  return node.children ?? [node];
}

function failUndefArgs(args: unknown[], kw: Kwargs): void {
  for (const a of args) if (isUndef(a)) a.fail();
  for (const a of Object.values(kw)) if (isUndef(a)) a.fail();
}

const COLLECTIONS = /^(?:ansible\.builtin|ansible\.utils|ansible\.netcommon|community\.general|ansible\.posix)\./;
function stripCollection(name: string): string {
  return name.replace(COLLECTIONS, '');
}

/** "d.zz", "users[0].nope" for error messages. */
export function pathOf(n: JNode): string {
  if (n.typename === 'Symbol') return n.value as string;
  if (n.typename === 'LookupVal') {
    const base = pathOf(n.target as JNode);
    const k = n.val as JNode;
    if (k.typename === 'Literal')
      return typeof k.value === 'number' ? `${base}[${k.value}]` : /^[A-Za-z_]\w*$/.test(String(k.value)) ? `${base}.${k.value}` : `${base}['${k.value}']`;
    return `${base}[${pathOf(k)}]`;
  }
  if (n.typename === 'Literal') return JSON.stringify(n.value);
  return '(expression)';
}

function cmp(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
    case '===':
      return pyEq(a, b);
    case '!=':
    case '!==':
      return !pyEq(a, b);
    case '<':
      return pyCompare(a, b) < 0;
    case '>':
      return pyCompare(a, b) > 0;
    case '<=':
      return pyCompare(a, b) <= 0;
    case '>=':
      return pyCompare(a, b) >= 0;
  }
  throw new Error(`unknown comparison '${op}'`);
}

function arith(op: string, a: unknown, b: unknown): unknown {
  const numeric = (isNumber(a) || typeof a === 'boolean') && (isNumber(b) || typeof b === 'boolean');
  if (numeric) {
    const x = num(a);
    const y = num(b);
    const float = isFloat(a) || isFloat(b);
    const res = (v: number) => (float ? mkFloat(v) : v);
    switch (op) {
      case 'Add':
        return res(x + y);
      case 'Sub':
        return res(x - y);
      case 'Mul':
        return res(x * y);
      case 'Div':
        if (y === 0) throw new Error('division by zero');
        return mkFloat(x / y);
      case 'FloorDiv':
        if (y === 0) throw new Error('integer division or modulo by zero');
        return res(Math.floor(x / y));
      case 'Mod':
        if (y === 0) throw new Error('integer division or modulo by zero');
        return res(((x % y) + y) % y);
      case 'Pow': {
        const r = x ** y;
        return float || y < 0 ? mkFloat(r) : Number.isSafeInteger(r) ? r : BigInt(x) ** BigInt(y);
      }
    }
  }
  if (op === 'Add') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (op === 'Mul') {
    if (typeof a === 'string' && isInt(b)) return a.repeat(Math.max(0, b));
    if (Array.isArray(a) && isInt(b)) return Array.from({ length: Math.max(0, b) }, () => a).flat();
  }
  if (op === 'Mod' && typeof a === 'string') return pyFormat(a, Array.isArray(b) ? b : [b]);
  const sym = { Add: '+', Sub: '-', Mul: '*', Div: '/', FloorDiv: '//', Mod: '%', Pow: '**' }[op];
  if (op === 'Add' && typeof a === 'string') throw new Error(`can only concatenate str (not "${typeName(b)}") to str`);
  throw new Error(`unsupported operand type(s) for ${sym}: '${typeName(a)}' and '${typeName(b)}'`);
}

export { PyFloat };
