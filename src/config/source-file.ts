/**
 * Reading a playbook, tasks, inventory or vars file: only a regular file, only up to a size bound, only valid
 * UTF-8. A name that points at /dev/zero, a FIFO or a 2 GiB log would otherwise hang the load or exhaust memory;
 * a stray byte of Latin-1 would silently become U+FFFD. Each refusal is one clear error naming the file (and
 * the place that named it, when the caller knows it; invalid UTF-8 at its own line and column).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { TsplayError, type ErrorCode, type SourcePos } from '../errors.js';

/** The largest file tsplay reads as a playbook, inventory or vars file (real ones are kilobytes). */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
};

/** "permission denied (EACCES)" for a Node.js system error, its message otherwise. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code) return ERRNO[code] ? `${ERRNO[code]} (${code})` : code;
  return e instanceof Error ? e.message : String(e);
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface ReadOptions {
  /** the error code of a refusal (the loader's: 'yaml', 'inventory', ...) */
  code?: ErrorCode;
  /** where the file was named (a vars_files entry, an import_tasks argument) */
  from?: SourcePos;
}

/** The bytes of a regular file of at most MAX_SOURCE_BYTES; opening never blocks (a FIFO is refused, not waited on). */
export function readSourceBytes(file: string, opts: ReadOptions = {}): Buffer {
  const code = opts.code ?? 'yaml';
  const fail = (what: string) => new TsplayError(code, `${file}: ${what}`, { source: opts.from });
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw fail(`cannot be read: ${describeFsError(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw fail(
        st.isDirectory()
          ? 'is a directory, not a file'
          : `not a regular file (${kindOf(st)}): tsplay reads playbooks, inventories and vars files only from regular files`,
      );
    if (st.size > MAX_SOURCE_BYTES) throw fail(tooLarge(st.size));
    // read to the end, but never past the bound (the file may grow while it is read)
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, MAX_SOURCE_BYTES + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw fail(`cannot be read: ${describeFsError(e)}`);
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > MAX_SOURCE_BYTES) throw fail(tooLarge(total));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(size: number): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MiB`;
  return `too large (${size > MAX_SOURCE_BYTES ? 'more than ' : ''}${mib(Math.min(size, MAX_SOURCE_BYTES + 1))}; a playbook, inventory or vars file may have at most ${mib(MAX_SOURCE_BYTES)})`;
}

/** The text of a source file (see readSourceBytes), decoded as strict UTF-8 without a byte-order mark. */
export function readSourceFile(file: string, opts: ReadOptions = {}): string {
  return decodeUtf8(readSourceBytes(file, opts), file, opts.code ?? 'yaml');
}

const strict = new TextDecoder('utf-8', { fatal: true }); // also drops a leading BOM

/** Strict UTF-8; invalid input is an error at the line and column of its first bad byte. */
export function decodeUtf8(buf: Uint8Array, file: string, code: ErrorCode = 'yaml'): string {
  try {
    return strict.decode(buf);
  } catch {
    const at = firstInvalidUtf8(buf);
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < at; i++) {
      if (buf[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const col = new TextDecoder().decode(buf.subarray(lineStart, at)).length + 1;
    const hex = Array.from(buf.subarray(at, Math.min(buf.length, at + 4)), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new TsplayError(code, `invalid UTF-8 (bytes ${hex}): playbooks, inventories and vars files must be UTF-8 text`, { source: { file, line, col } });
  }
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), or the length. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}
