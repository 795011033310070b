/** Visible one-line prompts (a variable name) and reading all of stdin, for `tsplay vault encrypt-string`. */
import { createReadStream, openSync } from 'node:fs';
import { createInterface } from 'node:readline';

export async function askLine(prompt: string): Promise<string> {
  let input: NodeJS.ReadableStream = process.stdin;
  let own: ReturnType<typeof createReadStream> | undefined;
  if (!process.stdin.isTTY) {
    try {
      own = createReadStream('', { fd: openSync('/dev/tty', 'r') });
      input = own;
    } catch {
      own = undefined;
    }
  }
  const rl = createInterface({ input, output: process.stderr, terminal: false });
  process.stderr.write(prompt);
  try {
    return await new Promise<string>((res, rej) => {
      rl.once('line', res);
      rl.once('close', () => rej(new Error('no input for the prompt')));
    });
  } finally {
    rl.close();
    own?.destroy();
  }
}

export async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
