/**
 * Load-time expression checks: every `{{ }}` / `{% %}` in a play, block or task, and the bare expressions of
 * when / changed_when / failed_when / until, are parsed when the playbook is loaded; a syntax error or an
 * unknown filter or test is reported at the value's line (so --syntax-check finds it without running).
 */
import { TsplayError, type SourcePos } from '../errors.js';
import { JinjaSyntaxError, parseExpression, parseTemplate, type JNode } from '../engine/templating/parse.js';
import { filters } from '../engine/templating/renderer.js';
import { tests } from '../engine/templating/tests.js';
import { posOf } from './yaml.js';
import { report, type LoadContext } from './load-context.js';

const BARE = new Set(['when', 'changed_when', 'failed_when', 'until']);
const TEMPLATE = /\{\{|\{%|\{#/;

const known = (table: Record<string, unknown>, name: string) => name in table || name.split('.').pop()! in table;

/** The deepest expression tree a load-time check accepts (`a | f | f | ...` nests without brackets). */
export const MAX_TREE_DEPTH = 200;

/** The problem of one node itself: an unknown filter or test. */
function nodeProblem(n: JNode): { msg: string; line: number; col: number } | undefined {
  if (n.typename === 'Filter') {
    const name = (n.name as JNode).value as string;
    if (!known(filters, name)) return { msg: `no filter named '${name}'`, line: n.lineno + 1, col: n.colno + 1 };
  }
  if (n.typename === 'Is') {
    const right = n.right as JNode;
    const nameNode = right.typename === 'FunCall' ? (right.name as JNode) : right;
    const name = String(nameNode.value);
    if (nameNode.typename === 'Symbol' && !known(tests, name)) return { msg: `no test named '${name}'`, line: right.lineno + 1, col: right.colno + 1 };
  }
  return undefined;
}

/** Whether a parsed tree nests deeper than `max` (iteratively: walks that recurse may then run on it). */
export function treeDeeperThan(root: JNode, max: number): boolean {
  const stack: [JNode, number][] = [[root, 1]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (d > max) return true;
    for (const v of Object.values(n)) {
      if (Array.isArray(v)) for (const c of v) if (c && typeof c === 'object' && 'typename' in c) stack.push([c as JNode, d + 1]);
      if (v && typeof v === 'object' && !Array.isArray(v) && 'typename' in v) stack.push([v as JNode, d + 1]);
    }
  }
  return false;
}

/**
 * Unknown filters and tests in a parsed tree (the first one found, in document order), or a tree too deep to be
 * evaluated safely. Iterative: the tree's depth is the input's to choose.
 */
function unknownName(root: JNode | undefined): { msg: string; line: number; col: number } | undefined {
  const stack: [JNode, number][] = root && typeof root === 'object' ? [[root, 1]] : [];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (d > MAX_TREE_DEPTH) return { msg: `expression nested deeper than ${MAX_TREE_DEPTH} levels`, line: n.lineno + 1, col: n.colno + 1 };
    const p = nodeProblem(n);
    if (p) return p;
    const kids: JNode[] = [];
    for (const v of Object.values(n)) {
      if (Array.isArray(v)) for (const c of v) if (c && typeof c === 'object' && 'typename' in c) kids.push(c as JNode);
      if (v && typeof v === 'object' && !Array.isArray(v) && 'typename' in v) kids.push(v as JNode);
    }
    for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k]!, d + 1]);
  }
  return undefined;
}

/** The deepest nesting a load-time check parses (the template parser recurses per level: input must not drive it past the stack). */
export const MAX_EXPRESSION_DEPTH = 100;

/**
 * How deeply brackets and block tags nest in a template or expression, counted without parsing (quotes are not
 * skipped: a string of 100 open brackets is not a real expression either).
 */
export function expressionDepth(text: string): number {
  let d = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b)
      max = Math.max(max, ++d); // ( [ {
    else if (c === 0x29 || c === 0x5d || c === 0x7d) d = Math.max(0, d - 1);
  }
  const blocks = /\{%-?\s*(end)?(if|for|macro|call|filter|block|raw)\b/g;
  let b = 0;
  for (const m of text.matchAll(blocks)) {
    if (m[1]) b = Math.max(0, b - 1);
    else max = Math.max(max, ++b);
  }
  return max;
}

/** Check one template string or bare expression; returns an error message or undefined. */
export function expressionProblem(text: string, bare: boolean): string | undefined {
  if (expressionDepth(text) > MAX_EXPRESSION_DEPTH) return `nested deeper than ${MAX_EXPRESSION_DEPTH} levels of brackets or blocks`;
  try {
    const ast = bare && !TEMPLATE.test(text) ? parseExpression(text.trim()) : parseTemplate(text);
    const u = unknownName(ast);
    return u?.msg;
  } catch (e) {
    // the parser turns its own stack overflow into a syntax error: say what the input did instead
    if (e instanceof JinjaSyntaxError) return /call stack/i.test(e.message) ? `nested too deeply to parse` : e.message;
    if (e instanceof RangeError) return 'nested too deeply to parse';
    throw e;
  }
}

function problem(where: string, text: string, msg: string, source: SourcePos | undefined): TsplayError {
  const snippet = text.length > 80 ? text.slice(0, 77) + '...' : text;
  return new TsplayError('template', `template error in '${where}': ${msg}`, { source, hint: `in: ${snippet.replace(/\n/g, '\\n')}` });
}

/**
 * Check every string under `node` (a play, block or task mapping), skipping the keys in `skip` (nested task
 * lists, which are checked when they are loaded).
 */
export function checkExpressions(node: Record<string, unknown>, ctx: LoadContext, skip: string[] = []): void {
  const walk = (v: unknown, holder: object, key: string | number, path: string, bare: boolean): void => {
    if (typeof v === 'string') {
      if (!bare && !TEMPLATE.test(v)) return;
      if (bare && !v.trim()) return;
      const msg = expressionProblem(v, bare);
      if (msg) report(ctx, problem(path, v, msg, posOf(holder, key)));
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, v, i, path, bare));
    else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, x] of Object.entries(v)) walk(x, v, k, `${path}.${k}`, false);
    }
  };
  for (const [k, v] of Object.entries(node)) {
    if (skip.includes(k)) continue;
    walk(v, node, k, k, BARE.has(k) && typeof v !== 'boolean');
  }
}
