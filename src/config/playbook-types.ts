/** The loaded, validated form of a playbook: plays and task trees, every node with its source position. */
import type { AnyModule } from '../contract/define.js';
import type { SourcePos } from '../errors.js';

/** Variables by name: the one type for play, host, inventory and template variables. */
export type Vars = Record<string, unknown>;

/** A role as loaded for one use (roles: entry, import_role or include_role). */
export interface RoleIR {
  name: string;
  dir: string;
  /** defaults/main.yml (lowest precedence) */
  defaults: Vars;
  /** vars/main.yml (above play vars) */
  vars: Vars;
  /** role parameters (`- role: x` extra keys, include_role vars) — above set_fact */
  params: Vars;
  /** the role's defaults and vars are visible to the whole play (roles:, import_role, include_role public) */
  public: boolean;
  /** the role this one is a dependency of */
  parent?: RoleIR;
}

/** Keywords shared by plays, blocks and tasks (inherited downwards). */
export interface Common {
  name?: string;
  source: SourcePos;
  /** the raw YAML mapping (for positions of its keys) */
  raw: Record<string, unknown>;
  when?: unknown;
  tags: string[];
  become?: unknown;
  becomeUser?: unknown;
  vars?: Vars;
  ignoreErrors?: unknown;
  ignoreUnreachable?: unknown;
  environment?: unknown;
  noLog?: unknown;
  checkMode?: unknown;
  diff?: unknown;
  delegateTo?: unknown;
  delegateFacts?: unknown;
  runOnce?: unknown;
  anyErrorsFatal?: unknown;
  remoteUser?: unknown;
  /** `connection:` and `port:` keywords (ansible_connection / ansible_port, which win over them) */
  connection?: unknown;
  port?: unknown;
  /** set on tasks that come from a role */
  role?: RoleIR;
}

export type LoopKind =
  | 'loop'
  | 'items'
  | 'list'
  | 'dict'
  | 'indexed_items'
  | 'sequence'
  | 'together'
  | 'nested'
  | 'flattened'
  | 'subelements'
  // with_<lookup>: the items of query('<lookup>', terms)
  | 'first_found'
  | 'fileglob'
  | 'lines';

export interface Looping {
  loop?: unknown;
  /** with_dict etc.: how to turn the loop value into items */
  loopKind?: LoopKind;
  loopControl?: Record<string, unknown>;
}

export interface TaskIR extends Common, Looping {
  kind: 'task';
  /** module name as written */
  action: string;
  module: AnyModule;
  /** untemplated arguments (a fresh object; positions via argsNode) */
  args: Record<string, unknown>;
  /** the YAML object holding the arguments (for positions of bad arguments) */
  argsNode?: object;
  register?: string;
  notify: string[];
  listen: string[];
  changedWhen?: unknown;
  failedWhen?: unknown;
  until?: unknown;
  retries?: unknown;
  delay?: unknown;
}

export interface BlockIR extends Common {
  kind: 'block';
  block: TaskNode[];
  rescue: TaskNode[];
  always: TaskNode[];
  notify: string[];
}

export interface IncludeIR extends Common, Looping {
  kind: 'include';
  /** include_tasks or include_role (dynamic); imports are expanded at load time */
  directive: 'include_tasks' | 'include_role';
  /** file (include_tasks) or role name (include_role), untemplated */
  target: unknown;
  /** other arguments (tasks_from, public, apply...) */
  args: Record<string, unknown>;
  /** directory include paths are resolved against */
  baseDir: string;
}

export interface MetaIR extends Common {
  kind: 'meta';
  action: string;
}

export type TaskNode = TaskIR | BlockIR | IncludeIR | MetaIR;

/** A handler: a task, a meta task, or an include_tasks / include_role whose tasks run when it is notified. */
export type HandlerIR = TaskIR | (IncludeIR & { listen: string[]; notify: string[] }) | (MetaIR & { listen: string[]; notify: string[] });

export interface VarsPrompt {
  name: string;
  prompt: string;
  private: boolean;
  default?: unknown;
  confirm: boolean;
}

export interface PlayIR extends Common {
  hosts: unknown;
  file: string;
  dir: string;
  varsFiles: unknown[];
  varsPrompt: VarsPrompt[];
  gatherFacts?: unknown;
  preTasks: TaskNode[];
  tasks: TaskNode[];
  postTasks: TaskNode[];
  handlers: HandlerIR[];
  serial?: unknown;
  forceHandlers?: unknown;
  maxFailPercentage?: unknown;
  /** defaults of the play's public roles (lowest precedence) */
  roleDefaults: Vars;
  /** vars of the play's public roles (above play vars) */
  roleVars: Vars;
  order?: unknown;
}

export interface Playbook {
  file: string;
  plays: PlayIR[];
}
