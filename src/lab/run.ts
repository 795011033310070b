/** Child processes for the lab: captured output or inherited stdio, never a shell string from user input. */
import { spawn, type StdioOptions } from 'node:child_process';

export interface ProcResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export interface ProcOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  /** pass the terminal through (interactive commands) instead of capturing */
  inherit?: boolean;
  /** forward stderr to ours while also capturing it */
  teeStderr?: boolean;
  cwd?: string;
}

export function runProc(cmd: string, args: readonly string[], opts: ProcOptions = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = opts.inherit ? 'inherit' : ['pipe', 'pipe', 'pipe'];
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio, cwd: opts.cwd ?? '/' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => {
      err.push(b);
      if (opts.teeStderr) process.stderr.write(b);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        rc: code ?? (signal ? 128 + signalNumber(signal) : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
    }
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  const n: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return n[sig] ?? 1;
}
