/**
 * Roles: roles/NAME/{tasks,handlers,defaults,vars,meta}/main.yml, found in <playbook dir>/roles, the playbook
 * dir, then ANSIBLE_ROLES_PATH. A role's tasks become a block carrying the role entry's keywords (tags, when,
 * become...); every task remembers its role (for `role : task` names, the role's variables, and its files/ and
 * templates/). Dependencies (meta/main.yml) run first; a role used twice with the same parameters runs once
 * per play unless it allows duplicates.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { TsplayError } from '../errors.js';
import { loadYamlFile, posOf } from './yaml.js';
import type { BlockIR, RoleIR, TaskIR, TaskNode, Vars } from './playbook-types.js';
import { attempt, err, isObj, report, toStringList, type LoadContext, type Obj } from './load-context.js';
import { BLOCK_KEYWORDS } from './keywords.js';
import { common, loadTaskFile, loadTaskList } from './tasks.js';

/** Keys of a role entry that are keywords (everything else is a role parameter). */
const ROLE_ENTRY_KEYWORDS = new Set([...BLOCK_KEYWORDS, 'role', 'tasks_from', 'handlers_from', 'defaults_from', 'vars_from', 'public', 'allow_duplicates']);

export function roleSearchPath(ctx: LoadContext): string[] {
  const env = (process.env.ANSIBLE_ROLES_PATH ?? '').split(':').filter(Boolean);
  return [resolve(ctx.playbookDir, 'roles'), ctx.playbookDir, ...env];
}

export function findRole(name: string, ctx: LoadContext): string | undefined {
  const bases = isAbsolute(name) ? [''] : roleSearchPath(ctx);
  for (const base of bases) {
    const p = resolve(base, name);
    // free of symlinks, as ansible-core's unfrackpath makes a role's path (role_path, included file names)
    if (['tasks', 'handlers', 'defaults', 'vars', 'meta'].some((d) => existsSync(resolve(p, d)))) return realpathSync(p);
  }
  return undefined;
}

function mainFile(dir: string, sub: string, name: string): string | undefined {
  for (const ext of ['', '.yml', '.yaml', '.json']) {
    const p = resolve(dir, sub, name + ext);
    if (existsSync(p) && !p.endsWith(`/${sub}`)) return p;
  }
  return undefined;
}

function loadVarsFile(path: string | undefined): Vars {
  if (!path) return {};
  const v = loadYamlFile(path);
  if (v == null) return {};
  if (!isObj(v)) throw new TsplayError('playbook', 'a vars file must be a mapping', { source: { file: path, line: 1, col: 1 } });
  return v;
}

export interface LoadedRole {
  role: RoleIR;
  /** dependencies' blocks, then the role's own tasks */
  tasks: TaskNode[];
  handlers: TaskNode[];
}

export interface RoleRequest {
  name: string;
  params: Vars;
  /** the role's parameters as a `roles:` entry gives them (without its vars:): what its argument spec checks */
  argParams?: Vars;
  tasksFrom?: string;
  handlersFrom?: string;
  defaultsFrom?: string;
  varsFrom?: string;
  public: boolean;
  /** where the role was named (for errors) */
  at: { node: object; key?: string | number };
}

/** Load a role's files (tasks, handlers, defaults, vars) and its dependencies. */
export function loadRole(req: RoleRequest, ctx: LoadContext, parent?: RoleIR, seen = new Set<string>()): LoadedRole {
  const dir = findRole(req.name, ctx);
  if (!dir) throw err(`role '${req.name}' not found (looked in ${roleSearchPath(ctx).join(', ')})`, req.at.node, req.at.key);
  const role: RoleIR = {
    name: req.name.split('/').pop()!,
    dir,
    defaults: loadVarsFile(mainFile(dir, 'defaults', req.defaultsFrom ?? 'main')),
    vars: loadVarsFile(mainFile(dir, 'vars', req.varsFrom ?? 'main')),
    params: req.params,
    public: req.public,
    parent,
  };
  if (req.tasksFrom && !mainFile(dir, 'tasks', req.tasksFrom))
    throw err(`role '${req.name}': no tasks file '${req.tasksFrom}' in ${resolve(dir, 'tasks')}`, req.at.node, req.at.key);
  if (req.public && ctx.play) {
    Object.assign(ctx.play.roleDefaults, role.defaults);
    Object.assign(ctx.play.roleVars, role.vars);
  }
  const tasks: TaskNode[] = [];
  const handlers: TaskNode[] = [];
  // dependencies (meta/main.yml) run before the role, each once
  const metaFile = mainFile(dir, 'meta', 'main');
  const meta = metaFile ? loadYamlFile(metaFile) : undefined;
  if (isObj(meta) && Array.isArray(meta['dependencies'])) {
    meta['dependencies'].forEach((d, i) => {
      attempt(ctx, () => {
        const dep = roleEntry(d, meta['dependencies'] as unknown[], i);
        if (!dep) return;
        const key = `${dep.req.name}\0${JSON.stringify(dep.req.params)}`;
        if (seen.has(key)) return;
        seen.add(key);
        const loaded = loadRole(dep.req, ctx, role, seen);
        tasks.push(roleBlock(loaded, dep.keywords, dep.at, ctx));
        handlers.push(...loaded.handlers);
      });
    });
  }
  const tf = mainFile(dir, 'tasks', req.tasksFrom ?? 'main');
  const hf = mainFile(dir, 'handlers', req.handlersFrom ?? 'main');
  tasks.push(...validationTask(dir, meta, metaFile, req, role, ctx));
  if (tf) tasks.push(...loadTaskFile(tf, ctx, role));
  if (hf) handlers.push(...loadTaskFile(hf, ctx, role));
  return { role, tasks, handlers };
}

/**
 * The task ansible-core prepends to a role whose argument spec has the entry point (tasks_from, else main):
 * validate_argument_spec with the spec's options and the role's parameters, tagged always. The spec is
 * meta/argument_specs.yml (or .yaml), else meta/main.yml's argument_specs.
 */
function validationTask(dir: string, meta: unknown, metaFile: string | undefined, req: RoleRequest, role: RoleIR, ctx: LoadContext): TaskNode[] {
  const specFile = ['argument_specs.yml', 'argument_specs.yaml'].map((f) => resolve(dir, 'meta', f)).find((f) => existsSync(f));
  const doc = specFile ? loadYamlFile(specFile) : undefined;
  const specs = specFile ? (isObj(doc) ? doc['argument_specs'] : undefined) : isObj(meta) ? meta['argument_specs'] : undefined;
  const entry = req.tasksFrom ?? 'main';
  const spec = isObj(specs) ? specs[entry] : undefined;
  if (!isObj(spec)) return [];
  const desc = spec['short_description'];
  const task = {
    name: `Validating arguments against arg spec '${entry}'${desc != null ? ` - ${String(desc)}` : ''}`,
    'ansible.builtin.validate_argument_spec': {
      argument_spec: isObj(spec['options']) ? spec['options'] : {},
      provided_arguments: req.argParams ?? {},
      validate_args_context: { type: 'role', name: role.name, argument_spec_name: entry, path: dir },
    },
    tags: ['always'],
  };
  return loadTaskList([task], [task], 0, specFile ?? metaFile ?? dir, ctx, role);
}

/** A role entry of `roles:` or `dependencies:`: a name, or a mapping with role:/name: plus keywords and params. */
function roleEntry(entry: unknown, parent: object, index: number) {
  let spec: Obj;
  if (typeof entry === 'string') spec = { role: entry };
  else if (isObj(entry)) spec = entry;
  else throw err('a role must be a name or a mapping with role:', parent, index);
  const name = spec['role'] ?? spec['name'];
  if (typeof name !== 'string' || !name)
    throw err("role entry has no 'role' (the role's name)", isObj(entry) ? entry : parent, isObj(entry) ? undefined : index);
  if (/\{\{|\{%/.test(name)) throw err(`a role's name in 'roles:' cannot use variables; use include_role`, spec, 'role' in spec ? 'role' : 'name');
  const params: Vars = {};
  for (const [k, v] of Object.entries(spec)) if (!ROLE_ENTRY_KEYWORDS.has(k)) params[k] = v;
  const argParams = { ...params };
  if (isObj(spec['vars'])) Object.assign(params, spec['vars']);
  const keywords: Obj = {};
  for (const [k, v] of Object.entries(spec)) if (BLOCK_KEYWORDS.has(k) && k !== 'vars' && k !== 'name') keywords[k] = v;
  const req: RoleRequest = {
    name,
    params,
    argParams,
    tasksFrom: spec['tasks_from'] as string | undefined,
    handlersFrom: spec['handlers_from'] as string | undefined,
    defaultsFrom: spec['defaults_from'] as string | undefined,
    varsFrom: spec['vars_from'] as string | undefined,
    public: true,
    at: { node: parent, key: index },
  };
  const at = isObj(entry) ? entry : (parent as Obj);
  return { req, keywords, at, spec };
}

/** The block a role's tasks run in: it carries the role entry's keywords (tags, when, become, ...). */
function roleBlock(loaded: LoadedRole, keywords: Obj, at: object, ctx: LoadContext): BlockIR {
  const file = posOf(at)?.file ?? loaded.role.dir;
  const c = common(keywords, file, ctx);
  return {
    ...c,
    source: posOf(at) ?? c.source,
    raw: at as Obj,
    name: undefined,
    role: loaded.role,
    kind: 'block',
    block: loaded.tasks,
    rescue: [],
    always: [],
    notify: [],
  };
}

/** `roles:` of a play: blocks to run before the play's tasks, and the roles' handlers. */
export function loadPlayRoles(roles: unknown, play: Obj, ctx: LoadContext): { tasks: TaskNode[]; handlers: TaskNode[] } {
  const out = { tasks: [] as TaskNode[], handlers: [] as TaskNode[] };
  if (roles == null) return out;
  if (!Array.isArray(roles)) {
    report(ctx, err("'roles' must be a list", play, 'roles'));
    return out;
  }
  const seen = new Set<string>();
  roles.forEach((r, i) => {
    attempt(ctx, () => {
      const e = roleEntry(r, roles, i);
      const key = `${e.req.name}\0${JSON.stringify(e.req.params)}`;
      const loaded = loadRole(e.req, ctx, undefined, seen);
      if (seen.has(key) && !allowsDuplicates(loaded.role)) return;
      seen.add(key);
      out.tasks.push(roleBlock(loaded, e.keywords, e.at, ctx));
      out.handlers.push(...loaded.handlers);
    });
  });
  return out;
}

function allowsDuplicates(role: RoleIR): boolean {
  const metaFile = mainFile(role.dir, 'meta', 'main');
  const meta = metaFile ? loadYamlFile(metaFile) : undefined;
  return isObj(meta) && meta['allow_duplicates'] === true;
}

function requestFrom(name: string, args: Record<string, unknown>, params: Vars, isPublic: boolean, at: RoleRequest['at']): RoleRequest {
  return {
    name,
    params,
    tasksFrom: args['tasks_from'] != null ? String(args['tasks_from']) : undefined,
    handlersFrom: args['handlers_from'] != null ? String(args['handlers_from']) : undefined,
    defaultsFrom: args['defaults_from'] != null ? String(args['defaults_from']) : undefined,
    varsFrom: args['vars_from'] != null ? String(args['vars_from']) : undefined,
    public: isPublic,
    at,
  };
}

/** import_role: the role's tasks, loaded now; its defaults and vars are visible to the whole play. */
export function importRole(
  name: string,
  args: Record<string, unknown>,
  params: Vars,
  node: object,
  key: string,
  ctx: LoadContext,
  parent?: RoleIR,
): { tasks: TaskNode[]; role: RoleIR } {
  const loaded = loadRole(requestFrom(name, args, params, args['public'] === undefined ? true : args['public'] === true, { node, key }), ctx, parent);
  // an imported role's handlers join the play's (collected by the play loader)
  ctx.importedHandlers?.push(...loaded.handlers);
  return { tasks: loaded.tasks, role: loaded.role };
}

/** include_role at run time: the role's tasks and handlers (public: its defaults/vars join the play). */
export function includeRole(name: string, args: Record<string, unknown>, params: Vars, node: object, ctx: LoadContext, parent?: RoleIR): LoadedRole {
  return loadRole(requestFrom(name, args, params, args['public'] === true || args['public'] === 'yes', { node }), ctx, parent);
}

/** Display name of a task or handler: `role : name` inside a role. */
export function roleTaskName(t: Pick<TaskIR, 'name' | 'action' | 'role'>, name = t.name ?? t.action): string {
  return t.role ? `${t.role.name} : ${name}` : name;
}

export { toStringList };
