/**
 * blockinfile's editing, a port of Ansible's blockinfile.py (markers, insertafter/insertbefore with the
 * last matching line, (?m) patterns searched over the whole file, prepend_newline/append_newline).
 */
import { binToBuffer, bufferToBin, pyRegex, toBin } from '../../../lib/files/index.js';

export interface BlockEditArgs {
  state: 'present' | 'absent';
  block: string;
  marker: string;
  marker_begin: string;
  marker_end: string;
  insertafter?: string;
  insertbefore?: string;
  prepend_newline: boolean;
  append_newline: boolean;
}

export interface BlockEditResult {
  content: Buffer;
  changed: boolean;
  msg: string;
}

/** Python's bytes.splitlines(keepends=True): \n, \r\n and \r end lines. */
export function splitLinesKeep(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      out.push(s.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

export function markerLine(marker: string, mark: string): string {
  return toBin(marker).split('{mark}').join(toBin(mark)) + '\n';
}

export function editBlock(original: Buffer | null, a: BlockEditArgs): BlockEditResult {
  const orig = original === null ? null : bufferToBin(original);
  const lines = orig === null ? [] : splitLinesKeep(orig);
  const present = a.state === 'present';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  let insertre: ReturnType<typeof pyRegex> | undefined;
  if (insertafter !== undefined && insertafter !== 'EOF') insertre = pyRegex(insertafter, 'insertafter');
  else if (insertbefore !== undefined && insertbefore !== 'BOF') insertre = pyRegex(insertbefore, 'insertbefore');

  const marker0 = markerLine(a.marker, a.marker_begin);
  const marker1 = markerLine(a.marker, a.marker_end);
  let block = toBin(a.block);
  let blocklines: string[] = [];
  if (present && block) {
    if (!block.endsWith('\n')) block += '\n';
    blocklines = [marker0, ...splitLinesKeep(block), marker1];
  }

  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((line, i) => {
    if (line === marker0) n0 = i;
    if (line === marker1) n1 = i;
  });

  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insertre) {
      if (insertre.multiline) {
        const m = insertre.re.exec(orig ?? '');
        if (m) {
          const upto = insertafter !== undefined ? m.index + m[0].length : m.index;
          n0 = (orig ?? '').slice(0, upto).split('\n').length - 1;
        }
      } else {
        lines.forEach((line, i) => {
          if (insertre!.re.exec(line)) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }

  if (n0 > 0 && !lines[n0 - 1]!.endsWith('\n')) lines[n0 - 1] += '\n';
  if (a.prepend_newline && present && n0 !== 0 && lines[n0 - 1] !== '\n') {
    lines.splice(n0, 0, '\n');
    n0 += 1;
  }
  lines.splice(n0, 0, ...blocklines);
  if (a.append_newline && present) {
    const after = n0 + blocklines.length;
    if (after < lines.length && lines[after] !== '\n') lines.splice(after, 0, '\n');
  }
  const result = lines.join('');
  let msg = '';
  let changed = true;
  if (orig === result) {
    changed = false;
  } else if (orig === null) msg = 'File created';
  else if (!blocklines.length) msg = 'Block removed';
  else msg = 'Block inserted';
  return { content: binToBuffer(result), changed, msg };
}
