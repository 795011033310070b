/**
 * A canned host for the cloud-node unit tests: files (regular, symlink, directory) in memory, answering the
 * file-state fact exactly as the real command would report them, plus canned answers for other facts by name.
 * check() runs against it; the plan's write steps carry the exact new content.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ModuleContext, ResultData, CheckResult } from '../../src/contract/define.js';
import type { FactDef } from '../../src/contract/fact.js';
import type { FileFacts, FileInfo, FileQuery, FileStat, FileStep } from '../../lib/files/index.js';
import { validateArgs } from '../../src/contract/validate.js';
import type { AnyModule } from '../../src/contract/define.js';

export type FakeFile =
  | { type: 'file'; content: string; mode?: number; uid?: number; gid?: number; owner?: string; group?: string }
  | { type: 'link'; target: string }
  | { type: 'dir'; mode?: number; uid?: number; gid?: number; owner?: string; group?: string };

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
    size: f.type === 'file' ? Buffer.byteLength(f.content) : 4096,
  };
}

function parent(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export class FakeHost {
  readonly warnings: string[] = [];
  readonly commands: string[] = [];
  constructor(
    public files: Record<string, FakeFile> = {},
    public facts: Record<string, (args: unknown) => unknown> = {},
  ) {}

  /** readlink -m: follow links to the final path */
  resolve(path: string): string {
    let p = path;
    for (let i = 0; i < 20; i++) {
      const f = this.files[p];
      if (f?.type !== 'link') return p;
      p = posix.resolve(parent(p), f.target);
    }
    return p;
  }

  isDir(p: string): boolean {
    return p === '/' || this.files[p]?.type === 'dir' || Object.keys(this.files).some((k) => k.startsWith(p.replace(/\/$/, '') + '/'));
  }

  fileState(q: FileQuery): FileFacts {
    const files: FileInfo[] = q.items.map((it) => {
      const f = this.files[it.path];
      if (!f) return { path: it.path, joined: false, exists: false, ...(this.isDir(parent(it.path)) ? { parentIsDir: true } : {}) };
      const info: FileInfo = { path: it.path, joined: false, exists: true, stat: stat(f) };
      let final: FakeFile | undefined = f;
      if (f.type === 'link') {
        info.linkTarget = f.target;
        info.realPath = this.resolve(it.path);
        final = this.files[info.realPath];
        if (it.follow) info.target = final ? stat(final) : null;
      } else if (f.type === 'dir' && this.isDir(it.path)) {
        final = f;
      }
      if (final?.type === 'file') {
        if (it.checksum) info.checksum = createHash('sha1').update(final.content).digest('hex');
        if (it.content) info.content = Buffer.from(final.content);
      }
      return info;
    });
    return { umask: 0o022, user: { uid: 0, gid: 0, name: 'root', group: 'root' }, files, epochs: [] };
  }

  ctx(opts: { check?: boolean } = {}): ModuleContext {
    const host = this;
    return {
      host: 'fake',
      vars: {},
      checkMode: opts.check ?? false,
      diffMode: true,
      become: true,
      becomeUser: 'root',
      async run(command: string) {
        host.commands.push(command);
        return { rc: 0, stdout: '', stderr: '', stdoutBuf: Buffer.alloc(0) };
      },
      async probe(command: string) {
        host.commands.push(command);
        return { rc: 0, stdout: '', stderr: '', stdoutBuf: Buffer.alloc(0) };
      },
      async runOk(command: string) {
        host.commands.push(command);
        return { rc: 0, stdout: '', stderr: '', stdoutBuf: Buffer.alloc(0) };
      },
      async fact<A, T>(fact: FactDef<A, T>, args: A): Promise<T> {
        if (fact.name === 'files.state') return host.fileState(args as FileQuery) as T;
        const h = host.facts[fact.name];
        if (!h) throw new Error(`fake host: no answer for fact ${fact.name}`);
        return h(args) as T;
      },
      async readControllerFile() {
        throw new Error('not in unit tests');
      },
      async renderTemplate() {
        throw new Error('not in unit tests');
      },
      evaluate: () => undefined,
      condition: () => true,
      secret: () => {},
      warn: (m: string) => host.warnings.push(m),
      log: () => {},
    };
  }
}

/** Validate raw args like the engine, then run check(). */
export async function checkOn(host: FakeHost, mod: AnyModule, raw: Record<string, unknown>, opts: { check?: boolean } = {}): Promise<CheckResult<{ steps?: FileStep[] } & Record<string, unknown>>> {
  const args = validateArgs(mod, raw);
  return mod.check(host.ctx(opts), args);
}

/** The planned writes: dest → new content. */
export function writes(steps: readonly FileStep[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of steps ?? []) if (s.kind === 'write' && s.data) out[s.spec.dest] = s.data.toString('utf8');
  return out;
}

export function runs(steps: readonly FileStep[] | undefined): string[] {
  return (steps ?? []).flatMap((s) => (s.kind === 'run' ? [s.command] : []));
}

export type { ResultData };
