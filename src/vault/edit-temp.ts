/**
 * Let the user edit plaintext in $EDITOR (default vi; split like a shell word list, as ansible-vault's
 * shlex.split): the text lives in a 0600 file inside a fresh 0700 directory, overwritten and removed
 * afterwards whatever happens. An editor that exits non-zero aborts the edit (nothing is saved).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { TsplayError } from '../errors.js';
import { shSplit } from '../../lib/shell/shlex.js';

export function editorCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = shSplit(env.EDITOR || 'vi');
  return words.length ? words : ['vi'];
}

/** Run the editor on a private copy of `initial`; returns the edited bytes. */
export function editInTemp(initial: Uint8Array, nameHint: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const dir = mkdtempSync(join(env.TMPDIR || tmpdir(), 'tsplay-vault-'));
  const tmp = join(dir, basename(nameHint) || 'vault');
  try {
    const fd = openSync(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    try {
      writeSync(fd, initial);
    } finally {
      closeSync(fd);
    }
    const [cmd, ...args] = editorCommand(env);
    const r = spawnSync(cmd!, [...args, tmp], { stdio: 'inherit', env });
    if (r.error) throw new TsplayError('vault', `Unable to execute the editor "${cmd}": ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
    if (r.status !== 0) throw new TsplayError('vault', `the editor "${cmd}" exited with ${r.status ?? r.signal}; nothing was saved`);
    return readFileSync(tmp);
  } finally {
    shred(tmp);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Overwrite a file's bytes before it is unlinked (best effort, like ansible-vault's custom shred). */
function shred(file: string): void {
  try {
    const size = statSync(file).size;
    if (size > 0) {
      writeFileSync(file, Buffer.alloc(size));
      const fd = openSync(file, 'r+');
      fsyncSync(fd);
      closeSync(fd);
    }
  } catch {
    // already gone
  }
}
