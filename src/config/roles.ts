/**
 * Roles: roles/NAME/{tasks,handlers,defaults,vars}/main.yml, found in <playbook dir>/roles, then <playbook dir>.
 * A role's tasks become a block carrying the role's tags/when/vars; its tasks remember the role dir so
 * `copy src=` and `template src=` look in the role's files/ and templates/ first.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TsplayError } from '../errors.js';
import { loadYamlFile, posOf } from './yaml.js';
import type { BlockIR, PlayIR, TaskIR, TaskNode, Vars } from './playbook-types.js';
import { err, loadTaskFile, toStringList, type LoadContext } from './playbook.js';

const ROLE_KEYS = new Set(['role', 'name', 'tags', 'when', 'vars', 'become', 'become_user', 'tasks_from', 'handlers_from', 'defaults_from', 'vars_from']);

export function findRole(name: string, ctx: LoadContext): string | undefined {
  for (const base of [resolve(ctx.playbookDir, 'roles'), ctx.playbookDir]) {
    const p = resolve(base, name);
    if (existsSync(resolve(p, 'tasks')) || existsSync(resolve(p, 'handlers')) || existsSync(resolve(p, 'defaults'))) return p;
  }
  return undefined;
}

function mainFile(dir: string, sub: string, name = 'main'): string | undefined {
  for (const ext of ['.yml', '.yaml', '', '.json']) {
    const p = resolve(dir, sub, name + ext);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function loadVarsFile(path: string | undefined): Vars {
  if (!path) return {};
  const v = loadYamlFile(path);
  if (v == null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new TsplayError('playbook', `${path}: a vars file must be a mapping`);
  return v as Vars;
}

function markRole(nodes: TaskNode[], dir: string): void {
  for (const n of nodes) {
    n.roleDir = dir;
    if (n.kind === 'block') {
      markRole(n.block, dir);
      markRole(n.rescue, dir);
      markRole(n.always, dir);
    }
  }
}

export function loadRoleIntoPlay(entry: unknown, parent: object, index: number, play: PlayIR, ctx: LoadContext): { tasks: TaskNode[]; handlers: TaskNode[] } {
  let spec: Record<string, unknown>;
  if (typeof entry === 'string') spec = { role: entry };
  else if (entry && typeof entry === 'object' && !Array.isArray(entry)) spec = entry as Record<string, unknown>;
  else throw err('a role must be a name or a mapping with role:', parent, index);
  const name = String(spec['role'] ?? spec['name'] ?? '');
  if (!name) throw err("role entry has no 'role'", parent, index);
  const dir = findRole(name, ctx);
  if (!dir) throw err(`role '${name}' not found (looked in ${resolve(ctx.playbookDir, 'roles')} and ${ctx.playbookDir})`, parent, index);
  const roleVars: Vars = {};
  for (const [k, v] of Object.entries(spec)) if (!ROLE_KEYS.has(k)) roleVars[k] = v; // role params
  Object.assign(play.roleDefaults, loadVarsFile(mainFile(dir, 'defaults', String(spec['defaults_from'] ?? 'main'))));
  Object.assign(play.roleVars, loadVarsFile(mainFile(dir, 'vars', String(spec['vars_from'] ?? 'main'))));
  const tf = mainFile(dir, 'tasks', String(spec['tasks_from'] ?? 'main'));
  const hf = mainFile(dir, 'handlers', String(spec['handlers_from'] ?? 'main'));
  const tasks = tf ? loadTaskFile(tf, { ...ctx }) : [];
  const handlers = hf ? loadTaskFile(hf, { ...ctx }) : [];
  markRole(tasks, dir);
  markRole(handlers, dir);
  const src = posOf(parent, index) ?? { file: play.file, line: 1, col: 1 };
  const block: BlockIR = {
    name: undefined, source: src, raw: spec, kind: 'block', block: tasks, rescue: [], always: [], notify: [],
    tags: toStringList(spec['tags'], 'tags', spec, 'tags'),
    when: spec['when'],
    become: spec['become'],
    becomeUser: spec['become_user'],
    vars: { ...(spec['vars'] as Vars | undefined), ...roleVars },
    roleDir: dir,
  };
  return { tasks: [block], handlers: handlers as TaskIR[] };
}
