/**
 * Playbook loading: YAML → validated plays and task trees with source positions. Static imports
 * (import_playbook, import_tasks) are expanded here; dynamic includes stay as IncludeIR for the runner.
 * Every error names file:line:col and the offending key.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { TsplayError, type SourcePos } from '../errors.js';
import type { ModuleRegistry } from '../module/registry.js';
import { levenshtein } from '../module/registry.js';
import { loadYamlFile, posOf, posOfKey, posOfObject } from './yaml.js';
import { parseKv } from './kv.js';
import { BLOCK_KEYWORDS, INCLUDE_KEYS, PLAY_KEYWORDS, TASK_KEYWORDS } from './keywords.js';
import type { BlockIR, Common, IncludeIR, MetaIR, PlayIR, Playbook, TaskIR, TaskNode, Vars } from './playbook-types.js';
import { loadRoleIntoPlay } from './roles.js';

export interface LoadContext {
  registry: ModuleRegistry;
  /** the top playbook's directory (relative includes fall back to it) */
  playbookDir: string;
  /** collected errors (syntax-check mode) instead of throwing the first */
  errors?: TsplayError[];
  /** files being imported (cycle detection) */
  stack?: string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export function err(message: string, node: object | undefined, key?: string | number, file?: string, hint?: string): TsplayError {
  const source: SourcePos | undefined = node ? (key !== undefined ? posOfKey(node, key) : posOfObject(node)) : file ? { file, line: 1, col: 1 } : undefined;
  return new TsplayError('playbook', message, { source, hint });
}

function nearest(word: string, options: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = levenshtein(word, o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Record an error (syntax-check collects all) or throw it. */
function report(ctx: LoadContext, e: TsplayError): void {
  if (ctx.errors) ctx.errors.push(e);
  else throw e;
}

export function toStringList(v: unknown, what: string, node: object, key: string): string[] {
  if (v == null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof v === 'number') return [String(v)];
  if (Array.isArray(v)) return v.map((x) => String(x));
  throw err(`'${key}' (${what}) must be a string or a list`, node, key);
}

export function loadPlaybook(file: string, ctx: Omit<LoadContext, 'playbookDir'> & { playbookDir?: string }): Playbook {
  const abs = resolve(file);
  const full: LoadContext = { ...ctx, playbookDir: ctx.playbookDir ?? dirname(abs), stack: [...(ctx.stack ?? []), abs] };
  const doc = loadYamlFile(abs);
  if (doc == null) return { file: abs, plays: [] };
  if (!Array.isArray(doc)) throw new TsplayError('playbook', 'a playbook must be a list of plays', { source: posOfObject(doc as object) ?? { file: abs, line: 1, col: 1 } });
  const plays: PlayIR[] = [];
  doc.forEach((entry, i) => {
    try {
      if (!isObj(entry)) throw err('each play must be a mapping', doc, i);
      const imp = entry['import_playbook'] ?? entry['ansible.builtin.import_playbook'];
      if (imp !== undefined) {
        const target = resolve(dirname(abs), String(imp));
        if (full.stack!.includes(target)) throw err(`import_playbook cycle: ${target}`, entry, 'import_playbook');
        if (!existsSync(target)) throw err(`import_playbook: no such file ${target}`, entry, 'import_playbook');
        plays.push(...loadPlaybook(target, { ...full, playbookDir: full.playbookDir }).plays);
        return;
      }
      plays.push(loadPlay(entry, abs, full));
    } catch (e) {
      if (e instanceof TsplayError) report(full, e);
      else throw e;
    }
  });
  return { file: abs, plays };
}

function common(node: Obj, file: string): Common {
  return {
    name: node['name'] != null ? String(node['name']) : undefined,
    source: posOfObject(node) ?? { file, line: 1, col: 1 },
    raw: node,
    when: node['when'],
    tags: toStringList(node['tags'], 'tags', node, 'tags'),
    become: node['become'],
    becomeUser: node['become_user'],
    vars: node['vars'] as Vars | undefined,
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
  };
}

function checkVars(node: Obj, key: string): void {
  const v = node[key];
  if (v != null && !isObj(v)) throw err(`'${key}' must be a mapping of variable names to values`, node, key);
}

function loadPlay(node: Obj, file: string, ctx: LoadContext): PlayIR {
  for (const k of Object.keys(node)) {
    if (!PLAY_KEYWORDS.has(k)) {
      const near = nearest(k, PLAY_KEYWORDS);
      report(ctx, err(`unknown play keyword '${k}'`, node, k, file, near ? `did you mean '${near}'?` : undefined));
    }
  }
  if (node['hosts'] == null) throw err(`play${node['name'] ? ` '${String(node['name'])}'` : ''} has no 'hosts'`, node);
  checkVars(node, 'vars');
  const c = common(node, file);
  const play: PlayIR = {
    ...c,
    hosts: node['hosts'],
    file,
    dir: dirname(file),
    varsFiles: node['vars_files'] == null ? [] : Array.isArray(node['vars_files']) ? node['vars_files'] : [node['vars_files']],
    gatherFacts: node['gather_facts'],
    preTasks: loadTaskList(node['pre_tasks'], node, 'pre_tasks', file, ctx),
    tasks: loadTaskList(node['tasks'], node, 'tasks', file, ctx),
    postTasks: loadTaskList(node['post_tasks'], node, 'post_tasks', file, ctx),
    handlers: [],
    serial: node['serial'],
    forceHandlers: node['force_handlers'],
    maxFailPercentage: node['max_fail_percentage'],
    roleDefaults: {},
    roleVars: {},
    strategy: node['strategy'],
  };
  const handlerNodes = loadTaskList(node['handlers'], node, 'handlers', file, ctx);
  // roles: their tasks run before the play's tasks (after pre_tasks), handlers join the play's
  const roles = node['roles'];
  if (roles != null) {
    if (!Array.isArray(roles)) throw err("'roles' must be a list", node, 'roles');
    const roleTasks: TaskNode[] = [];
    roles.forEach((r, i) => {
      try {
        const loaded = loadRoleIntoPlay(r, roles, i, play, ctx);
        roleTasks.push(...loaded.tasks);
        handlerNodes.push(...loaded.handlers);
      } catch (e) {
        if (e instanceof TsplayError) report(ctx, e);
        else throw e;
      }
    });
    play.tasks = [...roleTasks, ...play.tasks];
  }
  play.handlers = flattenHandlers(handlerNodes, ctx);
  return play;
}

function flattenHandlers(nodes: TaskNode[], ctx: LoadContext): TaskIR[] {
  const out: TaskIR[] = [];
  const walk = (ns: TaskNode[]): void => {
    for (const n of ns) {
      if (n.kind === 'task') out.push({ ...n, handlerIndex: out.length });
      else if (n.kind === 'block') walk([...n.block, ...n.rescue, ...n.always]);
      else report(ctx, err(`${n.kind === 'meta' ? 'meta' : n.directive} is not supported in handlers`, n.raw));
    }
  };
  walk(nodes);
  return out;
}

export function loadTaskList(v: unknown, parent: Obj | unknown[], key: string | number, file: string, ctx: LoadContext): TaskNode[] {
  if (v == null) return [];
  if (!Array.isArray(v)) throw err(`'${key}' must be a list of tasks`, parent as object, key);
  const out: TaskNode[] = [];
  v.forEach((t, i) => {
    try {
      if (!isObj(t)) throw err('a task must be a mapping (did you forget "- name:"?)', v, i);
      out.push(...loadTask(t, file, ctx));
    } catch (e) {
      if (e instanceof TsplayError) report(ctx, e);
      else throw e;
    }
  });
  return out;
}

/** Resolve a tasks file like Ansible: relative to the including file's dir, then the playbook dir. */
export function resolveTaskFile(name: string, fromDir: string, ctx: LoadContext): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  for (const base of [fromDir, resolve(fromDir, 'tasks'), ctx.playbookDir]) {
    const p = resolve(base, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function loadTaskFile(path: string, ctx: LoadContext): TaskNode[] {
  if (ctx.stack?.includes(path)) throw new TsplayError('playbook', `import cycle: ${path}`);
  const doc = loadYamlFile(path);
  if (doc == null) return [];
  if (!Array.isArray(doc)) throw new TsplayError('playbook', 'a tasks file must be a list of tasks', { source: posOfObject(doc as object) ?? { file: path, line: 1, col: 1 } });
  return loadTaskList(doc, doc, 0, path, { ...ctx, stack: [...(ctx.stack ?? []), path] }).map((t) => t);
}

function loopOf(node: Obj): Pick<TaskIR, 'loop' | 'loopKind'> {
  const withKeys = Object.keys(node).filter((k) => k === 'loop' || k.startsWith('with_'));
  if (withKeys.length > 1) throw err(`a task can have only one loop, found: ${withKeys.join(', ')}`, node, withKeys[1]);
  const k = withKeys[0];
  if (!k) return {};
  const kind = k === 'loop' ? 'loop' : (k.slice(5) as TaskIR['loopKind']);
  const supported = new Set(['loop', 'items', 'list', 'dict', 'indexed_items', 'sequence', 'together', 'nested', 'flattened', 'lines', 'fileglob', 'subelements']);
  if (!supported.has(kind!)) throw err(`'${k}' is not supported; use loop:`, node, k);
  return { loop: node[k], loopKind: kind };
}

function loadTask(node: Obj, file: string, ctx: LoadContext): TaskNode[] {
  if ('block' in node) return [loadBlock(node, file, ctx)];
  const c = common(node, file);
  checkVars(node, 'vars');
  // which key is the module / directive?
  const candidates = Object.keys(node).filter((k) => !TASK_KEYWORDS.has(k));
  let action: string | undefined;
  let rawArgs: unknown;
  let argsNode: object | undefined;
  if (node['action'] !== undefined || node['local_action'] !== undefined) {
    const key = node['action'] !== undefined ? 'action' : 'local_action';
    const v = node[key];
    if (typeof v === 'string') {
      const [mod, ...rest] = v.trim().split(/\s+/);
      action = mod;
      rawArgs = rest.join(' ');
    } else if (isObj(v) && typeof v['module'] === 'string') {
      action = v['module'];
      rawArgs = Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'module'));
      argsNode = v;
    } else throw err(`'${key}' must be "module args" or a mapping with 'module'`, node, key);
    if (key === 'local_action') c.delegateTo = 'localhost';
    if (candidates.length) {
      const k = candidates[0]!;
      throw err(`unknown task keyword '${k}'`, node, k, file, nearest(k, TASK_KEYWORDS) ? `did you mean '${nearest(k, TASK_KEYWORDS)}'?` : undefined);
    }
  } else {
    const mods = candidates.filter((k) => ctx.registry.has(k) || INCLUDE_KEYS.has(k));
    const unknown = candidates.filter((k) => !ctx.registry.has(k) && !INCLUDE_KEYS.has(k));
    if (mods.length > 1) throw err(`a task can have only one module, found: ${mods.join(', ')}`, node, mods[1]);
    if (mods.length === 1 && unknown.length) {
      const k = unknown[0]!;
      const near = nearest(k, TASK_KEYWORDS);
      throw err(`unknown task keyword '${k}'`, node, k, file, near ? `did you mean '${near}'?` : undefined);
    }
    if (mods.length === 0) {
      if (unknown.length === 0) throw err(`task${c.name ? ` '${c.name}'` : ''} has no module (one of: command, copy, template, ...)`, node);
      const k = unknown[0]!;
      const kwNear = nearest(k, TASK_KEYWORDS);
      const modNear = ctx.registry.suggest(k);
      const hint = modNear ? `did you mean '${modNear}'?` : kwNear ? `did you mean the keyword '${kwNear}'?` : undefined;
      throw err(unknown.length === 1 ? `unknown module '${k}'` : `unknown module or keyword '${k}'`, node, k, file, hint);
    }
    action = mods[0]!;
    rawArgs = node[action];
    if (isObj(rawArgs)) argsNode = rawArgs;
  }
  const directive = action!.replace(/^ansible\.builtin\./, '');
  if (directive === 'meta') {
    const m: MetaIR = { ...c, kind: 'meta', action: String(rawArgs ?? '') };
    return [m];
  }
  if (directive === 'import_tasks' || directive === 'include_tasks' || directive === 'include_role' || directive === 'import_role') {
    return loadInclude(directive, rawArgs, node, c, file, ctx);
  }
  const mod = ctx.registry.get(action!)!;
  const args = buildArgs(mod.name, rawArgs, node, action!, mod.freeForm, new Set(Object.keys((mod.args as { properties?: object }).properties ?? {})));
  if (node['args'] !== undefined) {
    if (!isObj(node['args'])) throw err("'args' must be a mapping", node, 'args');
    for (const [k, v] of Object.entries(node['args'])) if (!(k in args)) args[k] = v;
    argsNode ??= node['args'];
  }
  const task: TaskIR = {
    ...c,
    kind: 'task',
    action: action!,
    module: mod,
    args,
    argsNode,
    ...loopOf(node),
    loopControl: isObj(node['loop_control']) ? node['loop_control'] : undefined,
    register: node['register'] != null ? String(node['register']) : undefined,
    notify: toStringList(node['notify'], 'notify', node, 'notify'),
    listen: toStringList(node['listen'], 'listen', node, 'listen'),
    changedWhen: node['changed_when'],
    failedWhen: node['failed_when'],
    until: node['until'],
    retries: node['retries'],
    delay: node['delay'],
  };
  if (task.register && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(task.register)) throw err(`register: '${task.register}' is not a valid variable name`, node, 'register');
  return [task];
}

/** Module arguments from a mapping, a `k=v` string, or free-form text. */
function buildArgs(modName: string, raw: unknown, node: Obj, key: string, freeForm: string | undefined, known: Set<string>): Record<string, unknown> {
  if (raw == null) return {};
  if (isObj(raw)) return { ...raw };
  if (typeof raw === 'string') {
    try {
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

function loadBlock(node: Obj, file: string, ctx: LoadContext): BlockIR {
  for (const k of Object.keys(node)) {
    if (!BLOCK_KEYWORDS.has(k)) {
      const near = nearest(k, BLOCK_KEYWORDS);
      throw err(`unknown block keyword '${k}'`, node, k, file, near ? `did you mean '${near}'?` : undefined);
    }
  }
  checkVars(node, 'vars');
  return {
    ...common(node, file),
    kind: 'block',
    block: loadTaskList(node['block'], node, 'block', file, ctx),
    rescue: loadTaskList(node['rescue'], node, 'rescue', file, ctx),
    always: loadTaskList(node['always'], node, 'always', file, ctx),
    notify: toStringList(node['notify'], 'notify', node, 'notify'),
  };
}

function loadInclude(directive: string, rawArgs: unknown, node: Obj, c: Common, file: string, ctx: LoadContext): TaskNode[] {
  let args: Record<string, unknown> = {};
  let target: unknown;
  if (typeof rawArgs === 'string') target = rawArgs.trim();
  else if (isObj(rawArgs)) {
    args = { ...rawArgs };
    target = directive.endsWith('_role') ? args['name'] : (args['file'] ?? args['_raw_params']);
    delete args['name'];
    delete args['file'];
  }
  if (target == null || target === '') throw err(`${directive} needs a ${directive.endsWith('_role') ? 'role name' : 'file'}`, node, directive);
  const isStatic = directive.startsWith('import_');
  const hasTemplate = typeof target === 'string' && target.includes('{{');
  if (isStatic) {
    if (hasTemplate) throw err(`${directive} is static: its ${directive.endsWith('_role') ? 'name' : 'file'} cannot use variables other than extra vars; use include_${directive.slice(7)}`, node, directive);
    if (Object.keys(node).some((k) => k === 'loop' || k.startsWith('with_'))) throw err(`${directive} cannot loop; use include_${directive.slice(7)}`, node, directive);
    let tasks: TaskNode[];
    if (directive === 'import_tasks') {
      const path = resolveTaskFile(String(target), dirname(file), ctx);
      if (!path) throw err(`import_tasks: cannot find '${String(target)}'`, node, directive);
      tasks = loadTaskFile(path, ctx);
    } else {
      tasks = importRoleTasks(String(target), args, node, file, ctx);
    }
    // keywords on the import apply to every imported task (as a block would)
    const block: BlockIR = { ...c, kind: 'block', block: tasks, rescue: [], always: [], notify: [] };
    return [block];
  }
  const inc: IncludeIR = {
    ...c,
    kind: 'include',
    directive: directive as IncludeIR['directive'],
    target,
    args,
    ...loopOf(node),
    loopControl: isObj(node['loop_control']) ? node['loop_control'] : undefined,
    baseDir: dirname(file),
  };
  return [inc];
}

/** import_role: load the role's tasks statically (defaults/vars are merged into the including play by the runner). */
function importRoleTasks(name: string, args: Record<string, unknown>, node: Obj, file: string, ctx: LoadContext): TaskNode[] {
  const fakePlay = { roleDefaults: {}, roleVars: {}, dir: ctx.playbookDir, file } as unknown as PlayIR;
  const loaded = loadRoleIntoPlay({ role: name, ...args }, [node], 0, fakePlay, ctx);
  // role defaults/vars travel as block vars (precedence differs slightly from Ansible; documented)
  const vars = { ...fakePlay.roleDefaults, ...fakePlay.roleVars };
  const block: BlockIR = {
    name: undefined, source: posOf(node) ?? { file, line: 1, col: 1 }, raw: node, tags: [], kind: 'block', block: loaded.tasks,
    rescue: [], always: [], notify: [], vars,
  };
  return [block];
}
