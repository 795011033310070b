/**
 * The controller's ansible-core, reached through tsplay's Python helper (lib/ansible/tsplay_ansible.py): module
 * resolution at load time (one short run per module name, cached), payload building at run time (one helper
 * process per run, answering JSON lines, so ansible is imported once and each task costs one round trip).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../../lab/paths.js';

export const helperScript = (): string => join(packageRoot(), 'lib', 'ansible', 'tsplay_ansible.py');

export interface Resolved {
  found: boolean;
  fqcn?: string;
  path?: string;
  /** the action plugin ansible-playbook would run (tsplay does not run controller-side Python) */
  action?: string | null;
  python?: boolean;
}

export interface ResolveAnswer {
  ok: boolean;
  error?: string;
  version?: string;
  modules?: Record<string, Resolved>;
  searched?: { library: string[]; collections: string[] };
}

let pythonCache: string | null | undefined;

/** Pythons that may have ansible-core: $TSPLAY_ANSIBLE_PYTHON alone when set, else ansible's own (its shebang), then python3. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env['TSPLAY_ANSIBLE_PYTHON']) return [env['TSPLAY_ANSIBLE_PYTHON']];
  const out: string[] = [];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    const p = join(dir, 'ansible');
    if (!dir || !existsSync(p)) continue;
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(readFileSync(p, 'utf8').slice(0, 200));
    if (m) out.push(m[1]!.endsWith('/env') && m[2] ? m[2] : m[1]!);
    break;
  }
  out.push('/usr/bin/python3', 'python3');
  return [...new Set(out)];
}

/** The first candidate that imports ansible (null: no ansible-core on the controller). */
export function controllerPython(): string | null {
  if (pythonCache !== undefined) return pythonCache;
  for (const py of pythonCandidates()) {
    const r = spawnSync(py, ['-c', 'import ansible.release'], { stdio: 'ignore', timeout: 20000 });
    if (r.status === 0) return (pythonCache = py);
  }
  return (pythonCache = null);
}

const resolveCache = new Map<string, ResolveAnswer>();

/** Resolve module names with ansible's loader (library dirs, collections, ansible.builtin), cwd = the playbook's dir (its ansible.cfg). */
export function resolveModules(names: string[], library: string[], collections: string[], cwd: string): ResolveAnswer {
  const key = JSON.stringify([names, library, collections, cwd]);
  const hit = resolveCache.get(key);
  if (hit) return hit;
  const py = controllerPython();
  let ans: ResolveAnswer;
  if (!py) ans = { ok: false, error: `ansible-core is not installed on the controller (tried: ${pythonCandidates().join(', ')})` };
  else {
    const r = spawnSync(py, [helperScript(), 'resolve'], {
      input: JSON.stringify({ names, library, collections }),
      cwd: existsSync(cwd) ? cwd : undefined,
      encoding: 'utf8',
      timeout: 60000,
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    });
    try {
      ans = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as ResolveAnswer;
    } catch {
      ans = { ok: false, error: `ansible-core's module loader failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0] ?? ''}` };
    }
  }
  resolveCache.set(key, ans);
  return ans;
}

export interface PayloadRequest {
  module: string;
  path: string;
  args: Record<string, unknown>;
  vars?: Record<string, unknown>;
  /** module_utils/ directories of the role and the playbook */
  module_utils?: string[];
  become?: boolean;
  become_user?: string;
}

interface Pending {
  resolve(payload: Buffer): void;
  reject(e: Error): void;
}

/** One long-lived helper process building AnsiballZ payloads (started on first use; ends with the run). */
export class PayloadBuilder {
  private proc?: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buf = '';

  constructor(private readonly cwd?: string) {}

  build(req: PayloadRequest): Promise<Buffer> {
    const proc = this.start();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.hold(true);
      proc.stdin.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  close(): void {
    this.proc?.stdin.end();
    this.proc = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const py = controllerPython();
    if (!py) throw new Error('ansible-core is not installed on the controller');
    const proc = spawn(py, [helperScript(), 'serve'], { cwd: this.cwd, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    proc.stdout.setEncoding('utf8').on('data', (d: string) => this.onData(d));
    proc.on('error', (e) => this.failAll(e));
    proc.on('exit', (code) => {
      if (this.proc === proc) this.proc = undefined;
      this.failAll(new Error(`ansible-core's payload builder exited (${code}): ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`));
    });
    this.proc = proc;
    this.hold(false);
    return proc;
  }

  /** Keep the event loop alive only while a payload is awaited (an idle helper never holds a run open). */
  private hold(busy: boolean): void {
    const p = this.proc;
    if (!p) return;
    const streams = [p.stdin, p.stdout, p.stderr] as unknown as { ref?(): void; unref?(): void }[];
    if (busy) {
      p.ref();
      for (const s of streams) s.ref?.();
    } else {
      p.unref();
      for (const s of streams) s.unref?.();
    }
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      const ans = JSON.parse(line) as { id: number; payload?: string; error?: string };
      const p = this.pending.get(ans.id);
      if (!p) continue;
      this.pending.delete(ans.id);
      if (ans.payload !== undefined) p.resolve(Buffer.from(ans.payload, 'base64'));
      else p.reject(new Error(ans.error ?? 'no payload'));
    }
    if (!this.pending.size) this.hold(false);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

let shared: PayloadBuilder | undefined;
/** The run's payload builder. */
export function payloadBuilder(): PayloadBuilder {
  return (shared ??= new PayloadBuilder());
}
