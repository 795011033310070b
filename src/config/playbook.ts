/**
 * Playbook loading: YAML → validated plays and task trees with source positions. import_playbook is expanded
 * here, roles and static imports too (see tasks.ts, roles.ts); dynamic includes stay for the runner.
 * Every error names file:line:col and the offending key. With `errors` set (--syntax-check) loading goes on
 * after an error and every problem found is collected.
 */
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { TsplayError } from '../errors.js';
import { regexPattern, splitHostPattern } from './inventory/patterns.js';
import { globToRegExp } from '../../lib/shell/glob.js';
import { loadYamlFile, posOfObject } from './yaml.js';
import { IMPORT_PLAYBOOK_KEYWORDS, PLAY_KEYWORDS } from './keywords.js';
import type { HandlerIR, PlayIR, Playbook, TaskIR, TaskNode, VarsPrompt } from './playbook-types.js';
import { attempt, didYouMean, err, isObj, kindOf, report, toStringList, varsOf, type LoadContext, type Obj } from './load-context.js';
import { common, loadTaskList } from './tasks.js';
import { loadPlayRoles, roleTaskName } from './roles.js';
import { checkExpressions } from './static-expr.js';

export type { LoadContext } from './load-context.js';
export { resolveTaskFile, loadTaskFile } from './tasks.js';

export function loadPlaybook(file: string, ctx: Omit<LoadContext, 'playbookDir'> & { playbookDir?: string }): Playbook {
  const abs = resolve(file);
  const full: LoadContext = { ...ctx, playbookDir: ctx.playbookDir ?? dirname(abs), stack: [...(ctx.stack ?? []), abs] };
  const doc = loadYamlFile(abs);
  // as ansible-playbook: an empty file (or only comments, or only `---`) is an error, not a run of nothing
  if (doc == null) throw new TsplayError('playbook', 'Empty playbook, nothing to do', { source: { file: abs, line: 1, col: 1 } });
  if (!Array.isArray(doc))
    throw new TsplayError('playbook', `a playbook must be a list of plays, got ${kindOf(doc)}`, {
      source: (typeof doc === 'object' && posOfObject(doc)) || { file: abs, line: 1, col: 1 },
    });
  if (!doc.length)
    throw new TsplayError('playbook', 'A playbook must contain at least one play', { source: posOfObject(doc) ?? { file: abs, line: 1, col: 1 } });
  const plays: PlayIR[] = [];
  doc.forEach((entry, i) => {
    attempt(full, () => {
      if (!isObj(entry)) throw err('each play must be a mapping (hosts:, tasks:, ...)', doc, i);
      const impKey = ['import_playbook', 'ansible.builtin.import_playbook'].find((k) => k in entry);
      if (impKey) plays.push(...importPlaybook(entry, impKey, abs, full));
      else plays.push(loadPlay(entry, abs, full));
    });
  });
  return { file: abs, plays };
}

function importPlaybook(entry: Obj, key: string, file: string, ctx: LoadContext): PlayIR[] {
  for (const k of Object.keys(entry)) {
    if (!IMPORT_PLAYBOOK_KEYWORDS.has(k))
      report(ctx, err(`unknown import_playbook keyword '${k}'`, entry, k, undefined, didYouMean(k, IMPORT_PLAYBOOK_KEYWORDS)));
  }
  const name = entry[key];
  if (typeof name !== 'string' || !name) throw err('import_playbook needs a file name', entry, key);
  if (/\{\{|\{%/.test(name)) throw err('import_playbook is static: its file name cannot use variables', entry, key);
  const target = resolve(dirname(file), name);
  if (ctx.stack!.includes(target)) throw err(`import_playbook cycle: ${[...ctx.stack!.slice(ctx.stack!.indexOf(target)), target].join(' → ')}`, entry, key);
  if (!existsSync(target)) throw err(`import_playbook: no such file ${target}`, entry, key);
  const vars = varsOf(entry);
  const tags = toStringList(entry['tags'], 'tags', entry, 'tags');
  const sub = loadPlaybook(target, { ...ctx, playbookDir: ctx.playbookDir });
  for (const p of sub.plays) {
    if (vars) p.vars = { ...p.vars, ...vars };
    if (tags.length) p.tags = [...tags, ...p.tags];
    if (entry['when'] !== undefined) p.when = p.when === undefined ? entry['when'] : [entry['when'], p.when].flat();
  }
  return sub.plays;
}

/** `hosts:` must be a non-empty string or list of strings, each pattern well-formed. */
function checkHosts(node: Obj, ctx: LoadContext): void {
  const v = node['hosts'];
  const bad = (msg: string) => report(ctx, err(msg, node, 'hosts'));
  if (v === undefined) return bad(`play${node['name'] ? ` '${String(node['name'])}'` : ''} has no 'hosts'`);
  if (v === null || v === '' || (Array.isArray(v) && !v.length)) return bad("'hosts' is empty: give a host pattern (all, a group, a host, web*, ...)");
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'string' || typeof x === 'number')) return bad("'hosts' must be a host pattern string or a list of them");
  for (const pat of list.map(String)) {
    if (/\{\{|\{%/.test(pat)) continue;
    for (const p0 of splitHostPattern(pat)) {
      const p = p0.replace(/^[&!]/, '');
      if (!p) return bad(`bad host pattern '${p0}' in '${pat}': '&' and '!' need a pattern after them`);
      try {
        if (p.startsWith('~')) regexPattern(p.slice(1));
        else globToRegExp(p.replace(/\[(-?\d+|\d+[:-]\d*)\]$/, ''));
      } catch (e) {
        if (e instanceof TsplayError) return bad(`bad host pattern '${p0}': ${e.message}`);
        throw e;
      }
    }
  }
}

function loadVarsPrompt(node: Obj, ctx: LoadContext): VarsPrompt[] {
  const v = node['vars_prompt'];
  if (v == null) return [];
  if (!Array.isArray(v)) {
    report(ctx, err("'vars_prompt' must be a list of {name:, prompt:}", node, 'vars_prompt'));
    return [];
  }
  const out: VarsPrompt[] = [];
  v.forEach((p, i) => {
    if (!isObj(p) || typeof p['name'] !== 'string') return report(ctx, err("a vars_prompt entry needs 'name'", isObj(p) ? p : v, isObj(p) ? undefined : i));
    const known = ['name', 'prompt', 'private', 'default', 'confirm', 'encrypt', 'salt_size', 'salt', 'unsafe'];
    for (const k of Object.keys(p)) if (!known.includes(k)) report(ctx, err(`unknown vars_prompt option '${k}'`, p, k, undefined, didYouMean(k, known)));
    if (p['encrypt'] !== undefined) report(ctx, err("vars_prompt 'encrypt' is not supported", p, 'encrypt'));
    out.push({
      name: p['name'],
      prompt: String(p['prompt'] ?? p['name']),
      private: p['private'] !== false,
      default: p['default'],
      confirm: p['confirm'] === true,
    });
  });
  return out;
}

function loadPlay(node: Obj, file: string, ctx0: LoadContext): PlayIR {
  const collections = Array.isArray(node['collections']) ? node['collections'].map(String) : undefined;
  const ctx: LoadContext = { ...ctx0, play: { roleDefaults: {}, roleVars: {} }, importedHandlers: [], collections };
  for (const k of Object.keys(node)) {
    if (!PLAY_KEYWORDS.has(k)) {
      const hint = ['when', 'delegate_to', 'loop', 'register', 'notify'].includes(k)
        ? `'${k}' is a task keyword, not a play keyword`
        : didYouMean(k, PLAY_KEYWORDS);
      report(ctx, err(`unknown play keyword '${k}'`, node, k, undefined, hint));
    }
  }
  checkHosts(node, ctx);
  checkExpressions(node, ctx, ['tasks', 'pre_tasks', 'post_tasks', 'handlers', 'roles']);
  const c = common(node, file, ctx);
  const list = (k: string) => attempt(ctx, () => loadTaskList(node[k], node, k, file, ctx)) ?? [];
  const varsFiles = node['vars_files'] == null ? [] : Array.isArray(node['vars_files']) ? node['vars_files'] : [node['vars_files']];
  const roles = loadPlayRoles(node['roles'], node, ctx);
  const play: PlayIR = {
    ...c,
    hosts: node['hosts'],
    file,
    dir: dirname(file),
    varsFiles,
    varsPrompt: loadVarsPrompt(node, ctx),
    gatherFacts: node['gather_facts'],
    preTasks: list('pre_tasks'),
    // roles run before the play's tasks (after pre_tasks)
    tasks: [...roles.tasks, ...list('tasks')],
    postTasks: list('post_tasks'),
    handlers: [],
    serial: node['serial'],
    forceHandlers: node['force_handlers'],
    maxFailPercentage: node['max_fail_percentage'],
    roleDefaults: ctx.play!.roleDefaults,
    roleVars: ctx.play!.roleVars,
    order: node['order'],
  };
  // as ansible-core: roles can't be handlers (checked before the role would be looked for)
  for (const h of Array.isArray(node['handlers']) ? node['handlers'] : []) {
    const k = isObj(h) ? Object.keys(h).find((x) => /^(ansible\.(builtin|legacy)\.)?(include|import)_role$/.test(x)) : undefined;
    if (k) report(ctx, handlerError(`Using '${k.replace(/^ansible\.(builtin|legacy)\./, '')}' as a handler is not supported.`, h as object));
  }
  const handlerNodes = [
    ...(attempt(ctx, () => loadTaskList(node['handlers'], node, 'handlers', file, ctx)) ?? []),
    ...roles.handlers,
    ...ctx.importedHandlers!,
  ];
  play.handlers = flattenHandlers(handlerNodes, ctx);
  // as ansible-core, a notify naming no handler is an error when it notifies, at run time; --syntax-check reports it up front
  if (ctx.errors) checkNotify(play, ctx);
  return play;
}

/** Handlers as a flat list (blocks in a handlers section are unrolled; their keywords apply to each). */
export function flattenHandlers(nodes: TaskNode[], ctx: LoadContext): HandlerIR[] {
  const out: HandlerIR[] = [];
  const walk = (ns: TaskNode[], inherited: Partial<TaskIR>, inBlock = false): void => {
    for (const n of ns) {
      // a handlers list may hold blocks of handlers (one level, as an implicit block), not blocks in them
      const explicit = n.kind === 'block' && 'block' in n.raw;
      if (explicit && inBlock) {
        report(ctx, handlerError('Using a block as a handler is not supported.', n.raw));
        continue;
      }
      if (n.kind === 'task')
        out.push({
          ...inherited,
          ...n,
          when: inherited.when !== undefined && n.when !== undefined ? [inherited.when, n.when].flat() : (n.when ?? inherited.when),
        });
      else if (n.kind === 'block')
        walk([...n.block, ...n.rescue, ...n.always], { when: n.when, become: n.become, becomeUser: n.becomeUser, role: n.role }, inBlock || explicit);
      else if (n.kind === 'meta' && n.action === 'flush_handlers') report(ctx, handlerError('flush_handlers cannot be used as a handler', n.raw));
      else {
        // an include (Ansible: a notified include runs the included tasks) or a meta task: a handler of its own, named or listening
        const listen = attempt(ctx, () => toStringList(n.raw['listen'], 'topics', n.raw, 'listen')) ?? [];
        out.push({
          ...inherited,
          ...n,
          listen,
          notify: [],
          when: inherited.when !== undefined && n.when !== undefined ? [inherited.when, n.when].flat() : (n.when ?? inherited.when),
        });
      }
    }
  };
  walk(nodes, {});
  return out;
}

/** A notify naming no handler (and no listen topic) of the play is an error, as in Ansible. */
function checkNotify(play: PlayIR, ctx: LoadContext): void {
  const names = new Set<string>();
  for (const h of play.handlers) {
    if (h.name) {
      names.add(h.name);
      names.add(roleTaskName({ ...h, action: '' }));
    }
    for (const l of h.listen) names.add(l);
  }
  let dynamic = false;
  const tasks: { n: TaskIR | TaskNode; notify: string[] }[] = [];
  const walk = (ns: TaskNode[]) => {
    for (const n of ns) {
      if (n.kind === 'block') {
        tasks.push({ n, notify: n.notify });
        walk(n.block);
        walk(n.rescue);
        walk(n.always);
      } else if (n.kind === 'task') tasks.push({ n, notify: n.notify });
      else if (n.kind === 'include' && n.directive === 'include_role') dynamic = true;
    }
  };
  walk([...play.preTasks, ...play.tasks, ...play.postTasks]);
  for (const h of play.handlers) tasks.push({ n: h, notify: h.notify });
  if (dynamic) return; // an included role may bring the handler
  for (const { n, notify } of tasks) {
    for (const name of notify) {
      if (names.has(name) || /\{\{|\{%/.test(name)) continue;
      report(ctx, err(`notify: no handler named or listening to '${name}' in this play`, n.raw, 'notify', undefined, didYouMean(name, names)));
    }
  }
}

/** A handler Ansible refuses, in Ansible's words first (the position as a hint). */
function handlerError(message: string, node: object): TsplayError {
  const at = posOfObject(node);
  return new TsplayError('playbook', message, at ? { hint: `at ${at.file}:${at.line}:${at.col}` } : {});
}
