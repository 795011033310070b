/**
 * Task keywords, resolved once per host (and once per loop item) against that host's full variables — inventory,
 * facts, play/block/task vars, set_fact and registered results, extra vars, the loop item — into one typed settings
 * object: ansible-core's `post_validate`. The engine reads task keywords only from here.
 *
 * Also the conditions around a task: `when` (evaluated before the keywords, so a skipped task never fails on a
 * keyword) and `changed_when` / `failed_when` (expressions over the result, evaluated after it).
 *
 * A keyword that cannot be resolved (an undefined variable, a value of the wrong type) fails the task on that host
 * (for a loop item: the whole task, as ansible-core). The other keywords are still resolved, and the ones that
 * protect the run take their cautious value: `no_log` hides the result, `any_errors_fatal` holds,
 * `ignore_errors` / `ignore_unreachable` do not hide the failure.
 *
 * Where ansible-core 2.14 differs, on purpose (runner-keywords.test.ts shows each): its strategy reads
 * `any_errors_fatal` and `ignore_errors` unrendered, and any template string is true there — a templated
 * `any_errors_fatal` that is false still ends the play, any templated `ignore_errors` disables the play's
 * `any_errors_fatal`, an undefined `ignore_errors` ignores its own error; an undefined `run_once` aborts the whole
 * run ("ERROR!", exit 1, no recap). tsplay uses the rendered values and fails only the host.
 */
import type { TaskIR, Vars } from '../config/playbook-types.js';
import { posOfKey } from '../config/yaml.js';
import { TsplayError, type SourcePos } from '../errors.js';
import type { ResultData } from '../contract/define.js';
import { evalCondition, OMIT, pyStr, renderValue } from './templating/index.js';
import type { Cond, Inherited } from './context.js';
import { FALSE_WORDS, TRUE_WORDS } from '../../lib/args/booleans.js';

/** Every task keyword, resolved for one host (and loop item). */
export interface TaskSettings {
  noLog: boolean;
  runOnce: boolean;
  ignoreErrors: boolean;
  ignoreUnreachable: boolean;
  anyErrorsFatal: boolean;
  checkMode: boolean;
  diff: boolean;
  become: boolean;
  becomeUser: string;
  /** task `environment:` (block and play environments merged, innermost wins) */
  environment: Record<string, string>;
  /** `timeout:` in seconds (undefined or 0: none) */
  timeoutSec?: number;
  /** the host to run on instead, when it is not the task's own host */
  delegateTo?: string;
  delegateFacts: boolean;
  /** until: number of attempts (1 without until) */
  attempts: number;
  /** until: seconds between attempts */
  delaySec: number;
  /** remote_user / connection / port keywords, rendered (the host's ansible_* variables win over them) */
  remoteUser?: string;
  connection?: string;
  port?: number;
}

export interface KeywordResolution {
  settings: TaskSettings;
  /** the first keyword that could not be resolved: the task fails on this host with it */
  error?: TsplayError;
  /** delegate_to as written, when it could not be rendered (Ansible labels the result `host -> {{ x }}`) */
  delegateLabel?: string;
  /** environment entries that are not mappings (Ansible warns and skips them) */
  warnings: string[];
}

export interface ResolveOptions {
  /** --check / --diff: the defaults of check_mode / diff */
  check: boolean;
  diff: boolean;
}

/** The keys of a task that this module resolves (with their position in the task for errors). */
type KeywordSource = Pick<TaskIR, 'raw' | 'source' | 'until' | 'retries' | 'delay'>;

class ConversionError extends Error {}

/** Ansible's boolean(value, strict=True): a bool keyword accepts these and nothing else. */
export function strictBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (s !== undefined && TRUE_WORDS.has(s)) return true;
  if (s !== undefined && FALSE_WORDS.has(s)) return false;
  throw new ConversionError(`'${pyStr(v)}' is not a boolean (yes/no, true/false, on/off, 1/0, y/n, t/f)`);
}

/** Python's int() of a keyword value (timeout, retries, delay, port). */
function strictInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return parseInt(v, 10);
  throw new ConversionError(`'${pyStr(v)}' is not an integer`);
}

const text = (v: unknown): string => pyStr(v);

/** Resolves keywords one by one; remembers the first failure. */
class Resolver {
  error?: TsplayError;
  constructor(
    private readonly task: Pick<KeywordSource, 'raw' | 'source'>,
    private readonly vars: Vars,
  ) {}

  pos(key: string): SourcePos {
    return posOfKey(this.task.raw, key) ?? this.task.source;
  }

  fail(key: string, message: string): void {
    this.error ??= new TsplayError('playbook', message, { source: this.pos(key) });
  }

  /** Render a raw keyword value; undefined when unset, omitted or unresolvable (then `failed` is set). */
  render(key: string, raw: unknown): { value?: unknown; failed?: boolean } {
    if (raw === undefined || raw === null) return {};
    try {
      const v = renderValue(raw, this.vars, { source: this.pos(key), what: key });
      return v === OMIT || v === null ? {} : { value: v };
    } catch (e) {
      if (!(e instanceof TsplayError)) throw e;
      this.fail(key, e.code === 'undefined-var' ? `keyword '${key}' uses an undefined variable: ${e.message}` : e.message);
      return { failed: true };
    }
  }

  /** A typed keyword: default when unset, `onError` when it cannot be resolved. */
  typed<T>(key: string, raw: unknown, convert: (v: unknown) => T, dflt: T, onError: T = dflt): T {
    const r = this.render(key, raw);
    if (r.failed) return onError;
    if (r.value === undefined) return dflt;
    try {
      return convert(r.value);
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      const written = typeof raw === 'string' ? raw : pyStr(raw);
      this.fail(key, `keyword '${key}' has an invalid value (${written}): ${e.message}`);
      return onError;
    }
  }

  bool(key: string, raw: unknown, dflt: boolean, onError = dflt): boolean {
    return this.typed(key, raw, strictBool, dflt, onError);
  }
}

/** `environment:` entries (outermost first): mappings whose values are rendered one by one (Ansible's rules). */
function resolveEnvironment(r: Resolver, entries: unknown[], warnings: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const add = (m: Record<string, unknown>) => {
    for (const [k, raw] of Object.entries(m)) {
      const v = r.render('environment', raw);
      if (v.value !== undefined) env[k] = text(v.value);
    }
  };
  for (const entry of entries) {
    for (const item of Array.isArray(entry) ? entry : [entry]) {
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        add(item as Record<string, unknown>);
        continue;
      }
      // a template that renders to a mapping (`environment: "{{ proxy_env }}"`)
      const v = r.render('environment', item);
      if (v.value && typeof v.value === 'object' && !Array.isArray(v.value)) {
        for (const [k, x] of Object.entries(v.value as Record<string, unknown>)) if (x !== undefined && x !== null) env[k] = text(x);
      } else if (!v.failed) warnings.push(`could not parse environment value, skipping: ${pyStr(item)}`);
    }
  }
  return env;
}

type ConnectionSettings = Pick<TaskSettings, 'remoteUser' | 'connection' | 'port'>;

function connectionKeywords(r: Resolver, inh: Pick<Inherited, 'remoteUser' | 'connection' | 'port'>): ConnectionSettings {
  return {
    connection: r.typed('connection', inh.connection, text, undefined as string | undefined),
    port: r.typed('port', inh.port, strictInt, undefined as number | undefined),
    remoteUser: r.typed('remote_user', inh.remoteUser, text, undefined as string | undefined),
  };
}

/** Only the connection keywords (gathering facts, before any task): an error is thrown. */
export function resolveConnectionKeywords(
  node: Pick<TaskIR, 'raw' | 'source'>,
  inh: Pick<Inherited, 'remoteUser' | 'connection' | 'port'>,
  vars: Vars,
): ConnectionSettings {
  const r = new Resolver(node, vars);
  const s = connectionKeywords(r, inh);
  if (r.error) throw r.error;
  return s;
}

/**
 * Resolve the task's keywords for one host. `inh` is the task's inherited keywords (play → blocks → includes →
 * the task itself, innermost set value wins); `vars` the host's variables for this task (and loop item).
 */
export function resolveKeywords(task: KeywordSource, inh: Inherited, vars: Vars, opts: ResolveOptions): KeywordResolution {
  const r = new Resolver(task, vars);
  const warnings: string[] = [];
  // the order of ansible-core's post_validate, so the first error named is the one Ansible names
  const { connection, port, remoteUser } = connectionKeywords(r, inh);
  const environment = resolveEnvironment(r, inh.environment, warnings);
  const noLog = r.bool('no_log', inh.noLog, false, true);
  const runOnce = r.bool('run_once', inh.runOnce, false);
  const ignoreErrors = r.bool('ignore_errors', inh.ignoreErrors, false);
  const ignoreUnreachable = r.bool('ignore_unreachable', inh.ignoreUnreachable, false);
  const checkMode = r.bool('check_mode', inh.checkMode, opts.check);
  const diff = r.bool('diff', inh.diff, opts.diff);
  const anyErrorsFatal = r.bool('any_errors_fatal', inh.anyErrorsFatal, false, true);
  const timeoutSec = r.typed('timeout', task.raw['timeout'], strictInt, 0);
  if (timeoutSec < 0) r.fail('timeout', `timeout must be a positive number of seconds, got ${timeoutSec}`);
  // ansible_become / ansible_become_user apply where no keyword says otherwise
  const become = r.bool('become', inh.become ?? vars['ansible_become'], false);
  const becomeUser = r.typed('become_user', inh.becomeUser ?? vars['ansible_become_user'], text, 'root');
  // until/retries as ansible-core: retries unset → 3 attempts, retries: n → n + 1 attempts
  let attempts = 1;
  let delaySec = 5;
  if (task.until !== undefined) {
    const retries = r.typed('retries', task.retries, strictInt, undefined as number | undefined);
    attempts = retries === undefined ? 3 : retries <= 0 ? 1 : retries + 1;
    delaySec = Math.max(0, r.typed('delay', task.delay, strictInt, 5));
  }
  const delegate = r.render('delegate_to', inh.delegateTo);
  const delegateTo = delegate.value !== undefined && text(delegate.value) !== '' ? text(delegate.value) : undefined;
  const delegateFacts = r.bool('delegate_facts', inh.delegateFacts, false);
  const settings: TaskSettings = {
    noLog,
    runOnce,
    ignoreErrors,
    ignoreUnreachable,
    anyErrorsFatal,
    checkMode,
    diff,
    become,
    becomeUser,
    environment,
    timeoutSec: timeoutSec > 0 ? timeoutSec : undefined,
    delegateTo,
    delegateFacts,
    attempts,
    delaySec,
    remoteUser,
    connection,
    port,
  };
  const res: KeywordResolution = { settings, error: r.error, warnings };
  if (delegate.failed) res.delegateLabel = typeof inh.delegateTo === 'string' ? inh.delegateTo : pyStr(inh.delegateTo);
  return res;
}

/**
 * The remote_user / connection / port keywords, as ansible_user / ansible_connection / ansible_port when the host's
 * variables don't set those (in Ansible the variables win over the keywords).
 */
export function withConnectionSettings(conn: Vars, s: ConnectionSettings): Vars {
  let out = conn;
  const set = (value: unknown, name: string, alt: string) => {
    if (value === undefined || out[name] !== undefined || out[alt] !== undefined) return;
    out = { ...out, [name]: value };
  };
  set(s.remoteUser, 'ansible_user', 'ansible_ssh_user');
  set(s.connection, 'ansible_connection', 'ansible_connection');
  set(s.port, 'ansible_port', 'ansible_ssh_port');
  return out;
}

// ---- conditions ----

const keyPos = (task: Pick<TaskIR, 'raw' | 'source'>, key: string): SourcePos => posOfKey(task.raw, key) ?? task.source;

/** The task's conditions: inherited (blocks, includes, roles) then its own `when`. */
export function taskConds(task: Pick<TaskIR, 'raw' | 'source' | 'when'>, inh: Pick<Inherited, 'when'>): Cond[] {
  return [...inh.when, ...(task.when !== undefined ? [{ cond: task.when, source: keyPos(task, 'when') }] : [])];
}

/** One conditional (a string, bool, or a list that must all hold); an undefined variable names the conditional. */
export function evalConditional(cond: unknown, vars: Vars, source: SourcePos | undefined, what: string): boolean {
  if (Array.isArray(cond)) return cond.every((c) => evalConditional(c, vars, source, what));
  try {
    return evalCondition(cond, vars, { source, what });
  } catch (e) {
    if (e instanceof TsplayError && e.code === 'undefined-var')
      e.message = `the conditional check '${typeof cond === 'string' ? cond : pyStr(cond)}' failed: ${e.message}`;
    throw e;
  }
}

/** Do all conditions hold? */
export function condsHold(conds: Cond[], vars: Vars): boolean {
  return conds.every((c) => evalConditional(c.cond, vars, c.source, 'when'));
}

/**
 * changed_when / failed_when, evaluated with the result visible under the register name. As ansible-core: an error
 * fails the task and is reported in `<which>_when_result`; the module's own message stays.
 */
export function evalResultConditions(task: Pick<TaskIR, 'raw' | 'source' | 'changedWhen' | 'failedWhen'>, result: ResultData, vars: Vars): void {
  const set = (c: unknown) => c !== undefined && c !== null && c !== '';
  let which = 'changed';
  try {
    if (set(task.changedWhen)) result.changed = evalConditional(task.changedWhen, vars, keyPos(task, 'changed_when'), 'changed_when');
    which = 'failed';
    if (set(task.failedWhen)) {
      const failed = evalConditional(task.failedWhen, vars, keyPos(task, 'failed_when'), 'failed_when');
      result.failed = failed;
      result.failed_when_result = failed;
    }
  } catch (e) {
    if (!(e instanceof TsplayError)) throw e;
    result.failed = true;
    result[`${which}_when_result`] = e.format();
  }
}
