/** Ask for a secret once: from the terminal without echo, or one line of stdin when there is no terminal. */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { createInterface } from 'node:readline';

function readHidden(tty: ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    tty.setRawMode(true);
    tty.setEncoding('utf8');
    const done = (err?: Error) => {
      tty.setRawMode(false);
      tty.removeListener('data', onData);
      tty.pause();
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    tty.on('data', onData);
    tty.resume();
  });
}

export async function askSecret(prompt: string): Promise<string> {
  let tty: ReadStream | undefined;
  if (process.stdin.isTTY) tty = process.stdin as ReadStream;
  else {
    try {
      tty = new ReadStream(openSync('/dev/tty', 'r'));
    } catch {
      tty = undefined;
    }
  }
  process.stderr.write(prompt);
  try {
    if (tty) return await readHidden(tty);
    const rl = createInterface({ input: process.stdin, terminal: false });
    try {
      return await new Promise<string>((resolve, reject) => {
        rl.once('line', resolve);
        rl.once('close', () => reject(new Error('no input on stdin for the password prompt')));
      });
    } finally {
      rl.close();
    }
  } finally {
    process.stderr.write('\n');
    if (tty && tty !== process.stdin) tty.destroy();
  }
}
