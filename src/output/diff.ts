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
