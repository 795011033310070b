/**
 * replace's editing, as Ansible's replace.py: the section between `after` and `before` (DOTALL, the first
 * match), then re.subn of a MULTILINE regexp over it. On binary strings (one char per byte) like lineinfile.
 */
import { binToBuffer, bufferToBin, pyExpand, pyRegex, toBin } from '../../../lib/files/index.js';

export interface ReplaceArgs {
  regexp: string;
  replace: string;
  after?: string;
  before?: string;
}

export interface ReplaceOutcome {
  content: Buffer;
  changed: boolean;
  msg: string;
  count: number;
}

/** Python's re.subn(pattern, repl, s) for a compiled pattern: every non-overlapping match, left to right. */
export function pySubn(re: RegExp, repl: string, s: string, argName = 'replace'): [string, number] {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let out = '';
  let last = 0;
  let count = 0;
  let m: RegExpExecArray | null;
  while ((m = g.exec(s)) !== null) {
    out += s.slice(last, m.index) + pyExpand(m, repl, argName);
    last = m.index + m[0].length;
    count++;
    if (m[0].length === 0) {
      // Python: an empty match next to the previous one is allowed, then the search moves on one char
      if (g.lastIndex < s.length) out += s[g.lastIndex];
      last = g.lastIndex + 1;
      g.lastIndex++;
      if (g.lastIndex > s.length) break;
    }
  }
  return [out + s.slice(last), count];
}

export function replaceContent(original: Buffer, a: ReplaceArgs): ReplaceOutcome {
  const contents = bufferToBin(original);
  let pattern = '';
  if (a.after && a.before) pattern = `${a.after}(?P<subsection>.*?)${a.before}`;
  else if (a.after) pattern = `${a.after}(?P<subsection>.*)`;
  else if (a.before) pattern = `(?P<subsection>.*)${a.before}`;
  let section = contents;
  let start = 0;
  let end = contents.length;
  if (pattern) {
    const sre = pyRegex('(?s)' + pattern, a.after ? 'after' : 'before').re;
    const withIdx = new RegExp(sre.source, sre.flags + 'd');
    const m = withIdx.exec(contents);
    if (!m || !m.indices?.groups?.subsection) {
      return { content: original, changed: false, msg: `Pattern for before/after params did not match the given file: ${pattern}`, count: 0 };
    }
    [start, end] = m.indices.groups.subsection;
    section = contents.slice(start, end);
  }
  const mre = pyRegex('(?m)' + a.regexp).re;
  const [replaced, count] = pySubn(mre, toBin(a.replace), section);
  if (count > 0 && replaced !== section) {
    return { content: binToBuffer(contents.slice(0, start) + replaced + contents.slice(end)), changed: true, msg: `${count} replacements made`, count };
  }
  return { content: original, changed: false, msg: '', count };
}
