import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../contract/define.js';
import { maskText } from './mask.js';

/** Unified diff text for a module's FileDiff, Ansible-style headers ("--- before: PATH"). */
export function renderDiff(d: FileDiff): string {
  // file content: short secrets are masked too, as words
  const before = maskText(d.before);
  const after = maskText(d.after);
  if (before === after) return '';
  const patch = createTwoFilesPatch(d.beforeHeader ?? 'before', d.afterHeader ?? 'after', before, after, undefined, undefined, { context: 3 });
  // drop the "====" line jsdiff emits first
  return patch
    .split('\n')
    .filter((l, i) => !(i === 0 && l.startsWith('=')))
    .join('\n')
    .replace(/\n+$/, '\n');
}

const header = (v: unknown): string | undefined => (v != null ? String(v) : undefined);
const text = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v, null, 2) + '\n');

/**
 * A result's diff as file diffs: tsplay's (a list of FileDiff) or Ansible's (a mapping or a list of them with
 * before/after/before_header/after_header, or `prepared` text), as an Ansible module run for a task returns it.
 */
export function toFileDiffs(diff: unknown): FileDiff[] | undefined {
  const list = Array.isArray(diff) ? diff : diff && typeof diff === 'object' ? [diff] : [];
  const out: FileDiff[] = [];
  for (const d of list as Record<string, unknown>[]) {
    if (!d || typeof d !== 'object') continue;
    if ('before' in d || 'after' in d) {
      out.push({
        before: text(d['before']),
        after: text(d['after']),
        beforeHeader: header(d['beforeHeader'] ?? d['before_header']),
        afterHeader: header(d['afterHeader'] ?? d['after_header']),
      });
    } else if (typeof d['prepared'] === 'string') out.push({ before: '', after: d['prepared'], beforeHeader: 'prepared', afterHeader: 'prepared' });
  }
  return out.length ? out : undefined;
}
