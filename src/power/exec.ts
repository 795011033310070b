/** Local commands of the power program (scontrol, az through lib/cloud): argv or `sh -c`, with a timeout. */
import { spawn } from 'node:child_process';

export interface ExecResult {
  rc: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function execLocal(
  cmd: string,
  args: readonly string[],
  o: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ExecResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (o.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ rc: 127, stdout: '', stderr: `${cmd}: ${e.message}`, ms: Date.now() - t0 });
    });
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      resolve({
        rc: code ?? (sig ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString() + (sig ? `\n${cmd}: killed (${sig})` : ''),
        ms: Date.now() - t0,
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(o.input ?? '');
  });
}
