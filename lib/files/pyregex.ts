/**
 * Python `re` semantics for the regexps playbooks give lineinfile/blockinfile (written for Ansible).
 *
 * Ansible matches bytes patterns against bytes lines (with their trailing "\n"). We do the same on "binary"
 * strings (one char per byte, see toBin/fromBin), translating the Python-only syntax to JavaScript:
 * (?P<n>...) (?P=n) \A \Z, Python's `$` (end, or before a final newline), leading inline flags (?imsx),
 * {,n}, and ASCII-only \s \S (bytes patterns). Backreference expansion follows Match.expand.
 */
import { ArgsError } from '../../src/contract/index.js';

/** UTF-8 text → one JS char per byte. */
export function toBin(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
/** One JS char per byte → bytes. */
export function binToBuffer(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
export function bufferToBin(b: Buffer): string {
  return b.toString('latin1');
}

export interface PyRegex {
  re: RegExp;
  multiline: boolean;
}

const END = '(?![\\s\\S])';
const PY_SPACE = '\\t\\n\\v\\f\\r ';

/** Compile a Python regexp (given as UTF-8 text) for matching binary strings. */
export function pyRegex(pattern: string, argName = 'regexp'): PyRegex {
  let src = toBin(pattern);
  let flags = '';
  // global inline flags at the start: (?i) (?m) (?s) (?x) (?a) (?L) (?u)
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(src);
    if (!m) break;
    for (const f of m[1]!) {
      if (f === 'i' || f === 'm' || f === 's') flags += flags.includes(f) ? '' : f;
      if (f === 'x') src = stripVerbose(src.slice(m[0].length));
    }
    if (!m[1]!.includes('x')) src = src.slice(m[0].length);
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new ArgsError(`${argName}: bad escape (end of pattern) in ${pattern}`, `/${argName}`);
      i++;
      if (!inClass && n === 'A') out += multiline ? '(?<![\\s\\S])' : '^';
      else if (!inClass && n === 'Z') out += END;
      else if (n === 's') out += inClass ? PY_SPACE : `[${PY_SPACE}]`;
      else if (n === 'S' && !inClass) out += `[^${PY_SPACE}]`;
      else out += '\\' + n;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // a leading ] (or ^]) is a literal in Python
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      } else if (src[i + 1] === '^' && src[i + 2] === ']') {
        out += '^\\]';
        i += 2;
      }
      continue;
    }
    if (c === '$') {
      out += multiline ? '$' : `(?=\\n?${END})`;
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '(' && src.startsWith('(?P=', i)) {
      const close = src.indexOf(')', i);
      out += `\\k<${src.slice(i + 4, close)}>`;
      i = close;
      continue;
    }
    if (c === '(' && src.startsWith('(?#', i)) {
      i = src.indexOf(')', i);
      continue;
    }
    if (c === '{' && /^\{,\d+\}/.test(src.slice(i))) {
      out += '{0,';
      i++;
      continue;
    }
    out += c;
  }
  try {
    return { re: new RegExp(out, flags), multiline };
  } catch (e) {
    throw new ArgsError(`${argName}: invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`, `/${argName}`);
  }
}

/** (?x): drop unescaped whitespace and #-comments outside classes. */
function stripVerbose(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      out += c + (src[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/**
 * Python's Match.expand(template) on a binary string: \1..\99, \g<n>, \g<name>, \0 and 3-digit octal
 * escapes, \n \t ... ; unmatched groups expand to ''. Unknown ASCII-letter escapes are an error (Python 3.7+).
 */
export function pyExpand(m: RegExpExecArray, template: string, argName = 'line'): string {
  const group = (ref: string): string => {
    if (/^\d+$/.test(ref)) {
      const n = Number(ref);
      if (n >= m.length) throw new ArgsError(`invalid group reference ${ref} in ${argName}`, `/${argName}`);
      return m[n] ?? '';
    }
    if (!m.groups || !(ref in m.groups)) throw new ArgsError(`unknown group name '${ref}' in ${argName}`, `/${argName}`);
    return m.groups[ref] ?? '';
  };
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = template[i + 1];
    if (n === undefined) throw new ArgsError(`bad escape (end of pattern) in ${argName}`, `/${argName}`);
    if (n === 'g') {
      const mm = /^<([^>]*)>/.exec(template.slice(i + 2));
      if (!mm) throw new ArgsError(`missing group name after \\g in ${argName}`, `/${argName}`);
      out += group(mm[1]!);
      i += 2 + mm[0].length - 1;
      continue;
    }
    if (n === '0') {
      const mm = /^[0-7]{1,3}/.exec(template.slice(i + 1))!;
      out += String.fromCharCode(parseInt(mm[0], 8) & 0xff);
      i += mm[0].length;
      continue;
    }
    if (/[1-9]/.test(n)) {
      const three = /^[0-7]{3}/.exec(template.slice(i + 1));
      if (three) {
        out += String.fromCharCode(parseInt(three[0], 8) & 0xff);
        i += 3;
        continue;
      }
      const mm = /^\d{1,2}/.exec(template.slice(i + 1))!;
      out += group(mm[0]);
      i += mm[0].length;
      continue;
    }
    if (n in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[n];
      i++;
      continue;
    }
    if (/[A-Za-z]/.test(n)) throw new ArgsError(`bad escape \\${n} in ${argName}`, `/${argName}`);
    out += '\\' + n;
    i++;
  }
  return out;
}
