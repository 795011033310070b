/**
 * The one fake host of the unit tests: a real `Connection` (typed against src/connection/types.ts), so the
 * engine drives it exactly as it drives ssh. Every command run is recorded with its options; answers come from
 *   - `respond(script, opts)`: canned output for shell scripts (default rc 0, no output),
 *   - `cli(argv, name)`: canned az/aws answers — lib/cloud/cli.ts runs each call as a script whose first line
 *     is `command -v az …` and whose last line is the quoted argv; the argv is read back with the shell parser,
 *   - `facts` (by fact name) and an optional in-memory file model (`files`, `dirs`) that answers the
 *     files.state fact as the real command would; the engine's fact cache is replaced by FakeFactCache, which
 *     asks answerFact() first (runModule and runPlaybook both use it).
 * Facts without a canned answer run their real command over this connection (i.e. through `respond`).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Connection, ConnectionTarget, RunOptions, RunResult } from '../../src/connection/types.js';
import type { FactDef } from '../../src/contract/fact.js';
import { FactCache } from '../../src/facts/cache.js';
import type { FileFacts, FileInfo, FileQuery, FileStat } from '../../lib/files/index.js';
import { shSplit } from '../../lib/shell/shlex.js';

/** A ConnectionTarget with every required field filled (an ssh host 10.0.0.1 named h1, no host key checking). */
export function fakeTarget(over: Partial<ConnectionTarget> = {}): ConnectionTarget {
  return {
    name: 'h1',
    host: '10.0.0.1',
    port: 22,
    knownHostsFiles: [],
    globalKnownHostsFiles: [],
    hostKeyChecking: 'no',
    connectTimeoutMs: 1000,
    keepaliveIntervalMs: 0,
    becomeMethod: 'sudo',
    connection: 'ssh',
    ...over,
  };
}

/** canned output for one script (missing fields: rc 0, empty output) */
export type Responder = (script: string, opts: RunOptions) => Partial<RunResult> | undefined | Promise<Partial<RunResult> | undefined>;

export function res(stdout = '', rc = 0, stderr = ''): Partial<RunResult> {
  return { stdout, rc, stderr };
}

/** A cloud CLI's answer: stdout is JSON-encoded unless it is a string. */
export interface CliAnswer {
  stdout?: unknown;
  rc?: number;
  stderr?: string;
}
/** argv without the program name; `cli` is 'az' or 'aws' */
export type CliResponder = (argv: string[], cli: string) => CliAnswer;

export function json(v: unknown): CliAnswer {
  return { stdout: v };
}

/** One command the host received. */
export interface RunCall {
  script: string;
  opts: RunOptions;
  /** opts.stdin as text */
  stdin?: string;
  /** a cloud CLI call: its program and argv (without the program) */
  cli?: { name: string; argv: string[] };
}

/**
 * What lib/cloud/cli.ts sends: `command -v CLI … || {…}` alone (the presence check: 'presence'), or followed by the
 * call's quoted argv on the last line (→ the words). Anything else: undefined.
 */
export function parseCliScript(script: string): 'presence' | string[] | undefined {
  const lines = script.split('\n');
  if (!/^command -v (az|aws) >\/dev\/null/.test(lines[0]!)) return undefined;
  if (lines.length === 1) return 'presence';
  return shSplit(lines[lines.length - 1]!);
}

export type FakeFile =
  | { type?: 'file'; content: string; mode?: number; uid?: number; gid?: number; owner?: string; group?: string }
  | { type: 'link'; target: string }
  | { type: 'dir'; mode?: number; uid?: number; gid?: number; owner?: string; group?: string };

/** a canned fact: the parsed value, or a function of the fact's args */
export type FactAnswer = unknown;

export interface FakeHostOptions {
  /** the target (default fakeTarget()); `name` alone renames it */
  target?: Partial<ConnectionTarget>;
  respond?: Responder;
  cli?: CliResponder;
  /** path → file: with it (or `dirs`) the files.state fact is answered from this model */
  files?: Record<string, FakeFile>;
  /** directories besides those the file paths imply */
  dirs?: string[];
  /** fact name → value, or (args) => value */
  facts?: Record<string, FactAnswer>;
}

function stat(f: FakeFile): FileStat {
  const base = { nlink: 1, inode: 1, dev: 1, atime: 0, mtime: 0, ctime: 0 };
  if (f.type === 'link') return { ...base, type: 'link', mode: 0o777, uid: 0, gid: 0, owner: 'root', group: 'root', size: f.target.length };
  return {
    ...base,
    type: f.type === 'dir' ? 'directory' : 'file',
    mode: f.mode ?? (f.type === 'dir' ? 0o755 : 0o644),
    uid: f.uid ?? 0,
    gid: f.gid ?? 0,
    owner: f.owner ?? 'root',
    group: f.group ?? 'root',
    size: f.type === 'dir' ? 4096 : Buffer.byteLength(f.content),
  };
}

function parent(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export class FakeHost implements Connection {
  readonly target: ConnectionTarget;
  /** every command run on this host, in order */
  readonly runs: RunCall[] = [];
  /** warnings of the modules run or checked on this host through the harness */
  readonly warnings: string[] = [];
  respond: Responder | undefined;
  cli: CliResponder | undefined;
  files: Record<string, FakeFile> | undefined;
  dirs: string[];
  facts: Record<string, FactAnswer>;
  connected = false;

  constructor(o: FakeHostOptions = {}) {
    this.target = fakeTarget(o.target);
    this.respond = o.respond;
    this.cli = o.cli;
    this.files = o.files ?? (o.dirs ? {} : undefined);
    this.dirs = o.dirs ?? [];
    this.facts = o.facts ?? {};
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async close(): Promise<void> {
    this.connected = false;
  }

  async run(script: string, opts: RunOptions = {}): Promise<RunResult> {
    const call: RunCall = { script, opts, ...(opts.stdin === undefined ? {} : { stdin: Buffer.from(opts.stdin).toString('utf8') }) };
    this.runs.push(call);
    const words = this.cli ? parseCliScript(script) : undefined;
    if (words === 'presence') return done({});
    if (words) {
      call.cli = { name: words[0]!, argv: words.slice(1) };
      const a = this.cli!(call.cli.argv, call.cli.name);
      const stdout = a.stdout === undefined ? '' : typeof a.stdout === 'string' ? a.stdout : JSON.stringify(a.stdout, null, 2);
      return done({ rc: a.rc, stdout, stderr: a.stderr });
    }
    return done((await this.respond?.(script, opts)) ?? {});
  }

  /** the scripts run, in order */
  get scripts(): string[] {
    return this.runs.map((c) => c.script);
  }

  /** the commands whose script contains `s` (or matches it) */
  ran(s: string | RegExp): RunCall[] {
    return this.runs.filter((c) => (typeof s === 'string' ? c.script.includes(s) : s.test(c.script)));
  }

  /** A canned answer for a fact (undefined: none, run the real fact command). */
  answerFact(name: string, args: unknown): { value: unknown } | undefined {
    if (name in this.facts) {
      const a = this.facts[name];
      return { value: typeof a === 'function' ? (a as (x: unknown) => unknown)(args) : a };
    }
    if (name === 'files.state' && this.files) return { value: this.fileState(args as FileQuery) };
    return undefined;
  }

  /** readlink -m: follow links to the final path */
  resolve(path: string): string {
    let p = path;
    for (let i = 0; i < 20; i++) {
      const f = this.files?.[p];
      if (f?.type !== 'link') return p;
      p = posix.resolve(parent(p), f.target);
    }
    return p;
  }

  isDir(p: string): boolean {
    const d = p.replace(/\/$/, '') || '/';
    return d === '/' || this.dirs.includes(d) || this.files?.[d]?.type === 'dir' || Object.keys(this.files ?? {}).some((k) => k.startsWith(d + '/'));
  }

  /** The files.state fact of the model, as the real command reports it. */
  fileState(q: FileQuery): FileFacts {
    const files: FileInfo[] = q.items.map((it) => {
      const f = this.files?.[it.path];
      if (!f) return { path: it.path, joined: false, exists: false, ...(this.isDir(parent(it.path)) ? { parentIsDir: true } : {}) };
      const info: FileInfo = { path: it.path, joined: false, exists: true, stat: stat(f) };
      let final: FakeFile | undefined = f;
      if (f.type === 'link') {
        info.linkTarget = f.target;
        info.realPath = this.resolve(it.path);
        final = this.files?.[info.realPath];
        if (it.follow) info.target = final ? stat(final) : null;
      }
      if (final && final.type !== 'link' && final.type !== 'dir') {
        if (it.checksum) info.checksum = createHash('sha1').update(final.content).digest('hex');
        if (it.content) info.content = Buffer.from(final.content);
      }
      return info;
    });
    return { umask: 0o022, user: { uid: 0, gid: 0, name: 'root', group: 'root' }, files, epochs: [] };
  }
}

/** The engine's fact cache, answering from a FakeHost's canned facts and file model first. */
export class FakeFactCache extends FactCache {
  constructor(
    /** called for every fact asked */
    private readonly onAsk?: (name: string, args: unknown) => void,
    /** read every fact afresh (no cache) */
    private readonly fresh = false,
  ) {
    super();
  }
  override async get<A, T>(conn: Connection, fact: FactDef<A, T>, args: A, become: boolean, becomeUser: string): Promise<T> {
    this.onAsk?.(fact.name, args);
    if (this.fresh) this.invalidate();
    const canned = conn instanceof FakeHost ? conn.answerFact(fact.name, args) : undefined;
    if (canned) return canned.value as T;
    return super.get(conn, fact, args, become, becomeUser);
  }
}

function done(r: Partial<RunResult>): RunResult {
  const stdout = r.stdout ?? '';
  return { rc: r.rc ?? 0, stdout, stderr: r.stderr ?? '', stdoutBuf: r.stdoutBuf ?? Buffer.from(stdout) };
}
