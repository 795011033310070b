/**
 * lineinfile's editing, a faithful port of Ansible's lineinfile.py present()/absent() (which match wins,
 * where a line goes, trailing-newline handling, backrefs without a match = no change). Works on bytes
 * (as binary strings) so regexps behave like Python's bytes patterns.
 */
import { binToBuffer, bufferToBin, pyExpand, pyRegex, readLines, toBin } from '../../../lib/files/index.js';

export interface LineEditArgs {
  line?: string;
  regexp?: string;
  search_string?: string;
  insertafter?: string;
  insertbefore?: string;
  firstmatch: boolean;
  backrefs: boolean;
}

export interface LineEditResult {
  content: Buffer;
  changed: boolean;
  msg: string;
  /** absent: how many lines were removed */
  found?: number;
}

const stripNl = (s: string): string => s.replace(/[\r\n]+$/, '');
const LINESEP = '\n';

export function linePresent(original: Buffer | null, a: LineEditArgs): LineEditResult {
  const lines = original ? readLines(bufferToBin(original)) : [];
  // Ansible: insertafter defaults to EOF when neither is given
  const insertafter = a.insertafter === undefined && a.insertbefore === undefined ? 'EOF' : a.insertafter;
  const insertbefore = a.insertbefore;
  const bLine = toBin(a.line ?? '');
  const reM = a.regexp !== undefined ? pyRegex(a.regexp).re : undefined;
  let reIns: RegExp | undefined;
  if (insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF') reIns = pyRegex(insertafter, 'insertafter').re;
  else if (insertbefore !== undefined && insertbefore !== 'BOF') reIns = pyRegex(insertbefore, 'insertbefore').re;

  const index = [-1, -1];
  let match: RegExpExecArray | boolean | null = null;

  if (reM) {
    for (let i = 0; i < lines.length; i++) {
      const m = reM.exec(lines[i]!);
      if (m) {
        index[0] = i;
        match = m;
        if (a.firstmatch) break;
      }
    }
  }
  if (a.search_string !== undefined) {
    const needle = toBin(a.search_string);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes(needle)) {
        index[0] = i;
        match = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let i = 0; i < lines.length; i++) {
      const cur = lines[i]!;
      if (bLine === stripNl(cur)) {
        index[0] = i; // exact line already there
      } else if (reIns && reIns.exec(cur)) {
        if (insertafter) {
          index[1] = i + 1;
          if (a.firstmatch) break;
        }
        if (insertbefore) {
          index[1] = i;
          if (a.firstmatch) break;
        }
      }
    }
  }

  let msg = '';
  let changed = false;
  const add = (at: number): void => {
    lines.splice(at, 0, bLine + LINESEP);
    msg = 'line added';
    changed = true;
  };
  if (index[0] !== -1) {
    let newLine = a.backrefs && match && typeof match !== 'boolean' ? pyExpand(match, bLine) : bLine;
    if (!newLine.endsWith(LINESEP)) newLine += LINESEP;
    // (Ansible's insert branch for "no regexp, no exact match" here is unreachable: index[0] implies a match)
    if (lines[index[0]!] !== newLine) {
      lines[index[0]!] = newLine;
      msg = 'line replaced';
      changed = true;
    }
  } else if (a.backrefs) {
    // no match: not safe to build the line without the groups, leave the file alone
  } else if (insertbefore === 'BOF' || insertafter === 'BOF') {
    add(0);
  } else if (insertafter === 'EOF' || index[1] === -1) {
    if (lines.length && !/[\n\r]$/.test(lines[lines.length - 1]!)) lines.push(LINESEP);
    add(lines.length);
  } else if (insertafter && index[1] !== -1) {
    if (lines.length === index[1]) {
      if (stripNl(lines[index[1] - 1]!) !== bLine) add(lines.length);
    } else if (bLine !== stripNl(lines[index[1]!]!)) add(index[1]!);
  } else {
    add(index[1]!);
  }
  return { content: binToBuffer(lines.join('')), changed, msg };
}

export function lineAbsent(original: Buffer, a: Pick<LineEditArgs, 'line' | 'regexp' | 'search_string'>): LineEditResult {
  const lines = readLines(bufferToBin(original));
  const re = a.regexp !== undefined ? pyRegex(a.regexp).re : undefined;
  const needle = a.search_string !== undefined ? toBin(a.search_string) : undefined;
  const bLine = toBin(a.line ?? '');
  let found = 0;
  const kept = lines.filter((cur) => {
    const hit = re ? re.exec(cur) !== null : needle !== undefined ? cur.includes(needle) : bLine === stripNl(cur);
    if (hit) found++;
    return !hit;
  });
  return { content: binToBuffer(kept.join('')), changed: found > 0, msg: found > 0 ? `${found} line(s) removed` : '', found };
}
