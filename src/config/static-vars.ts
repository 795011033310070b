/**
 * --syntax-check's undefined-variable check. For each play it gathers every name the play could define — inventory
 * variables (all hosts), extra vars, play vars, vars_prompt, vars_files, roles' defaults/vars/params, block/task
 * vars, register, set_fact, include_vars (static files), loop variables, include parameters, magic variables and
 * facts (ansible_*) — and every name a template reads. A name that is read, defined nowhere, and never guarded
 * (`x | default(...)`, `x is defined` anywhere in the play) is reported at the value that reads it.
 * The check gives up on a play (no report) when a name could come from somewhere it can't see: a dynamic include
 * or include_vars with a templated file name.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TsplayError, type SourcePos } from '../errors.js';
import { parseExpression, parseTemplate, type JNode } from '../engine/templating/parse.js';
import { loadYamlFile, posOf } from './yaml.js';
import { expressionDepth, MAX_EXPRESSION_DEPTH, MAX_TREE_DEPTH, treeDeeperThan } from './static-expr.js';
import { isObj, type LoadContext, type Obj } from './load-context.js';
import type { PlayIR, RoleIR, TaskNode, Vars } from './playbook-types.js';
import { loadTaskFile, resolveTaskFile } from './tasks.js';
import { includeRole } from './roles.js';

const MAGIC = new Set([
  'inventory_hostname',
  'inventory_hostname_short',
  'inventory_dir',
  'inventory_file',
  'group_names',
  'groups',
  'hostvars',
  'play_hosts',
  'ansible_play_hosts',
  'ansible_play_hosts_all',
  'ansible_play_batch',
  'ansible_play_name',
  'playbook_dir',
  'role_name',
  'role_path',
  'omit',
  'item',
  'vars',
  'environment',
  'range',
  'dict',
  'namespace',
  'lookup',
  'query',
  'q',
  'loop',
  'varargs',
  'kwargs',
  'caller',
  'true',
  'false',
  'none',
  'True',
  'False',
  'None',
]);
const BARE = new Set(['when', 'changed_when', 'failed_when', 'until']);
const TEMPLATE = /\{\{|\{%/;

interface Ref {
  name: string;
  source?: SourcePos;
  where: string;
  /** read by a task that has a condition: it may never run, so the read is not reported */
  conditional: boolean;
}

class PlayScan {
  readonly defined = new Set<string>(MAGIC);
  readonly guarded = new Set<string>();
  readonly refs: Ref[] = [];
  /** a source of names the scan can't see: no report for this play */
  blind = false;
  private readonly seenFiles = new Set<string>();
  constructor(private readonly ctx: LoadContext) {}

  define(v: Vars | undefined): void {
    if (v && typeof v === 'object') for (const k of Object.keys(v)) this.defined.add(k);
  }

  /** Names read by one template string (or bare expression). */
  scanString(text: string, bare: boolean, source: SourcePos | undefined, where: string, conditional = false): void {
    let ast: JNode;
    if (expressionDepth(text) > MAX_EXPRESSION_DEPTH) return; // reported by static-expr, never parsed
    try {
      ast = bare && !TEMPLATE.test(text) ? parseExpression(text.trim()) : parseTemplate(text);
    } catch {
      return; // syntax errors are reported by static-expr
    }
    if (treeDeeperThan(ast, MAX_TREE_DEPTH)) return; // reported by static-expr; the walk below recurses
    const bound = new Set<string>();
    const visit = (n: JNode | undefined): void => {
      if (!n || typeof n !== 'object') return;
      switch (n.typename) {
        case 'Symbol':
          if (!bound.has(n.value as string)) this.refs.push({ name: n.value as string, source, where, conditional });
          return;
        case 'Filter': {
          const name = (n.name as JNode).value as string;
          const args = (n.args as JNode).children ?? [];
          if (name === 'default' || name === 'd') this.guard(args[0]);
          args.forEach(visit);
          return;
        }
        case 'Is': {
          const right = n.right as JNode;
          const test = right.typename === 'FunCall' ? ((right.name as JNode).value as string) : (right.value as string);
          if (['defined', 'undefined', 'none'].includes(test)) this.guard(n.left as JNode);
          visit(n.left as JNode);
          if (right.typename === 'FunCall') (right.args as JNode).children?.forEach(visit);
          return;
        }
        case 'FunCall':
          if ((n.name as JNode).typename !== 'Symbol') visit(n.name as JNode);
          (n.args as JNode).children?.forEach(visit);
          return;
        case 'KeywordArgs':
          for (const p of n.children ?? []) visit(p.value as JNode);
          return;
        case 'For':
          visit(n.arr as JNode);
          for (const t of names(n.name as JNode)) bound.add(t);
          visit(n.body as JNode);
          visit(n.else_ as JNode);
          return;
        case 'Set':
          for (const t of n.targets as JNode[]) for (const x of names(t)) bound.add(x);
          visit(n.value as JNode);
          visit(n.body as JNode);
          return;
        case 'Macro':
          for (const a of (n.args as JNode).children ?? []) for (const x of names(a.typename === 'KeywordArgs' ? undefined : a)) bound.add(x);
          bound.add(String((n.name as JNode).value));
          visit(n.body as JNode);
          return;
      }
      for (const [k, v] of Object.entries(n)) {
        if (k === 'typename' || k === 'lineno' || k === 'colno') continue;
        if (Array.isArray(v)) v.forEach((c) => visit(c as JNode));
        else if (v && typeof v === 'object' && 'typename' in v) visit(v as JNode);
      }
    };
    visit(ast);
  }

  private guard(n: JNode | undefined): void {
    while (n && n.typename === 'LookupVal') n = n.target as JNode;
    if (n?.typename === 'Symbol') this.guarded.add(n.value as string);
  }

  /**
   * Every string of a task/block/play mapping (nested task lists excluded). Under a condition (`cond`: an
   * enclosing when), reads are not reported except in the condition itself (it is always evaluated).
   */
  scanNode(node: Obj, skip: string[] = [], cond = false): void {
    const walk = (v: unknown, holder: object, key: string | number, where: string, bare: boolean, c: boolean): void => {
      if (typeof v === 'string') {
        if (bare ? v.trim() !== '' : TEMPLATE.test(v)) this.scanString(v, bare, posOf(holder, key), where, c);
      } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, v, i, where, bare, c));
      else if (isObj(v)) for (const [k, x] of Object.entries(v)) walk(x, v, k, `${where}.${k}`, false, c);
    };
    const own = cond || node['when'] !== undefined;
    for (const [k, v] of Object.entries(node)) if (!skip.includes(k)) walk(v, node, k, k, BARE.has(k) && typeof v !== 'boolean', k === 'when' ? cond : own);
  }

  role(r: RoleIR | undefined): void {
    for (let x = r; x; x = x.parent) {
      this.define(x.defaults);
      this.define(x.vars);
      this.define(x.params);
    }
  }

  nodes(ns: TaskNode[], cond = false): void {
    for (const n of ns) {
      this.define(n.vars);
      this.role(n.role);
      if (n.kind === 'block') {
        // a role's block carries the role entry's when; other blocks their own
        this.scanNode(n.raw, ['block', 'rescue', 'always'], cond);
        const c = cond || n.when !== undefined;
        [n.block, n.rescue, n.always].forEach((l) => this.nodes(l, c));
        continue;
      }
      this.scanNode(n.raw, [], cond);
      if (n.kind === 'meta') continue;
      const lc = n.loopControl ?? {};
      this.defined.add(String(lc['loop_var'] ?? 'item'));
      if (lc['index_var'] != null) this.defined.add(String(lc['index_var']));
      if (lc['extended']) this.defined.add('ansible_loop');
      if (n.kind === 'include') {
        this.include(n, cond || n.when !== undefined);
        continue;
      }
      if (n.register) this.defined.add(n.register);
      // a module whose arguments are free-form variables (set_fact) defines them
      if ((n.module.args as { additionalProperties?: unknown }).additionalProperties === true) for (const k of Object.keys(n.args)) this.defined.add(k);
      if (n.action.replace(/^ansible\.(builtin|legacy)\./, '') === 'include_vars') this.includeVars(n.args, n.role, n.source);
    }
  }

  private include(n: Extract<TaskNode, { kind: 'include' }>, cond: boolean): void {
    if (typeof n.target !== 'string' || TEMPLATE.test(n.target)) {
      this.blind = true;
      return;
    }
    try {
      if (n.directive === 'include_tasks') {
        const path = resolveTaskFile(n.target, n.baseDir, this.ctx);
        if (!path || this.seenFiles.has(path)) return;
        this.seenFiles.add(path);
        this.nodes(loadTaskFile(path, this.ctx, n.role), cond);
      } else {
        const key = `role:${n.target}:${String(n.args['tasks_from'] ?? '')}`;
        if (this.seenFiles.has(key)) return;
        this.seenFiles.add(key);
        const loaded = includeRole(n.target, n.args, n.vars ?? {}, n.raw, this.ctx, n.role);
        this.role(loaded.role);
        this.nodes(loaded.tasks, cond);
        this.nodes(loaded.handlers, cond);
      }
    } catch (e) {
      if (!(e instanceof TsplayError)) throw e;
      this.ctx.errors?.push(e);
    }
  }

  private includeVars(args: Record<string, unknown>, role: RoleIR | undefined, from: SourcePos): void {
    if (typeof args['name'] === 'string') {
      this.defined.add(args['name']);
      return;
    }
    const file = args['file'] ?? args['_raw_params'];
    if (typeof file !== 'string' || TEMPLATE.test(file)) {
      this.blind = true;
      return;
    }
    const bases = [...(role ? [resolve(role.dir, 'vars'), role.dir] : []), resolve(this.ctx.playbookDir, 'vars'), this.ctx.playbookDir];
    const path = bases.map((b) => resolve(b, file)).find((p) => existsSync(p));
    if (!path) return void (this.blind = true);
    const v = loadYamlFile(path, from);
    if (isObj(v)) this.define(v);
  }
}

/** Names bound by a for/set target (a name or a tuple of names). */
function names(n: JNode | undefined): string[] {
  if (!n) return [];
  if (n.typename === 'Symbol') return [n.value as string];
  return (n.children ?? []).flatMap(names);
}

/**
 * Report reads of variables defined nowhere. `known(play)`: the names the inventory (the play's hosts) and the
 * extra vars define, or undefined to skip the play (e.g. it matches no host: its groups' variables are unknown).
 */
export function checkUndefinedVariables(plays: PlayIR[], known: (play: PlayIR) => Iterable<string> | undefined, ctx: LoadContext): void {
  for (const play of plays) {
    const names = known(play);
    if (!names) continue;
    const scan = new PlayScan(ctx);
    for (const k of names) scan.defined.add(k);
    scan.define(play.vars);
    scan.define(play.roleDefaults);
    scan.define(play.roleVars);
    for (const p of play.varsPrompt) scan.defined.add(p.name);
    for (const [i, f] of play.varsFiles.entries()) {
      const candidates = Array.isArray(f) ? f : [f];
      const path = candidates.map((c) => (typeof c === 'string' && !TEMPLATE.test(c) ? resolve(play.dir, c) : undefined)).find((p) => p && existsSync(p));
      if (!path) scan.blind = true;
      else {
        const list = play.raw['vars_files'];
        const v = loadYamlFile(path, Array.isArray(list) ? posOf(list, i) : posOf(play.raw, 'vars_files'));
        if (isObj(v)) scan.define(v);
      }
    }
    scan.scanNode(play.raw, ['tasks', 'pre_tasks', 'post_tasks', 'handlers', 'roles', 'hosts']);
    scan.nodes([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
    if (scan.blind) continue;
    const reported = new Set<string>();
    for (const r of scan.refs) {
      if (r.conditional || scan.defined.has(r.name) || scan.guarded.has(r.name) || r.name.startsWith('ansible_')) continue;
      const key = `${r.name}@${r.source?.file}:${r.source?.line}:${r.source?.col}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const e = new TsplayError(
        'undefined-var',
        `undefined variable '${r.name}' in '${r.where}': it is not defined in the inventory, the play, its roles, or by any task`,
        {
          source: r.source,
          hint: `define it (vars:, -e ${r.name}=...), or guard it: ${r.name} | default(...)`,
        },
      );
      if (ctx.errors) ctx.errors.push(e);
      else throw e;
    }
  }
}
