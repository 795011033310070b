/** Shared state of a run, and what nested blocks inherit from their parents. */
import type { Connection } from '../connection/types.js';
import type { Common, HandlerIR, PlayIR, Vars } from '../config/playbook-types.js';
import type { ModuleRegistry } from '../contract/registry.js';
import type { SourcePos } from '../errors.js';
import type { EventSink } from './events.js';
import type { HostState } from './host-state.js';
import type { PlayScope, VarContext } from './vars.js';
import type { LoadContext } from '../config/load-context.js';
import { renderValue } from './templating/index.js';
import type { FactCacheStore } from './fact-cache.js';

export interface PlaybookRunOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  verbosity: number;
  tags: string[];
  skipTags: string[];
  forceHandlers: boolean;
  /** a notify naming no handler is an error (ANSIBLE_ERROR_ON_MISSING_HANDLER, default true), else a warning */
  errorOnMissingHandler?: boolean;
  startAtTask?: string;
  step?: boolean;
  extraVars: Vars;
}

/** Opens (once) and returns the connection for an inventory host, given its variables. */
export type ConnectionProvider = (host: string, vars: Vars) => Promise<Connection>;

/** --step: asked before each task. */
export type StepAnswer = 'yes' | 'no' | 'continue';

export interface RunContext {
  registry: ModuleRegistry;
  events: EventSink;
  opts: PlaybookRunOptions;
  hosts: Map<string, HostState>;
  connect: ConnectionProvider;
  /** variables of any inventory host (for delegate_to) */
  hostVarsOf(host: string): Vars;
  load: LoadContext;
  /** set while --start-at-task has not matched yet */
  waitingForStart?: string;
  /** --step: ask whether to run a task (until the answer is 'continue') */
  askStep?: (taskName: string) => Promise<StepAnswer>;
  /** vars_prompt: ask for a value */
  prompt?: (text: string, secret: boolean) => Promise<string>;
  /** the fact cache across runs (ansible-core's fact_caching); facts set in the run are written to it */
  factCache?: FactCacheStore;
  /** apply a group_by / add_host result (add_group / add_host) to the run's inventory; true when it changed */
  inventoryChange?: (host: string, result: Record<string, unknown>) => boolean;
}

export interface PlayRun {
  play: PlayIR;
  scope: PlayScope;
  /** every host the play targets (for ansible_play_hosts_all) */
  playHosts: HostState[];
  /** hosts of the current batch */
  batch: HostState[];
  maxFailPercentage?: number;
  /** the play's handlers, then handlers of roles included at run time */
  handlers: HandlerIR[];
  /** any_errors_fatal / max_fail_percentage tripped: nothing more runs, the playbook stops */
  aborted: boolean;
  /** any_errors_fatal tripped while some hosts were in a rescue / always: they finish the play, then the playbook stops */
  breakPlay?: boolean;
  /** meta: end_play / end_batch */
  endBatch: boolean;
  endPlay: boolean;
}

export interface Cond {
  cond: unknown;
  source?: SourcePos;
}

/** Keywords a block or task inherits from its parents unless it sets them itself. */
type OverridableKeywords = Pick<
  Common,
  | 'become'
  | 'becomeUser'
  | 'ignoreErrors'
  | 'ignoreUnreachable'
  | 'noLog'
  | 'checkMode'
  | 'diff'
  | 'delegateTo'
  | 'delegateFacts'
  | 'runOnce'
  | 'anyErrorsFatal'
  | 'remoteUser'
  | 'connection'
  | 'port'
>;

export interface Inherited extends VarContext, OverridableKeywords {
  when: Cond[];
  tags: string[];
  /** a failure here is caught by an enclosing block's rescue */
  rescuable: boolean;
  /**
   * The enclosing blocks, outermost first, and which section of each runs (an included file's tasks are an
   * implicit block of their own): where a host that fails here goes next (any_errors_fatal spares the hosts
   * heading into a rescue or an always).
   */
  sections: BlockSection[];
  /** an enclosing block's notify (a task without its own notifies these) */
  notify?: string[];
  environment: unknown[];
}

/** An implicit block (an included file's tasks): no rescue, no always. */
export const IMPLICIT: BlockSection = { part: 'block', hasRescue: false, hasAlways: false };

export interface BlockSection {
  part: 'block' | 'rescue' | 'always';
  hasRescue: boolean;
  hasAlways: boolean;
}

export const ROOT: Inherited = { when: [], tags: [], layers: [], params: [], environment: [], rescuable: false, sections: [] };

/** Child keywords override the parent's; when/tags/vars/environment accumulate. */
export function inherit(parent: Inherited, node: Common, opts: { vars?: boolean; when?: boolean } = {}): Inherited {
  const pick = <T>(a: T | undefined, b: T | undefined) => (a !== undefined && a !== null ? a : b);
  const withWhen = opts.when !== false && node.when !== undefined;
  const withVars = opts.vars !== false && node.vars;
  return {
    when: withWhen ? [...parent.when, { cond: node.when, source: node.source }] : parent.when,
    tags: node.tags.length ? [...parent.tags, ...node.tags] : parent.tags,
    layers: withVars ? [...parent.layers, node.vars!] : parent.layers,
    params: parent.params,
    role: node.role ?? parent.role,
    rescuable: parent.rescuable,
    sections: parent.sections,
    notify: parent.notify,
    become: pick(node.become, parent.become),
    becomeUser: pick(node.becomeUser, parent.becomeUser),
    ignoreErrors: pick(node.ignoreErrors, parent.ignoreErrors),
    ignoreUnreachable: pick(node.ignoreUnreachable, parent.ignoreUnreachable),
    environment: node.environment !== undefined ? [...parent.environment, node.environment] : parent.environment,
    noLog: pick(node.noLog, parent.noLog),
    checkMode: pick(node.checkMode, parent.checkMode),
    diff: pick(node.diff, parent.diff),
    delegateTo: pick(node.delegateTo, parent.delegateTo),
    delegateFacts: pick(node.delegateFacts, parent.delegateFacts),
    runOnce: pick(node.runOnce, parent.runOnce),
    anyErrorsFatal: pick(node.anyErrorsFatal, parent.anyErrorsFatal),
    remoteUser: pick(node.remoteUser, parent.remoteUser),
    connection: pick(node.connection, parent.connection),
    port: pick(node.port, parent.port),
  };
}

/**
 * Tags as Ansible's Taggable.evaluate_tags sees them: each tag templated (with the play's variables), a list result
 * flattened into its items. A tag that cannot be rendered stays as written, as the load-time tag did.
 */
export function renderTags(tags: readonly string[], vars: () => Vars): string[] {
  if (!tags.some((t) => t.includes('{{') || t.includes('{%'))) return [...tags];
  const v = vars();
  const out: string[] = [];
  for (const t of tags) {
    if (!t.includes('{{') && !t.includes('{%')) {
      out.push(t);
      continue;
    }
    let r: unknown;
    try {
      r = renderValue(t, v);
    } catch {
      r = t;
    }
    if (Array.isArray(r)) out.push(...r.map((x) => String(x)));
    else out.push(String(r));
  }
  return out;
}

/** Ansible's Taggable.evaluate_tags. */
export function tagsSelected(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags.length ? taskTags : ['untagged']);
  const untaggedOnly = tags.size === 1 && tags.has('untagged');
  const disjoint = (a: Set<string>, b: readonly string[]) => !b.some((x) => a.has(x));
  let run: boolean;
  const onlyTags = only.length ? only : ['all'];
  if (tags.has('always')) run = true;
  else if (onlyTags.includes('all') && !tags.has('never')) run = true;
  else if (!disjoint(tags, onlyTags)) run = true;
  else if (onlyTags.includes('tagged') && !untaggedOnly && !tags.has('never')) run = true;
  else run = false;
  if (run && skip.length) {
    if (skip.includes('all')) {
      if (!tags.has('always') || skip.includes('always')) run = false;
    } else if (!disjoint(tags, skip)) run = false;
    else if (skip.includes('tagged') && !untaggedOnly) run = false;
  }
  return run;
}
