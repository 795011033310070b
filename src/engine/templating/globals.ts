/** Global functions: range(), dict(), namespace(), lookup()/query() and the lookup plugins tsplay has. */
import { execFileSync } from 'node:child_process';
import { existsSync, opendirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { isUndef } from './undefined.js';
import { makeNamespace, type EvalEnv, type JFunction, type Kwargs } from './evaluate.js';
import { toList } from './filters-list.js';
import { isMapping, num, pyStr } from './py.js';
import { globToRegExp } from '../../../lib/shell/glob.js';
import { pyRegex } from './pyregex.js';
import { now } from './strftime.js';
import { indexedItemsLookup, sequenceLookup, subelementsLookup, togetherLookup } from './lookups-loops.js';
import { COMMAND_LOOKUPS, passwordLookup, pipeLookup } from './lookups-controller.js';

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
  // the role's and the playbook's files/ (Ansible's search path), then the template's directory
  const candidates = isAbsolute(term)
    ? [term]
    : [...new Set([...searchPath(env, 'files').map((d) => join(d, term)), join(base, 'files', term), join(base, term), join(process.cwd(), term)])];
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`could not locate file in lookup: ${term}`);
  let text = readFileSync(path, 'utf8');
  if (kw.rstrip !== false) text = text.replace(/\s+$/, '');
  if (kw.lstrip === true) text = text.replace(/^\s+/, '');
  return text;
}

/**
 * Where a lookup finds a relative file, as Ansible's search path: the role's `subdir`/ then the role, the
 * playbook directory's `subdir`/ then the directory itself (role_path, playbook_dir), then the template's.
 */
function searchPath(env: EvalEnv, subdir: string): string[] {
  const dirs: string[] = [];
  for (const v of ['role_path', 'playbook_dir']) {
    const d = env.lookupVar(v);
    if (typeof d === 'string' && d) dirs.push(join(d, subdir), d);
  }
  if (env.baseDir) dirs.push(join(env.baseDir, subdir), env.baseDir);
  return [...new Set(dirs)];
}

/** first_found: the first file that exists of the terms (names, or {files, paths, skip}); [] with skip. */
function firstFound(env: EvalEnv, terms: unknown[], kw: Kwargs): string[] {
  const files: string[] = [];
  const paths: string[] = [];
  let skip = kw.skip === true;
  const split = (v: unknown) =>
    toList(v)
      .flatMap((x) => pyStr(x).split(/[,;]/))
      .map((x) => x.trim())
      .filter(Boolean);
  const add = (t: unknown) => {
    if (isMapping(t)) {
      files.push(...split(t.files ?? t.file ?? []));
      paths.push(...split(t.paths ?? []));
      if (t.skip === true) skip = true;
    } else if (Array.isArray(t)) t.forEach(add);
    else files.push(pyStr(t));
  };
  terms.forEach(add);
  if (kw.files !== undefined) files.push(...split(kw.files));
  if (kw.paths !== undefined) paths.push(...split(kw.paths));
  for (const f of files) {
    const candidates = isAbsolute(f)
      ? [f]
      : paths.length
        ? paths.map((p) => (isAbsolute(p) ? join(p, f) : searchPath(env, p).map((d) => join(d, f))[0]!))
        : searchPath(env, typeof kw._subdir === 'string' ? kw._subdir : 'files').map((d) => join(d, f));
    const hit = candidates.find((c) => existsSync(c));
    if (hit) return [hit];
  }
  if (skip) return [];
  throw new Error('No file was found when using first_found.');
}

/** A directory's names in the order the file system gives them (readdirSync sorts; opendir does not). */
function dirEntries(dir: string): string[] {
  const d = opendirSync(dir);
  const out: string[] = [];
  try {
    for (let e = d.readSync(); e; e = d.readSync()) out.push(e.name);
  } finally {
    d.closeSync();
  }
  return out;
}

/** fileglob: files (not directories) matching a glob in one directory, searched like `file` lookups. */
function fileglob(env: EvalEnv, term: string): string[] {
  const dirPart = dirname(term);
  const re = globToRegExp(basename(term), 'fileglob pattern');
  const dirs = isAbsolute(term) ? [dirPart] : searchPath(env, 'files').map((d) => join(d, dirPart));
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    // in the directory's order, as Python's glob (Ansible does not sort either)
    const found = dirEntries(d)
      .filter((f) => re.test(f) && statSync(join(d, f)).isFile())
      .map((f) => join(d, f));
    if (found.length) return found;
  }
  return [];
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
      return indexedItemsLookup(terms);
    case 'sequence':
      return sequenceLookup(terms);
    case 'together':
      return togetherLookup(terms);
    case 'subelements':
      return subelementsLookup(terms);
    case 'first_found':
      return firstFound(env, terms, kw);
    case 'fileglob':
      return flat.flatMap((t) => fileglob(env, t));
    case 'lines':
      // each term is a shell command run on the controller, as Ansible's lines lookup does
      return flat.flatMap((t) => {
        const pd = env.lookupVar('playbook_dir');
        const cwd = typeof pd === 'string' && pd ? pd : env.baseDir;
        const out = execFileSync('/bin/sh', ['-c', t], { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'inherit'] });
        return out.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
      });
    case 'vars':
      return flat.map((t) => {
        const v = env.lookupVar(t);
        if (!isUndef(v)) return v;
        if (kw.default !== undefined) return kw.default;
        throw new Error(`No variable found with this name: ${t}`);
      });
    case 'varnames':
      // names matching each regular expression (Python's re.search), as ansible.builtin.varnames
      return flat.flatMap((t) => {
        const re = pyRegex(t);
        return (env.varNames?.() ?? []).filter((n) => re.test(n));
      });
    case 'template':
      return flat.map((t) => {
        const path = searchPath(env, 'templates')
          .map((d) => (isAbsolute(t) ? t : join(d, t)))
          .find((c) => existsSync(c));
        if (!path) throw new Error(`the template file ${t} could not be found for the lookup`);
        const extra = isMapping(kw.template_vars) ? kw.template_vars : {};
        if (!env.renderTemplateText) throw new Error("lookup('template') is not available here");
        return env.renderTemplateText(readFileSync(path, 'utf8'), path, extra);
      });
    case 'pipe':
      return pipeLookup(env, terms);
    case 'password':
      return passwordLookup(env, terms, kw);
    default:
      throw new Error(`lookup plugin '${name}' is not supported (supported: ${[...LOOKUPS, ...COMMAND_LOOKUPS].join(', ')})`);
  }
}

/** The lookup plugins tsplay has (also the with_<name> loops that go through them). */
export const LOOKUPS = [
  'env',
  'file',
  'items',
  'list',
  'dict',
  'indexed_items',
  'sequence',
  'together',
  'subelements',
  'first_found',
  'fileglob',
  'lines',
  'vars',
  'varnames',
  'template',
];

export function makeGlobals(env: () => EvalEnv): Record<string, unknown> {
  /** Templar._lookup's errors=strict|warn|ignore: with warn/ignore a failing plugin gives nothing ([] or None) */
  const guarded = (args: unknown[], kw: Kwargs): unknown[] | undefined => {
    const [name, ...terms] = args;
    const { errors = 'strict', ...rest } = kw;
    if (!['strict', 'warn', 'ignore'].includes(pyStr(errors))) throw new Error(`Invalid setting for lookup errors: ${pyStr(errors)}`);
    try {
      return runLookup(env(), pyStr(name), terms, rest);
    } catch (e) {
      // undefined variables are not the plugin's failure (ansible-core re-raises them)
      if (errors === 'strict' || (e instanceof Error && / is undefined/.test(e.message))) throw e;
      return undefined;
    }
  };
  const lookup: JFunction = (args, kw) => {
    const res = guarded(args, kw);
    if (res === undefined) return kw.wantlist === true ? [] : null;
    if (kw.wantlist === true) return res;
    // Templar._lookup: ",".join(ran) for strings; else the only item, or the list
    if (res.every((x) => typeof x === 'string')) return res.join(',');
    return res.length === 1 ? res[0] : res;
  };
  const query: JFunction = (args, kw) => guarded(args, kw) ?? [];
  return {
    range: ((args) => range(args)) as JFunction,
    dict: ((args, kw) => ({
      ...Object.fromEntries(
        args.length
          ? toList(args[0]).map((p) => {
              const [k, v] = toList(p);
              return [pyStr(k), v];
            })
          : [],
      ),
      ...kw,
    })) as JFunction,
    namespace: ((args, kw) => makeNamespace({ ...(isMapping(args[0]) ? args[0] : {}), ...kw })) as JFunction,
    lookup,
    query,
    q: query,
    now: ((args, kw) => {
      const utc = kw.utc ?? args[0] ?? false;
      const fmt = kw.fmt ?? args[1];
      return now(utc === true, fmt == null ? undefined : pyStr(fmt));
    }) as JFunction,
  };
}
