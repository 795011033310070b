/** The loaded, validated form of a playbook: plays and task trees, every node with its source position. */
import type { AnyModule } from '../module/define.js';
import type { SourcePos } from '../errors.js';

export type Vars = Record<string, unknown>;

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
  /** set on tasks that come from a role: where its files/ and templates/ are */
  roleDir?: string;
}

export interface TaskIR extends Common {
  kind: 'task';
  /** module name as written */
  action: string;
  module: AnyModule;
  /** untemplated arguments (a fresh object; positions via argsPos) */
  args: Record<string, unknown>;
  /** the YAML object holding the arguments (for positions of bad arguments) */
  argsNode?: object;
  loop?: unknown;
  /** with_dict etc.: how to turn the loop value into items */
  loopKind?: 'loop' | 'items' | 'list' | 'dict' | 'indexed_items' | 'sequence' | 'together' | 'nested' | 'flattened' | 'lines' | 'fileglob' | 'subelements';
  loopControl?: Record<string, unknown>;
  register?: string;
  notify: string[];
  listen: string[];
  changedWhen?: unknown;
  failedWhen?: unknown;
  until?: unknown;
  retries?: unknown;
  delay?: unknown;
  /** handlers only: the index in the play's handler list */
  handlerIndex?: number;
}

export interface BlockIR extends Common {
  kind: 'block';
  block: TaskNode[];
  rescue: TaskNode[];
  always: TaskNode[];
  notify: string[];
}

export interface IncludeIR extends Common {
  kind: 'include';
  /** include_tasks (dynamic) or include_role (dynamic); imports are expanded at load time */
  directive: 'include_tasks' | 'include_role';
  /** file (include_tasks) or role name (include_role), untemplated */
  target: unknown;
  /** other arguments (tasks_from, vars...) */
  args: Record<string, unknown>;
  loop?: unknown;
  loopKind?: TaskIR['loopKind'];
  loopControl?: Record<string, unknown>;
  /** directory include paths are resolved against */
  baseDir: string;
}

export interface MetaIR extends Common {
  kind: 'meta';
  action: string;
}

export type TaskNode = TaskIR | BlockIR | IncludeIR | MetaIR;

export interface PlayIR extends Common {
  hosts: unknown;
  file: string;
  dir: string;
  varsFiles: unknown[];
  gatherFacts?: unknown;
  preTasks: TaskNode[];
  tasks: TaskNode[];
  postTasks: TaskNode[];
  handlers: TaskIR[];
  serial?: unknown;
  forceHandlers?: unknown;
  maxFailPercentage?: unknown;
  /** role defaults collected from the play's roles (lowest precedence) */
  roleDefaults: Vars;
  /** role vars (play-vars precedence) */
  roleVars: Vars;
  strategy?: unknown;
}

export interface Playbook {
  file: string;
  plays: PlayIR[];
}
