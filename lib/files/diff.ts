/**
 * Content diffs like Ansible's: text before/after; binary files (a NUL in the first 8 KiB) and files larger
 * than max_file_size_for_diff get a one-line placeholder instead of their content.
 */
import type { FileDiff } from '../../src/contract/index.js';
import { DIFF_MAX_SIZE } from './state.js';

export function looksBinary(b: Buffer): boolean {
  return b.subarray(0, 8192).includes(0);
}

export type DiffSide =
  | { kind: 'absent' }
  | { kind: 'content'; data: Buffer; truncated?: boolean }
  /** the old content was not read (not a regular file, unreadable) */
  | { kind: 'unknown'; note: string };

function render(side: DiffSide, which: 'destination' | 'source'): string {
  if (side.kind === 'absent') return '';
  if (side.kind === 'unknown') return `[[ ${side.note} ]]\n`;
  if (side.truncated || side.data.length > DIFF_MAX_SIZE) return `[[ diff skipped: ${which} file size is greater than ${DIFF_MAX_SIZE} ]]\n`;
  if (looksBinary(side.data)) return `[[ diff skipped: ${which} file appears to be binary ]]\n`;
  return side.data.toString('utf8');
}

export function contentDiff(path: string, before: DiffSide, after: DiffSide, opts: { beforeHeader?: string; afterHeader?: string } = {}): FileDiff {
  return {
    before: render(before, 'destination'),
    after: render(after, 'source'),
    beforeHeader: opts.beforeHeader ?? path,
    afterHeader: opts.afterHeader ?? path,
  };
}
