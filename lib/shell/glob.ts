/** Shell-style globs, as Python's fnmatch: host patterns, tags, setup's filter, the fileglob lookup. */

import { TsplayError } from '../../src/contract/index.js';

/**
 * Python fnmatch.translate: a glob as an anchored regular expression (case-sensitive). `what` names the glob
 * in the error a bad one gives.
 */
export function globToRegExp(pat: string, what = 'host list pattern'): RegExp {
  let res = '';
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i++]!;
    if (c === '*') {
      while (pat[i] === '*') i++;
      res += '.*';
    } else if (c === '?') {
      res += '.';
    } else if (c === '[') {
      let j = i;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        res += '\\[';
        continue;
      }
      let stuff = pat.slice(i, j);
      i = j + 1;
      if (!stuff) {
        res += '(?!)';
        continue;
      }
      if (stuff === '!') {
        res += '.';
        continue;
      }
      let neg = false;
      if (stuff[0] === '!') {
        neg = true;
        stuff = stuff.slice(1);
      }
      const body = stuff.replace(/[\\\]^[]/g, (m) => '\\' + m);
      res += `[${neg ? '^' : ''}${body}]`;
    } else {
      res += c.replace(/[.*+?^${}()|[\]\\/-]/g, (m) => '\\' + m);
    }
  }
  try {
    return new RegExp(`^(?:${res})$`, 's');
  } catch {
    throw new TsplayError('inventory', `Invalid ${what}: ${pat}`);
  }
}
