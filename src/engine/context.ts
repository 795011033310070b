/** Shared state of a run, and what nested blocks inherit from their parents. */
import type { Connection } from '../connection/types.js';
import type { PlayIR, Vars } from '../config/playbook-types.js';
import type { ModuleRegistry } from '../module/registry.js';
import type { SourcePos } from '../errors.js';
import type { Renderer } from './events.js';
import type { HostState } from './host-state.js';
import type { PlayScope } from './vars.js';
import type { LoadContext } from '../config/playbook.js';

export interface RunOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  verbosity: number;
  tags: string[];
  skipTags: string[];
  forceHandlers: boolean;
  startAtTask?: string;
  step?: boolean;
  extraVars: Vars;
}

/** Opens (once) and returns the connection for an inventory host, given its variables. */
export type ConnectionProvider = (host: string, vars: Vars) => Promise<Connection>;

export interface RunContext {
  registry: ModuleRegistry;
  renderer: Renderer;
  opts: RunOptions;
  hosts: Map<string, HostState>;
  connect: ConnectionProvider;
  /** variables of any inventory host (for delegate_to and hostvars) */
  hostVarsOf(host: string): Vars;
  load: LoadContext;
  /** set when --start-at-task has not matched yet */
  waitingForStart?: string;
}

export interface PlayRun {
  play: PlayIR;
  scope: PlayScope;
  /** hosts of the current batch */
  batch: HostState[];
  anyErrorsFatal: boolean;
  maxFailPercentage?: number;
}

export interface Inherited {
  when: { cond: unknown; source?: SourcePos }[];
  tags: string[];
  layers: Vars[];
  params: Vars[];
  become?: unknown;
  becomeUser?: unknown;
  ignoreErrors?: unknown;
  ignoreUnreachable?: unknown;
  environment: unknown[];
  noLog?: unknown;
  checkMode?: unknown;
  diff?: unknown;
  delegateTo?: unknown;
  delegateFacts?: unknown;
  runOnce?: unknown;
  anyErrorsFatal?: unknown;
  roleDir?: string;
  remoteUser?: unknown;
}

import type { Common } from '../config/playbook-types.js';

/** Child keywords override the parent's; when/tags/vars accumulate. */
export function inherit(parent: Inherited, node: Common): Inherited {
  const pick = <T>(a: T | undefined, b: T | undefined) => (a !== undefined ? a : b);
  return {
    when: node.when !== undefined ? [...parent.when, { cond: node.when, source: node.source }] : parent.when,
    tags: node.tags.length ? [...parent.tags, ...node.tags] : parent.tags,
    layers: node.vars ? [...parent.layers, node.vars] : parent.layers,
    params: parent.params,
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
    roleDir: node.roleDir ?? parent.roleDir,
    remoteUser: pick(node.remoteUser, parent.remoteUser),
  };
}

/** Ansible's Taggable.evaluate_tags. */
export function tagsSelected(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags.length ? taskTags : ['untagged']);
  const untaggedOnly = tags.size === 1 && tags.has('untagged');
  const disjoint = (a: Set<string>, b: readonly string[]) => !b.some((x) => a.has(x));
  let run = true;
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
