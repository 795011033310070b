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

/** Unknown filters and tests in a parsed tree (the first one found). */
function unknownName(n: JNode | undefined): { msg: string; line: number; col: number } | undefined {
  if (!n || typeof n !== 'object') return undefined;
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
  for (const v of Object.values(n)) {
    if (Array.isArray(v)) {
      for (const c of v) {
        const r = unknownName(c as JNode);
        if (r) return r;
      }
    } else if (v && typeof v === 'object' && 'typename' in v) {
      const r = unknownName(v as JNode);
      if (r) return r;
    }
  }
  return undefined;
}

/** Check one template string or bare expression; returns an error message or undefined. */
export function expressionProblem(text: string, bare: boolean): string | undefined {
  try {
    const ast = bare && !TEMPLATE.test(text) ? parseExpression(text.trim()) : parseTemplate(text);
    const u = unknownName(ast);
    return u?.msg;
  } catch (e) {
    if (e instanceof JinjaSyntaxError) return e.message;
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
