/**
 * A canned host for the gateway-module unit tests: modules run through the engine's own argument validation
 * and executeModule() (secret registration, check → apply), facts are answered by name (files from an
 * in-memory map, the others from the test), and every command apply() runs is recorded with its stdin.
 */
import { createHash } from 'node:crypto';
import type { Connection, RunOptions, RunResult } from '../../src/connection/types.js';
import type { FactDef } from '../../src/contract/fact.js';
import { FactCache } from '../../src/facts/cache.js';
import type { ResultData } from '../../src/contract/define.js';
import type { FileFacts, FileInfo, FileQuery } from '../../lib/files/index.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { validateArgs } from '../../src/contract/validate.js';
import { executeModule } from '../../src/engine/execute.js';
import { netModules } from '../../modules/net/index.js';

export const gwRegistry = new ModuleRegistry(netModules);

export interface FakeFile {
  content: string;
  mode?: number;
  owner?: string;
}

export interface GwHost {
  /** path → file; directories are implied by the paths (plus `dirs`) */
  files?: Record<string, FakeFile>;
  dirs?: string[];
  /** fact name → parsed value (or a function of the fact's args) */
  facts?: Record<string, unknown>;
  /** answers for commands apply() runs (default rc 0, no output) */
  respond?: (script: string) => Partial<RunResult> | undefined;
}

export interface GwRun {
  result: ResultData;
  commands: { script: string; stdin?: string }[];
  warnings: string[];
  facts: string[];
}

function fileFacts(host: GwHost, q: FileQuery): FileFacts {
  const files = host.files ?? {};
  const isDir = (d: string) => d === '/' || (host.dirs ?? []).includes(d) || Object.keys(files).some((p) => p.startsWith(d.replace(/\/$/, '') + '/'));
  const infos: FileInfo[] = q.items.map((it) => {
    const f = files[it.path];
    const parent = it.path.slice(0, it.path.lastIndexOf('/')) || '/';
    if (!f) return { path: it.path, joined: false, exists: false, ...(isDir(parent) ? { parentIsDir: true } : {}) };
    const st = { type: 'file' as const, mode: f.mode ?? 0o644, uid: 0, gid: 0, owner: f.owner ?? 'root', group: 'root', nlink: 1, size: f.content.length, inode: 1, dev: 1, atime: 0, mtime: 0, ctime: 0 };
    return { path: it.path, joined: false, exists: true, stat: st, checksum: createHash('sha1').update(f.content).digest('hex'), content: Buffer.from(f.content) };
  });
  return { umask: 0o022, user: { uid: 0, gid: 0, name: 'root', group: 'root' }, files: infos, epochs: [] };
}

class CannedFacts extends FactCache {
  readonly asked: string[] = [];
  constructor(private readonly host: GwHost) {
    super();
  }
  override async get<A, T>(conn: Connection, fact: FactDef<A, T>, args: A, become: boolean, becomeUser: string): Promise<T> {
    this.asked.push(fact.name);
    if (fact.name === 'files.state') return fileFacts(this.host, args as FileQuery) as T;
    const a = this.host.facts?.[fact.name];
    if (a === undefined) return super.get(conn, fact, args, become, becomeUser);
    return (typeof a === 'function' ? (a as (x: A) => T)(args) : a) as T;
  }
}

export async function runGw(name: string, raw: Record<string, unknown>, host: GwHost = {}, opts: { check?: boolean; vars?: Record<string, unknown> } = {}): Promise<GwRun> {
  const mod = gwRegistry.get(name);
  if (!mod) throw new Error(`unknown module ${name}`);
  const args = validateArgs(mod, raw);
  const commands: GwRun['commands'] = [];
  const warnings: string[] = [];
  const conn: Connection = {
    target: { name: 'h1', host: '10.0.0.1', port: 22, knownHostsFiles: [], globalKnownHostsFiles: [], hostKeyChecking: 'no', connectTimeoutMs: 1000, keepaliveIntervalMs: 0, becomeMethod: 'sudo', connection: 'ssh' },
    async connect() {},
    async close() {},
    async run(script: string, o: RunOptions = {}) {
      commands.push({ script, stdin: o.stdin === undefined ? undefined : Buffer.from(o.stdin).toString('utf8') });
      const r = host.respond?.(script) ?? {};
      const stdout = r.stdout ?? '';
      return { rc: r.rc ?? 0, stdout, stderr: r.stderr ?? '', stdoutBuf: Buffer.from(stdout) };
    },
  };
  const facts = new CannedFacts(host);
  const result = await executeModule(mod, args, {
    host: 'h1',
    vars: opts.vars ?? {},
    checkMode: opts.check ?? false,
    diffMode: true,
    become: true,
    becomeUser: 'root',
    connection: async () => conn,
    facts,
    readControllerFile: async () => {
      throw new Error('not in unit tests');
    },
    renderTemplate: async () => '',
    evaluate: () => undefined,
    condition: () => true,
    warn: (m) => warnings.push(m),
    log: () => {},
  });
  return { result, commands, warnings, facts: facts.asked };
}

/** Arguments → the ArgsError message (or undefined when they are accepted). */
export function argsError(name: string, raw: Record<string, unknown>): { message: string; path: string } | undefined {
  const mod = gwRegistry.get(name)!;
  try {
    validateArgs(mod, raw);
    return undefined;
  } catch (e) {
    const x = e as Error & { path?: string; hint?: string };
    return { message: x.message + (x.hint ? ` (hint: ${x.hint})` : ''), path: x.path ?? '' };
  }
}
