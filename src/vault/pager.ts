/**
 * `vault view` output: through $PAGER (default `less`) on a terminal, fed on its stdin; straight to
 * stdout otherwise or when the pager cannot run. Like ansible-vault, a final newline is added if missing.
 */
import { spawn } from 'node:child_process';
import { writeStdout } from './files.js';

export async function showPaged(text: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const out = text.endsWith('\n') ? text : text + '\n';
  if (!process.stdout.isTTY) return writeStdout(out);
  const pager = env.PAGER || 'less';
  const ok = await new Promise<boolean>((res) => {
    const child = spawn('sh', ['-c', pager], { stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRSX', ...env } });
    child.on('error', () => res(false));
    child.on('close', (code) => res(code !== 126 && code !== 127)); // 126/127: the pager could not run
    child.stdin.on('error', () => undefined);
    child.stdin.end(out);
  });
  if (!ok) await writeStdout(out);
}
