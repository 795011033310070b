/**
 * Python's shlex.split() in POSIX mode, the one word splitter: Ansible splits `command:` lines with it, and INI
 * inventory host lines with comments=True (`#` then starts a comment even in the middle of a word: `pass=ab#c`
 * gives `pass=ab`). Quotes group words, backslash escapes outside single quotes (inside double quotes only
 * `"` and `\\`), no expansion of any kind. Errors carry Python's messages.
 */
import { ArgsError } from '../../src/contract/index.js';

export class ShlexError extends Error {}

const WHITESPACE = ' \t\r\n';
const QUOTES = `'"`;

export function shlexSplit(line: string, opts: { comments?: boolean } = {}): string[] {
  const comments = opts.comments ?? false;
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let token = '';
    let quoted = false;
    let state: string = ' ';
    let escapedState = 'a';
    let done = false;
    while (!done) {
      const c = line[i++];
      if (state === ' ') {
        if (c === undefined) break;
        if (WHITESPACE.includes(c)) continue;
        if (comments && c === '#') {
          i = line.length;
          continue;
        }
        if (c === '\\') {
          escapedState = 'a';
          state = c;
        } else if (QUOTES.includes(c)) {
          state = c;
        } else {
          token = c;
          state = 'a';
        }
      } else if (QUOTES.includes(state)) {
        quoted = true;
        if (c === undefined) throw new ShlexError('No closing quotation');
        if (c === state) state = 'a';
        else if (c === '\\' && state === '"') {
          escapedState = state;
          state = c;
        } else token += c;
      } else if (state === '\\') {
        if (c === undefined) throw new ShlexError('No escaped character');
        if (QUOTES.includes(escapedState) && c !== state && c !== escapedState) token += state;
        token += c;
        state = escapedState;
      } else {
        // inside a word
        if (c === undefined) break;
        if (WHITESPACE.includes(c)) {
          done = true;
        } else if (comments && c === '#') {
          i = line.length;
          done = true;
        } else if (QUOTES.includes(c)) {
          state = c;
        } else if (c === '\\') {
          escapedState = 'a';
          state = c;
        } else token += c;
      }
    }
    if (token === '' && !quoted) return out;
    out.push(token);
  }
}

/** shlexSplit for a module argument: a quoting error is the task's ArgsError. */
export function shSplit(text: string): string[] {
  try {
    return shlexSplit(text);
  } catch (e) {
    if (e instanceof ShlexError) throw new ArgsError(`${e.message} in: ${text}`);
    throw e;
  }
}
