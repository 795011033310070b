/** Global functions: range(), dict(), namespace(), lookup()/query() for 'env' and 'file'. */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { makeNamespace, type EvalEnv, type JFunction, type Kwargs } from './evaluate.js';
import { toList } from './filters-list.js';
import { isMapping, num, pyStr } from './py.js';

function range(args: unknown[]): number[] {
  const [a, b, c] = args.map((x) => num(x));
  const [start, stop, step] = args.length === 1 ? [0, a!, 1] : [a!, b!, c ?? 1];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
    out.push(i);
    if (out.length > 1_000_000) throw new Error('range too big');
  }
  return out;
}

function fileLookup(env: EvalEnv, term: string, kw: Kwargs): string {
  const base = env.baseDir ?? process.cwd();
  const candidates = isAbsolute(term) ? [term] : [join(base, 'files', term), join(base, term), join(process.cwd(), term)];
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`could not locate file in lookup: ${term}`);
  let text = readFileSync(path, 'utf8');
  if (kw.rstrip !== false) text = text.replace(/\s+$/, '');
  if (kw.lstrip === true) text = text.replace(/^\s+/, '');
  return text;
}

function runLookup(env: EvalEnv, name: string, terms: unknown[], kw: Kwargs): unknown[] {
  const plugin = name.replace(/^ansible\.builtin\./, '');
  const flat = terms.flatMap((x) => (Array.isArray(x) ? x : [x])).map(pyStr);
  switch (plugin) {
    case 'env':
      return flat.map((t) => process.env[t] ?? (kw.default !== undefined ? kw.default : ''));
    case 'file':
      return flat.map((t) => fileLookup(env, t, kw));
    case 'items':
    case 'list':
      return terms.flatMap((x) => (Array.isArray(x) ? x : [x]));
    case 'dict': {
      const d = terms[0];
      if (!isMapping(d)) throw new Error('with_dict expects a dict');
      return Object.entries(d).map(([key, value]) => ({ key, value }));
    }
    case 'indexed_items':
      return toList(terms[0]).map((x, i) => [i, x]);
    default:
      throw new Error(`lookup plugin '${name}' is not supported (supported: env, file, items, list, dict, indexed_items)`);
  }
}

export function makeGlobals(env: () => EvalEnv): Record<string, unknown> {
  const lookup: JFunction = (args, kw) => {
    const [name, ...terms] = args;
    const res = runLookup(env(), pyStr(name), terms, kw);
    if (kw.wantlist === true) return res;
    return res.length === 1 ? res[0] : res.map(pyStr).join(',');
  };
  const query: JFunction = (args, kw) => {
    const [name, ...terms] = args;
    return runLookup(env(), pyStr(name), terms, kw);
  };
  return {
    range: ((args) => range(args)) as JFunction,
    dict: ((args, kw) => ({ ...Object.fromEntries(args.length ? toList(args[0]).map((p) => { const [k, v] = toList(p); return [pyStr(k), v]; }) : []), ...kw })) as JFunction,
    namespace: ((args, kw) => makeNamespace({ ...(isMapping(args[0]) ? args[0] : {}), ...kw })) as JFunction,
    lookup,
    query,
    q: query,
  };
}
