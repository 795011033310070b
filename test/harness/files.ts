/**
 * File-family helpers: a local connection (the real persistent-shell protocol over /bin/sh on this machine, used
 * only on temp directories), builders of file-state facts (st, info, facts), the planned file steps of a check()
 * (writes, runs), and thin wrappers over modules.ts / fake-host.ts for tests that call check()/apply() directly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { ConnectionTarget, Connection } from '../../src/connection/types.js';
import type { AnyModule, CheckResult, ModuleContext } from '../../src/contract/define.js';
import type { FileFacts, FileInfo, FileQuery, FileStat, FileStep } from '../../lib/files/index.js';
import { FakeHost, fakeTarget, type RunCall } from './fake-host.js';
import { checkModule, moduleContext, type RunModuleOpts } from './modules.js';

export function localTarget(): ConnectionTarget {
  return fakeTarget({ name: 'local', host: 'localhost', connection: 'local', connectTimeoutMs: 10_000 });
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

/** The planned writes of a check(): dest → new content. */
export function writes(steps: readonly FileStep[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of steps ?? []) if (s.kind === 'write' && s.data) out[s.spec.dest] = s.data.toString('utf8');
  return out;
}

/** The planned commands of a check(). */
export function runs(steps: readonly FileStep[] | undefined): string[] {
  return (steps ?? []).flatMap((s) => (s.kind === 'run' ? [s.command] : []));
}

/** check() of a file-writing module on a FakeHost, as root with diffs (warnings land in host.warnings). */
export function checkOn(
  host: FakeHost,
  mod: AnyModule,
  raw: Record<string, unknown>,
  opts: RunModuleOpts = {},
): Promise<CheckResult<{ steps?: FileStep[] } & Record<string, unknown>>> {
  return checkModule(host, mod, raw, { become: true, diff: true, ...opts });
}

export interface FakeCtx extends ModuleContext {
  /** the files.state queries asked */
  queries: unknown[];
  commands: RunCall[];
  warnings: string[];
}

/** A ModuleContext on a FakeHost answering files.state with `answer(query)`; controller files are canned. */
export function fakeCtx(answer: (q: FileQuery) => FileFacts, opts: { diff?: boolean; check?: boolean; vars?: Record<string, unknown> } = {}): FakeCtx {
  const m = moduleContext(new FakeHost({ target: { name: 'fake' }, facts: { 'files.state': answer } }), {
    ...opts,
    readControllerFile: async (src) => ({ path: `/ctl/${src}`, data: Buffer.from(`content of ${src}\n`) }),
    renderTemplate: async (src) => `rendered ${src}\n`,
  });
  return Object.defineProperties(m.ctx, {
    queries: { get: () => m.facts.map((f) => f.args) },
    commands: { get: () => m.commands },
    warnings: { value: m.warnings },
  }) as FakeCtx;
}

/** A ModuleContext over a real connection; facts are read afresh every time (no cache between check and apply). */
export function connCtx(conn: Connection, opts: RunModuleOpts = {}): ModuleContext {
  return moduleContext(conn, { freshFacts: true, ...opts }).ctx;
}
