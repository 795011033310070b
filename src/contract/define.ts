import type { Static, TSchema } from '@sinclair/typebox';
import type { RunOptions, RunResult } from '../connection/types.js';
import type { FactDef } from './fact.js';

/** One file's change, shown as a unified diff in --diff mode. */
export interface FileDiff {
  before: string;
  after: string;
  /** shown on the ---/+++ lines (default: the path) */
  beforeHeader?: string;
  afterHeader?: string;
  /** the diff as the Ansible module returns it when that is not text (file's {before: {path, state...}, after: {...}}): what `register` keeps */
  data?: { before: unknown; after: unknown };
}

/** Ansible's result contract (plus whatever a module returns). */
export interface ResultData {
  changed?: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  rc?: number;
  stdout?: string;
  stderr?: string;
  /** tsplay's file diffs (an Ansible module run for a task leaves Ansible's diff here as it returned it: output/diff.ts reads both) */
  diff?: FileDiff[];
  /** variables a module sets on the host (set_fact, stat...) */
  ansible_facts?: Record<string, unknown>;
  [key: string]: unknown;
}

export type CheckOk = { changed: false; result?: ResultData };
export type CheckChange<P> = {
  changed: true;
  /** one line saying what apply() will do, e.g. "write /etc/hostname" */
  summary: string;
  plan: P;
  diff?: FileDiff[];
  result?: ResultData;
};
export type CheckResult<P> = CheckOk | CheckChange<P>;

export function ok(result?: ResultData): CheckOk {
  return { changed: false, result };
}
export function change<P>(summary: string, plan: P, extra: { diff?: FileDiff[]; result?: ResultData } = {}): CheckChange<P> {
  return { changed: true, summary, plan, diff: extra.diff, result: extra.result };
}

/**
 * What check() sees of the engine: facts, and explicit read-only probes. It has no run(): whatever changes
 * the host is a plan step that apply() performs (or, for the rare change that must precede reading the
 * state and is never reported, prepare()).
 */
export interface CheckContext {
  /** inventory hostname */
  readonly host: string;
  /** the task's variables (already merged by precedence) */
  readonly vars: Readonly<Record<string, unknown>>;
  readonly checkMode: boolean;
  readonly diffMode: boolean;
  /** the task's become setting (run() uses it unless opts.become is given) */
  readonly become: boolean;
  readonly becomeUser: string;
  /** the task's no_log (an Ansible module run for the task is told, so it logs nothing of its arguments) */
  readonly noLog?: boolean;
  /** the run's verbosity (-v count) */
  readonly verbosity?: number;
  /**
   * A read-only command: it reads the host and changes nothing (runs in check mode too). For a question
   * asked once, where a fact (cached, shared by tasks) would be overkill.
   */
  probe(command: string, opts?: RunOptions): Promise<RunResult>;
  /** Read a fact (cached per host; invalidated when a task changes the host). */
  fact<A, T>(fact: FactDef<A, T>, args: A): Promise<T>;
  /** Read a file on the controller: `src` is searched like Ansible (role files/, playbook dir files/, playbook dir). */
  readControllerFile(src: string, kind: 'files' | 'templates'): Promise<{ path: string; data: Buffer }>;
  /**
   * A path on the controller as Ansible's path_dwim gives it (fetch's dest): absolute as is, else relative to
   * the playbook's directory. readControllerPath reads it (null when it does not exist).
   */
  controllerPath(path: string): string;
  readControllerPath(path: string): Promise<Buffer | null>;
  /** Render a template file (EJS, or Jinja for .j2) with the task's variables. */
  renderTemplate(src: string, extraVars?: Record<string, unknown>): Promise<string>;
  /** Evaluate a bare Jinja expression over the task's variables (debug var=, assert that=). */
  evaluate(expr: string): unknown;
  /** Evaluate a condition like `when:` (string, boolean or list of them, all must hold). */
  condition(cond: unknown): boolean;
  /** Mark a value secret: it is masked in every output from now on. */
  secret(value: string): void;
  warn(message: string): void;
  /** verbose (-v) output */
  log(message: string): void;
}

/** What apply() and prepare() see: the check context plus commands that change the host. */
export interface ModuleContext extends CheckContext {
  /** Run a shell command on the host (through the persistent shell). */
  run(command: string, opts?: RunOptions): Promise<RunResult>;
  /** Like run(), but a non-zero rc throws a ModuleError carrying rc/stdout/stderr. */
  runOk(command: string, opts?: RunOptions): Promise<RunResult>;
  /** Write a file on the controller (controllerPath's rules; its directories are created): fetch's dest. */
  writeControllerPath(path: string, data: Buffer): Promise<void>;
}

/**
 * Declarative cross-argument rules, with Ansible's names and meaning (module_utils/common/validation.py):
 * an argument "is given" when the task sets it; for all but mutuallyExclusive, a schema default counts too.
 */
export interface ArgRules<K extends string = string> {
  /** at most one argument of each group */
  mutuallyExclusive?: readonly (readonly K[])[];
  /** at least one argument of each group */
  requiredOneOf?: readonly (readonly K[])[];
  /** all arguments of each group, or none */
  requiredTogether?: readonly (readonly K[])[];
  /** when `arg` equals `is`: every argument of `then` (or, with `anyOf`, at least one) */
  requiredIf?: readonly { arg: K; is: unknown; then: readonly K[]; anyOf?: boolean }[];
  /** when the key is given: every argument of its list */
  requiredBy?: Readonly<Partial<Record<K, readonly K[]>>>;
}

export interface ModuleDef<S extends TSchema = TSchema, P = unknown> {
  /** snake_case, as in Ansible */
  name: string;
  /** other names: fully qualified (ansible.builtin.copy) and legacy ones */
  aliases?: string[];
  /** one line for `tsplay doc` */
  description: string;
  /** where the module comes from when it is not tsplay's own ("Ansible module community.general.timezone"): shown on the task line */
  origin?: string;
  /** tasks showing typical use (YAML, a list of tasks), for `tsplay doc` */
  examples?: string;
  /** what the result holds beyond Ansible's common keys (changed, msg, rc...): key → meaning, for `tsplay doc` */
  returns?: Readonly<Record<string, string>>;
  /** TypeBox schema: Ajv validation (defaults applied, unknown arguments rejected), static type and docs */
  args: S;
  /** argument aliases, e.g. { dest: 'path', name: 'path' } */
  argAliases?: Record<string, string>;
  /** `module: some text` / leftovers of `k=v` strings go to this argument (command/shell's cmd) */
  freeForm?: string;
  /**
   * Arguments ansible-core's module takes that tsplay accepts without acting on them (name → what happens
   * instead): a playbook using them still runs, with a warning, instead of stopping at load time.
   */
  acceptedArgs?: Readonly<Record<string, string>>;
  /** arguments whose values are secret (masked everywhere) */
  secretArgs?: string[];
  /**
   * 'host' (default): needs the host's connection.
   * 'controller': runs entirely on the controller (debug, set_fact, assert, fail).
   */
  runsOn?: 'host' | 'controller';
  /**
   * Arguments the engine does not template when they are lists (Ansible's untemplated_args: assert's `that`):
   * the module evaluates each item itself, as a conditional. A string is templated as usual (an indirection).
   */
  untemplatedArgs?: readonly string[];
  /** `async:` on the task fails it with ansible-core's "async is not supported for this task." (its action plugins: script). */
  refusesAsync?: boolean;
  /**
   * The task waits for something outside tsplay to happen (a port, a file, time: wait_for, pause): reads of
   * any host made before it are not served after it (the fact cache and read-ahead, src/facts/).
   */
  waits?: boolean;
  /** In check mode a planned change is reported as skipped (the outcome can't be predicted: command, shell). */
  checkModeSkips?: boolean;
  /** Cross-argument rules in Ansible's argument_spec terms: enforced after the schema, shown by `tsplay doc`. */
  rules?: ArgRules<Extract<keyof Static<S>, string>>;
  /** What rules cannot say (value formats, rules on values of several arguments); throw ArgsError. */
  validate?(args: Static<S>): void;
  /**
   * A change that must come before the state is read and is never reported as one (systemd's
   * daemon_reload, as in Ansible). Never called in check mode; facts are re-read after it.
   */
  prepare?(ctx: ModuleContext, args: Static<S>): Promise<void>;
  /** Read-only: facts in, plan out. Runs in check mode too. */
  check(ctx: CheckContext, args: Static<S>): Promise<CheckResult<P>>;
  /** Perform the planned change. Never called in check mode. Returns extra result fields. */
  apply?(ctx: ModuleContext, args: Static<S>, plan: P): Promise<ResultData | void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = ModuleDef<any, any>;

export function defineModule<S extends TSchema, P = unknown>(def: ModuleDef<S, P>): ModuleDef<S, P> {
  return def;
}
