/**
 * Python's shlex.split(line, comments=True) (POSIX mode), which Ansible uses for INI host lines.
 * Quotes group words, backslash escapes outside single quotes, `#` starts a comment even in the
 * middle of a word (`pass=ab#c` gives `pass=ab`), like Python does.
 */

const WHITESPACE = ' \t\r\n';
const QUOTES = `'"`;

export function shlexSplit(line: string): string[] {
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
        if (c === '#') {
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
        if (c === undefined) throw new Error('No closing quotation');
        if (c === state) state = 'a';
        else if (c === '\\' && state === '"') {
          escapedState = state;
          state = c;
        } else token += c;
      } else if (state === '\\') {
        if (c === undefined) throw new Error('No escaped character');
        if (QUOTES.includes(escapedState) && c !== state && c !== escapedState) token += state;
        token += c;
        state = escapedState;
      } else {
        // inside a word
        if (c === undefined) break;
        if (WHITESPACE.includes(c)) {
          done = true;
        } else if (c === '#') {
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
