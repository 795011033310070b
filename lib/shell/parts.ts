/**
 * The one output format of a fact command that reports several things: each part starts with a header line
 * `@@tsplay:NAME`, printed by the shell partHeader() returns; splitParts() gives each part's text. A part that
 * holds a file's content is the last one and is named as `rawAfter`, so no line of that file can pass for a
 * header. Inside a part, keyValues() reads `key=value` lines.
 */
export const PART_MARK = '@@tsplay:';

/** The shell command printing the header of part `name` (letters, digits, `.`, `_`, `-`). */
export function partHeader(name: string): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`bad part name ${JSON.stringify(name)}`);
  return `echo '${PART_MARK}${name}'`;
}

/**
 * Each part's text (up to the next header line); what comes before the first header is the part ''. After
 * the header of `rawAfter`, the rest of the output is that part's, whatever it holds.
 */
export function splitParts(stdout: string, opts: { rawAfter?: string } = {}): Map<string, string> {
  const parts = new Map<string, string>();
  const header = /^@@tsplay:([\w.-]+)\n/gm;
  let name = '';
  let from = 0;
  for (let m = header.exec(stdout); m; m = header.exec(stdout)) {
    parts.set(name, stdout.slice(from, m.index));
    name = m[1]!;
    from = m.index + m[0].length;
    if (name === opts.rawAfter) break;
  }
  parts.set(name, stdout.slice(from));
  return parts;
}

/** `key=value` lines (the value is the rest of the line; a later line wins); other lines are ignored. */
export function keyValues(text: string | undefined): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && /^[\w.-]+$/.test(line.slice(0, i))) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  return kv;
}

/** What a command printing these parts in this order outputs (canned host output for tests). */
export function joinParts(parts: Readonly<Record<string, string>>): string {
  return Object.entries(parts)
    .map(([name, text]) => (name === '' ? text : `${PART_MARK}${name}\n${text}`))
    .join('');
}
