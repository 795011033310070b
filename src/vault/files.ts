/**
 * Reading and replacing files for `tsplay vault`: a replacement is written to a new 0600 file in the same
 * directory and renamed over the original (atomic), keeping the original's mode and, when allowed, owner.
 * Symlinks are followed (the target is rewritten, like ansible-vault).
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  constants,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { TsplayError } from '../errors.js';

export async function readInput(file: string): Promise<Buffer> {
  try {
    if (file !== '-') return readFileSync(file);
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
    return Buffer.concat(chunks);
  } catch (e) {
    throw new TsplayError('vault', `Unable to read source file (${file}): ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export function realFile(file: string): string {
  if (file === '-') return file;
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Write data to `file` ('-' = stdout) atomically; a new file gets mode 0600, an existing one keeps its mode. */
export async function writeOutput(file: string, data: Uint8Array): Promise<void> {
  if (file === '-') return writeStdout(data);
  let prev: ReturnType<typeof statSync> | undefined;
  try {
    prev = statSync(file);
  } catch {
    prev = undefined;
  }
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (e) {
    throw new TsplayError('vault', `Problem creating temporary vault file beside ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    writeAll(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw new TsplayError('vault', `Unable to write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  closeSync(fd);
  try {
    if (prev) {
      chmodSync(tmp, prev.mode & 0o7777);
      try {
        chownSync(tmp, prev.uid, prev.gid);
      } catch {
        // not root: the file stays ours, as when the user rewrites it by hand
      }
    }
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new TsplayError('vault', `Unable to replace ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export function writeStdout(data: Uint8Array | string): Promise<void> {
  return new Promise((res, rej) => process.stdout.write(data, (e) => (e ? rej(e) : res())));
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}
