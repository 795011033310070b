/**
 * Helpers for the file-module unit tests: a local connection (the real persistent-shell protocol over
 * /bin/sh on this machine, used only on temp directories), and a fake ModuleContext fed with canned facts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { ConnectionTarget, RunOptions, RunResult } from '../../src/connection/types.js';
import type { ModuleContext } from '../../src/contract/define.js';
import type { FactDef } from '../../src/contract/fact.js';
import type { FileFacts, FileInfo, FileStat } from '../../lib/files/index.js';

export function localTarget(): ConnectionTarget {
  return {
    name: 'local',
    host: 'localhost',
    port: 22,
    knownHostsFiles: [],
    globalKnownHostsFiles: [],
    hostKeyChecking: 'no',
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 0,
    becomeMethod: 'sudo',
    connection: 'local',
  } as ConnectionTarget;
}

export function localConnection(): LocalConnection {
  return new LocalConnection(localTarget());
}

export function tempDir(prefix = 'tsplay-files-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A FileStat with defaults (a root-owned 0644 regular file). */
export function st(over: Partial<FileStat> = {}): FileStat {
  return {
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    owner: 'root',
    group: 'root',
    nlink: 1,
    size: 0,
    inode: 100,
    dev: 1,
    atime: 1_700_000_000.5,
    mtime: 1_700_000_000.25,
    ctime: 1_700_000_000,
    ...over,
  };
}

export function info(path: string, over: Partial<FileInfo> = {}): FileInfo {
  return { path, joined: false, exists: over.stat !== undefined, ...over };
}

export function facts(files: FileInfo[], over: Partial<FileFacts> = {}): FileFacts {
  return { umask: 0o022, user: { uid: 0, gid: 0, name: 'root', group: 'root' }, files, epochs: [], ...over };
}

export interface FakeCtx extends ModuleContext {
  queries: unknown[];
  commands: { command: string; stdin?: string | Buffer }[];
  warnings: string[];
}

/** A ModuleContext answering every fact with `answer(query)`; run() is recorded and succeeds. */
export function fakeCtx(answer: (q: never) => FileFacts, opts: { diff?: boolean; check?: boolean; vars?: Record<string, unknown> } = {}): FakeCtx {
  const ctx: FakeCtx = {
    host: 'fake',
    vars: opts.vars ?? {},
    checkMode: opts.check ?? false,
    diffMode: opts.diff ?? false,
    become: false,
    becomeUser: 'root',
    queries: [],
    commands: [],
    warnings: [],
    async run(command: string, o?: RunOptions): Promise<RunResult> {
      ctx.commands.push({ command, stdin: o?.stdin });
      return { rc: 0, stdout: '', stderr: '', stdoutBuf: Buffer.alloc(0) };
    },
    async probe(command: string, o?: RunOptions): Promise<RunResult> {
      return ctx.run(command, o);
    },
    async runOk(command: string, o?: RunOptions) {
      return ctx.run(command, o);
    },
    async fact<A, T>(_f: FactDef<A, T>, args: A): Promise<T> {
      ctx.queries.push(args);
      return answer(args as never) as T;
    },
    async readControllerFile(src: string) {
      return { path: `/ctl/${src}`, data: Buffer.from(`content of ${src}\n`) };
    },
    async renderTemplate(src: string) {
      return `rendered ${src}\n`;
    },
    evaluate: () => undefined,
    condition: () => true,
    secret: () => {},
    warn: (m: string) => void ctx.warnings.push(m),
    log: () => {},
  };
  return ctx;
}

/** A ModuleContext over a real connection (run only; facts uncached). */
export function connCtx(conn: { run(c: string, o?: RunOptions): Promise<RunResult> }, opts: { diff?: boolean } = {}): FakeCtx {
  const ctx = fakeCtx(() => {
    throw new Error('no facts here');
  }, opts);
  ctx.run = (command: string, o?: RunOptions) => {
    ctx.commands.push({ command, stdin: o?.stdin });
    return conn.run(command, o);
  };
  ctx.fact = async <A, T>(f: FactDef<A, T>, args: A): Promise<T> => f.parse(await conn.run(f.command(args)), args);
  return ctx;
}
