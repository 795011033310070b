/** Typed errors. Known errors print one clear line (with file:line:col when there is a source), no stack. */

export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export type ErrorCode =
  | 'yaml'
  | 'playbook'
  | 'inventory'
  | 'module-args'
  | 'unknown-module'
  | 'template'
  | 'undefined-var'
  | 'expression'
  | 'connection'
  | 'unreachable'
  | 'become'
  | 'module'
  | 'vault'
  | 'options'
  | 'lab'
  /** an error that stops the run while it runs (ansible-playbook exits 1) */
  | 'runtime'
  | 'internal';

export class TsplayError extends Error {
  readonly code: ErrorCode;
  source?: SourcePos;
  /** Extra lines (e.g. a hint) printed after the message. */
  hint?: string;
  /** Further problems found with this one (e.g. a required argument missing after an unknown one), printed after it. */
  also?: TsplayError[];

  constructor(code: ErrorCode, message: string, opts: { source?: SourcePos; cause?: unknown; hint?: string } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.source = opts.source;
    this.hint = opts.hint;
  }

  /** "file:line:col: message" (or just the message) */
  format(): string {
    const where = this.source ? `${this.source.file}:${this.source.line}:${this.source.col}: ` : '';
    const also = (this.also ?? []).map((e) => `\n  also: ${e.format().replace(/\n/g, '\n  ')}`).join('');
    return where + this.message + (this.hint ? `\n  hint: ${this.hint}` : '') + also;
  }
}

/** Bad arguments to a module (schema or cross-argument rules). */
export class ArgsError extends TsplayError {
  /** JSON pointer-ish path of the offending argument, e.g. "/mode" */
  readonly path: string;
  /** the failed task's msg when it differs from the message (ansible-core's AnsibleModule wording) */
  readonly resultMsg?: string;
  constructor(message: string, path = '', opts: { source?: SourcePos; hint?: string; resultMsg?: string } = {}) {
    super('module-args', message, opts);
    this.path = path;
    this.resultMsg = opts.resultMsg;
  }
}

/** A module failed on a host: becomes a failed task result (not a crash). */
export class ModuleError extends TsplayError {
  readonly rc?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  /** more keys of the failed result (Ansible's modules return some beside msg, e.g. include_vars' `message`) */
  readonly result?: Record<string, unknown>;
  constructor(message: string, detail: { rc?: number; stdout?: string; stderr?: string; cause?: unknown; result?: Record<string, unknown> } = {}) {
    super('module', message, { cause: detail.cause });
    this.rc = detail.rc;
    this.stdout = detail.stdout;
    this.stderr = detail.stderr;
    this.result = detail.result;
  }
}

/** The host cannot be reached (or the connection dropped): host becomes unreachable. */
export class UnreachableError extends TsplayError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('unreachable', message, opts);
  }
}

/** Privilege escalation failed (wrong/missing sudo password, not in sudoers). */
export class BecomeError extends TsplayError {
  /** sudo refused to run without a terminal (`Defaults requiretty`): worth one retry on a pty */
  needsTty = false;
  constructor(message: string) {
    super('become', message);
  }
}

export function isTsplayError(e: unknown): e is TsplayError {
  return e instanceof TsplayError;
}
