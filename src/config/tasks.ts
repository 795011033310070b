/**
 * Task lists: tasks, blocks, meta, includes and imports. Static imports (import_tasks, import_role) are
 * expanded here; dynamic includes stay as IncludeIR for the runner. Problems that don't stop the rest of
 * a task from being understood (an unknown keyword, a bad argument) are reported and loading goes on, so
 * --syntax-check lists them all.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { TsplayError } from '../errors.js';
import { loadYamlFile, posOfKey, posOfObject } from './yaml.js';
import { parseKv } from './kv.js';

/** Module arguments given as one template (`yum_repository: "{{ item }}"`, `args: "{{ x }}"`): a mapping at run time. */
export const VARIABLE_PARAMS = '_variable_params';
import { BLOCK_KEYWORDS, INCLUDE_KEYS, TASK_KEYWORDS } from './keywords.js';
import type { BlockIR, Common, IncludeIR, Looping, LoopKind, MetaIR, RoleIR, TaskIR, TaskNode } from './playbook-types.js';
import { attempt, didYouMean, err, isObj, kindOf, report, toStringList, varsOf, type LoadContext, type Obj } from './load-context.js';
import { checkStaticArgs } from './static-args.js';
import { checkExpressions } from './static-expr.js';
import { importRole } from './roles.js';
import { lookupAnsibleModule } from '../engine/ansible-module/index.js';
import type { AnyModule } from '../contract/define.js';

const LOOP_KINDS: ReadonlySet<string> = new Set<LoopKind>([
  'loop',
  'items',
  'list',
  'dict',
  'indexed_items',
  'sequence',
  'together',
  'nested',
  'flattened',
  'subelements',
  'first_found',
  'fileglob',
  'lines',
]);
/** meta's actions (also the playbook schema's, src/cli/schema-build.ts) */
export const META_ACTIONS: ReadonlySet<string> = new Set([
  'flush_handlers',
  'refresh_inventory',
  'noop',
  'clear_facts',
  'clear_host_errors',
  'end_play',
  'end_host',
  'end_batch',
  'reset_connection',
  'role_complete',
]);

export function common(node: Obj, file: string, ctx: LoadContext): Common {
  const tags = attempt(ctx, () => toStringList(node['tags'], 'tags', node, 'tags')) ?? [];
  return {
    name: node['name'] != null ? String(node['name']) : undefined,
    source: posOfObject(node) ?? { file, line: 1, col: 1 },
    raw: node,
    when: node['when'],
    tags,
    become: node['become'],
    becomeUser: node['become_user'],
    vars: attempt(ctx, () => varsOf(node)),
    ignoreErrors: node['ignore_errors'],
    ignoreUnreachable: node['ignore_unreachable'],
    environment: node['environment'],
    noLog: node['no_log'],
    checkMode: node['check_mode'],
    diff: node['diff'],
    delegateTo: node['delegate_to'],
    delegateFacts: node['delegate_facts'],
    runOnce: node['run_once'],
    anyErrorsFatal: node['any_errors_fatal'],
    remoteUser: node['remote_user'],
    connection: node['connection'],
    port: node['port'],
  };
}

export function loadTaskList(v: unknown, parent: Obj | unknown[], key: string | number, file: string, ctx: LoadContext, role?: RoleIR): TaskNode[] {
  if (v == null) return [];
  if (!Array.isArray(v)) throw err(`'${key}' must be a list of tasks`, parent as object, key);
  const out: TaskNode[] = [];
  v.forEach((t, i) => {
    const nodes = attempt(ctx, () => {
      if (!isObj(t)) throw err(`a task must be a mapping, got ${t === null ? 'an empty entry' : kindOf(t)}`, v, i);
      return loadTask(t, file, ctx, role);
    });
    if (nodes) out.push(...nodes);
  });
  return out;
}

/** Resolve a tasks file like Ansible: relative to the including file's dir (and its tasks/), then the playbook dir. */
export function resolveTaskFile(name: string, fromDir: string, ctx: LoadContext): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  for (const base of [fromDir, resolve(fromDir, 'tasks'), ctx.playbookDir]) {
    const p = resolve(base, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function loadTaskFile(path: string, ctx: LoadContext, role?: RoleIR, from?: { node: object; key: string }): TaskNode[] {
  if (ctx.stack?.includes(path)) throw err(`import cycle: ${[...ctx.stack.slice(ctx.stack.indexOf(path)), path].join(' → ')}`, from?.node, from?.key, path);
  const doc = loadYamlFile(path, from ? posOfKey(from.node, from.key) : undefined);
  if (doc == null) return [];
  if (!Array.isArray(doc))
    throw new TsplayError('playbook', 'a tasks file must be a list of tasks', { source: posOfObject(doc as object) ?? { file: path, line: 1, col: 1 } });
  return loadTaskList(doc, doc, 0, path, { ...ctx, stack: [...(ctx.stack ?? []), path] }, role);
}

export function loopOf(node: Obj, ctx: LoadContext): Looping {
  const withKeys = Object.keys(node).filter((k) => k === 'loop' || k.startsWith('with_'));
  if (!withKeys.length) return {};
  if (withKeys.length > 1) report(ctx, err(`a task can have only one loop, found: ${withKeys.join(', ')}`, node, withKeys[1]));
  const k = withKeys[0]!;
  const kind = k === 'loop' ? 'loop' : k.slice(5);
  if (!LOOP_KINDS.has(kind)) {
    report(ctx, err(`'${k}' is not supported; use loop: (with a filter or a registered result)`, node, k));
    return {};
  }
  let loopControl: Record<string, unknown> | undefined;
  if (node['loop_control'] != null) {
    if (!isObj(node['loop_control'])) report(ctx, err("'loop_control' must be a mapping", node, 'loop_control'));
    else {
      loopControl = node['loop_control'];
      const known = ['loop_var', 'index_var', 'label', 'pause', 'extended', 'extended_allitems'];
      for (const lk of Object.keys(loopControl)) {
        if (!known.includes(lk)) report(ctx, err(`unknown loop_control option '${lk}'`, loopControl, lk, undefined, didYouMean(lk, known)));
      }
    }
  }
  return { loop: node[k], loopKind: kind as LoopKind, loopControl };
}

function unknownKeyword(ctx: LoadContext, node: Obj, k: string, what: string, keywords: Set<string>): void {
  report(ctx, err(`unknown ${what} keyword '${k}'`, node, k, undefined, didYouMean(k, keywords)));
}

export function loadTask(node: Obj, file: string, ctx: LoadContext, role?: RoleIR): TaskNode[] {
  if ('block' in node || 'rescue' in node || 'always' in node) return [loadBlock(node, file, ctx, role)];
  const c = common(node, file, ctx);
  c.role = role;
  // which key is the module / directive?
  const candidates = Object.keys(node).filter((k) => !TASK_KEYWORDS.has(k));
  let action: string;
  let rawArgs: unknown;
  let argsNode: object | undefined;
  let actionKey: string;
  // no native module: the Ansible module itself, when the controller's ansible-core finds one (engine/ansible-module)
  let fallback: AnyModule | undefined;
  const lookup = (name: string) => lookupAnsibleModule(name, { roleDir: role?.dir, playbookDir: ctx.playbookDir, collections: ctx.collections });
  if (node['action'] !== undefined || node['local_action'] !== undefined) {
    actionKey = node['action'] !== undefined ? 'action' : 'local_action';
    const v = node[actionKey];
    if (typeof v === 'string' && v.trim()) {
      const [mod, ...rest] = v.trim().split(/\s+/);
      action = mod!;
      rawArgs = rest.join(' ');
    } else if (isObj(v) && typeof v['module'] === 'string') {
      action = v['module'];
      rawArgs = Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'module'));
      argsNode = v;
    } else throw err(`'${actionKey}' must be "module args" or a mapping with 'module'`, node, actionKey);
    if (actionKey === 'local_action') c.delegateTo = 'localhost';
    for (const k of candidates) unknownKeyword(ctx, node, k, 'task', TASK_KEYWORDS);
    if (!ctx.registry.has(action) && !INCLUDE_KEYS.has(action)) {
      const near = ctx.registry.suggest(action);
      const fb = lookup(action);
      fallback = fb.module;
      if (!fallback)
        throw new TsplayError('unknown-module', `unknown module '${action}'`, {
          source: err('', node, actionKey).source,
          hint: near ? `did you mean '${near}'?` : fb.hint,
        });
    }
  } else {
    const mods = candidates.filter((k) => ctx.registry.has(k) || INCLUDE_KEYS.has(k));
    const unknown = candidates.filter((k) => !ctx.registry.has(k) && !INCLUDE_KEYS.has(k));
    if (mods.length > 1) throw err(`a task can have only one module, found: ${mods.join(', ')}`, node, mods[1]);
    const fbKey = mods.length === 0 ? unknown.find((u) => !didYouMean(u, TASK_KEYWORDS)) : undefined;
    const fb = fbKey !== undefined && fbKey !== 'include' ? lookup(fbKey) : {};
    if (fb.module) {
      fallback = fb.module;
      mods.push(fbKey!);
      unknown.splice(unknown.indexOf(fbKey!), 1);
    }
    if (mods.length === 0) {
      if (unknown.length === 0) throw err(`task${c.name ? ` '${c.name}'` : ''} has no module (one of: command, copy, template, ...)`, node);
      // the first unknown key is taken for the module (as Ansible does); the others are unknown keywords
      const k = unknown.find((u) => !didYouMean(u, TASK_KEYWORDS)) ?? unknown[0]!;
      if (k === 'include') throw err("'include' was removed from Ansible: use include_tasks (dynamic) or import_tasks (static)", node, k);
      const modNear = ctx.registry.suggest(k);
      const kwNear = didYouMean(k, TASK_KEYWORDS);
      for (const u of unknown) if (u !== k) unknownKeyword(ctx, node, u, 'task', TASK_KEYWORDS);
      const hint = modNear
        ? `did you mean '${modNear}'?`
        : kwNear
          ? kwNear.replace('did you mean ', 'did you mean the keyword ')
          : k === fbKey
            ? fb.hint
            : undefined;
      throw new TsplayError('unknown-module', `unknown module '${k}'`, { source: err('', node, k).source, hint });
    }
    for (const u of unknown) unknownKeyword(ctx, node, u, 'task', TASK_KEYWORDS);
    action = mods[0]!;
    actionKey = action;
    rawArgs = node[action];
    if (isObj(rawArgs)) argsNode = rawArgs;
  }
  const directive = action.replace(/^ansible\.(builtin|legacy)\./, '');
  if (directive === 'meta') return [loadMeta(node, c, rawArgs, actionKey, ctx)];
  if (directive === 'import_tasks' || directive === 'include_tasks' || directive === 'include_role' || directive === 'import_role') {
    return loadInclude(directive, rawArgs, node, c, file, ctx, role);
  }
  const mod = ctx.registry.get(action) ?? fallback!;
  const props = new Set([...Object.keys((mod.args as { properties?: object }).properties ?? {}), ...Object.keys(mod.argAliases ?? {})]);
  const args = buildArgs(mod.name, rawArgs, node, actionKey, mod.freeForm, props);
  if (node['args'] !== undefined) {
    const na = node['args'];
    if (typeof na === 'string' && /\{\{|\{%/.test(na)) args[VARIABLE_PARAMS] ??= na;
    else if (!isObj(na)) report(ctx, err("'args' must be a mapping", node, 'args'));
    else {
      for (const [k, v] of Object.entries(na)) if (!(k in args)) args[k] = v;
      argsNode ??= na;
    }
  }
  const register = node['register'] != null ? String(node['register']) : undefined;
  if (register !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(register))
    report(ctx, err(`register: '${register}' is not a valid variable name`, node, 'register'));
  const task: TaskIR = {
    ...c,
    kind: 'task',
    action,
    module: mod,
    args,
    argsNode,
    ...loopOf(node, ctx),
    register,
    notify: attempt(ctx, () => toStringList(node['notify'], 'handler names', node, 'notify')) ?? [],
    listen: attempt(ctx, () => toStringList(node['listen'], 'topics', node, 'listen')) ?? [],
    changedWhen: node['changed_when'],
    failedWhen: node['failed_when'],
    until: node['until'],
    retries: node['retries'],
    delay: node['delay'],
  };
  checkStaticArgs(task, actionKey, ctx);
  checkExpressions(node, ctx);
  return [task];
}

function loadMeta(node: Obj, c: Common, rawArgs: unknown, key: string, ctx: LoadContext): MetaIR {
  const action = typeof rawArgs === 'string' ? rawArgs.trim() : isObj(rawArgs) && typeof rawArgs['_raw_params'] === 'string' ? rawArgs['_raw_params'] : '';
  if (!META_ACTIONS.has(action)) {
    report(ctx, err(`meta: unknown action '${action}'`, node, key, undefined, didYouMean(action, META_ACTIONS) ?? `one of: ${[...META_ACTIONS].join(', ')}`));
  }
  checkExpressions(node, ctx);
  return { ...c, kind: 'meta', action };
}

/** Module arguments from a mapping, a `k=v` string, or free-form text. */
function buildArgs(modName: string, raw: unknown, node: Obj, key: string, freeForm: string | undefined, known: Set<string>): Record<string, unknown> {
  if (raw == null) return {};
  if (isObj(raw)) return { ...raw };
  if (typeof raw === 'string') {
    try {
      if (!freeForm) {
        // ModuleArgsParser: what is not k=v but is a template ("{{ item }}") is the task's variable params,
        // templated at run time into a mapping of arguments (explicit k=v ones win)
        const { args, freeForm: text } = parseKv(raw, { freeForm: true });
        if (text !== undefined && /\{\{|\{%/.test(text)) return { ...args, [VARIABLE_PARAMS]: text };
      }
      const { args, freeForm: text } = parseKv(raw, { freeForm: !!freeForm, knownKeys: known });
      const out: Record<string, unknown> = { ...args };
      if (text !== undefined && freeForm) out[freeForm] = text;
      return out;
    } catch (e) {
      throw err(`${modName}: ${(e as Error).message}`, node, key);
    }
  }
  if (freeForm && (typeof raw === 'number' || typeof raw === 'boolean')) return { [freeForm]: String(raw) };
  throw err(`${modName}: arguments must be a mapping or a "key=value" string`, node, key);
}

function loadBlock(node: Obj, file: string, ctx: LoadContext, role?: RoleIR): BlockIR {
  for (const k of Object.keys(node)) if (!BLOCK_KEYWORDS.has(k)) unknownKeyword(ctx, node, k, 'block', BLOCK_KEYWORDS);
  if (!('block' in node)) report(ctx, err(`'${'rescue' in node ? 'rescue' : 'always'}' without 'block'`, node, 'rescue' in node ? 'rescue' : 'always'));
  const c = common(node, file, ctx);
  c.role = role;
  checkExpressions(node, ctx, ['block', 'rescue', 'always']);
  const list = (k: string) => attempt(ctx, () => loadTaskList(node[k], node, k, file, ctx, role)) ?? [];
  return {
    ...c,
    kind: 'block',
    block: list('block'),
    rescue: list('rescue'),
    always: list('always'),
    notify: attempt(ctx, () => toStringList(node['notify'], 'handler names', node, 'notify')) ?? [],
  };
}

/** the arguments of include_* / import_* (also the playbook schema's) */
export const INCLUDE_ARGS: Readonly<Record<string, readonly string[]>> = {
  include_tasks: ['file', '_raw_params', 'apply'],
  import_tasks: ['file', '_raw_params'],
  include_role: ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public', 'apply', 'allow_duplicates', 'rolespec_validate'],
  import_role: ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public', 'allow_duplicates', 'rolespec_validate'],
};

function loadInclude(directive: string, rawArgs: unknown, node: Obj, c: Common, file: string, ctx: LoadContext, role?: RoleIR): TaskNode[] {
  let args: Record<string, unknown> = {};
  let target: unknown;
  const key = Object.keys(node).find((k) => k.replace(/^ansible\.(builtin|legacy)\./, '') === directive) ?? directive;
  const isRole = directive.endsWith('_role');
  if (typeof rawArgs === 'string' && /^\s*\w+=/.test(rawArgs)) {
    // the k=v form (`import_role: name=x handlers_from=y.yml`)
    const kv = parseKv(rawArgs, { freeForm: true, knownKeys: new Set([...INCLUDE_ARGS[directive]!, 'file']) });
    rawArgs = { ...kv.args, ...(kv.freeForm ? { _raw_params: kv.freeForm } : {}) };
  }
  if (typeof rawArgs === 'string') target = rawArgs.trim();
  else if (isObj(rawArgs)) {
    args = { ...rawArgs };
    for (const k of Object.keys(args)) {
      if (!INCLUDE_ARGS[directive]!.includes(k))
        report(ctx, err(`${directive}: unknown argument '${k}'`, rawArgs, k, undefined, didYouMean(k, INCLUDE_ARGS[directive]!)));
    }
    target = isRole ? args['name'] : (args['file'] ?? args['_raw_params']);
    delete args['name'];
    delete args['file'];
    delete args['_raw_params'];
  } else if (rawArgs != null) throw err(`${directive}: expected a ${isRole ? 'mapping with name:' : 'file name'}`, node, key);
  if (target == null || target === '') throw err(`${directive} needs a ${isRole ? 'role name (name:)' : 'file'}`, node, key);
  checkExpressions(node, ctx);
  if (directive.startsWith('import_')) {
    const hasTemplate = typeof target === 'string' && /\{\{|\{%/.test(target);
    const dyn = `include_${directive.slice(7)}`;
    if (hasTemplate) throw err(`${directive} is static: its ${isRole ? 'name' : 'file'} cannot use variables; use ${dyn}`, node, key);
    const loopKey = Object.keys(node).find((k) => k === 'loop' || k.startsWith('with_'));
    if (loopKey) throw err(`${directive} cannot loop; use ${dyn}`, node, loopKey);
    let tasks: TaskNode[];
    let blockRole = role;
    if (directive === 'import_tasks') {
      const base = role ? resolve(role.dir, 'tasks') : dirname(file);
      const path = resolveTaskFile(String(target), base, ctx);
      if (!path)
        throw err(
          `import_tasks: cannot find '${String(target)}' (looked in ${[...new Set([base, resolve(base, 'tasks'), ctx.playbookDir])].join(', ')})`,
          node,
          key,
        );
      tasks = loadTaskFile(path, ctx, role, { node, key });
    } else {
      const loaded = importRole(String(target), args, c.vars ?? {}, node, key, ctx, role);
      tasks = loaded.tasks;
      blockRole = loaded.role;
      // keywords of import_role apply to the role's tasks; its vars are role params
      c.vars = undefined;
    }
    // keywords on the import apply to every imported task (as a block's do)
    const block: BlockIR = { ...c, role: blockRole, kind: 'block', block: tasks, rescue: [], always: [], notify: [] };
    return [block];
  }
  const inc: IncludeIR = {
    ...c,
    kind: 'include',
    directive: directive as IncludeIR['directive'],
    target,
    args,
    ...loopOf(node, ctx),
    baseDir: role ? resolve(role.dir, 'tasks') : dirname(file),
  };
  return [inc];
}
