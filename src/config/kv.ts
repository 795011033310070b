/**
 * Ansible's `k=v` argument strings: `copy: src=a.txt dest="/tmp/my file" mode=0644`.
 * Tokens are split on whitespace outside quotes and outside {{ }} / {% %}; quotes around a value are removed.
 */

/** _get_quote_state: the quote still open after `token` (a quote preceded by a backslash does not count). */
function quoteState(token: string, q: string | null): string | null {
  for (let i = 0; i < token.length; i++) {
    const c = token[i]!;
    if ((c === '"' || c === "'") && (i === 0 || token[i - 1] !== '\\')) {
      if (q) {
        if (c === q) q = null;
      } else q = c;
    }
  }
  return q;
}

/** _count_jinja2_blocks */
function depthAfter(token: string, depth: number, open: string, close: string): number {
  const n = token.split(open).length - token.split(close).length;
  return n !== 0 ? Math.max(0, depth + n) : depth;
}

/**
 * Ansible's split_args (parsing/splitter.py), ported: split on spaces and newlines, but keep quoted text and
 * Jinja blocks together; a token ending a line keeps its newline, extra spaces stay with the token before them,
 * and a lone backslash continues the line. So a free-form script keeps its lines and indentation (join_args).
 */
export function splitArgs(args: string): string[] {
  const params: string[] = [];
  const items = args.split('\n');
  let quote: string | null = null;
  let inside = false;
  let pd = 0;
  let bd = 0;
  let cd = 0;
  for (const [itemIdx, item] of items.entries()) {
    const tokens = item.split(' ');
    let continuation = false;
    for (const [idx, token] of tokens.entries()) {
      if (token.length === 0 && idx !== 0) {
        if (params.length) params[params.length - 1] += ' ';
        continue;
      }
      if (token === '\\' && !inside) {
        continuation = true;
        continue;
      }
      const wasInside = inside;
      quote = quoteState(token, quote);
      inside = quote !== null;
      let appended = false;
      if (inside && !wasInside && !(pd || bd || cd)) {
        params.push(token);
        appended = true;
      } else if (pd || bd || cd || inside || wasInside) {
        const last = params.length - 1;
        if (idx === 0 && wasInside) params[last] = `${params[last]}${token}`;
        else if (tokens.length > 1) params[last] = `${params[last]}${idx > 0 ? ' ' : ''}${token}`;
        else params[last] = `${params[last]}\n${token}`;
        appended = true;
      }
      for (const [open, close, which] of [
        ['{{', '}}', 'p'],
        ['{%', '%}', 'b'],
        ['{#', '#}', 'c'],
      ] as const) {
        const prev = which === 'p' ? pd : which === 'b' ? bd : cd;
        const next = depthAfter(token, prev, open, close);
        if (which === 'p') pd = next;
        else if (which === 'b') bd = next;
        else cd = next;
        if (next !== prev && !appended) {
          params.push(token);
          appended = true;
        }
      }
      if (!(pd || bd || cd) && !inside && !appended && token !== '') params.push(token);
    }
    if (items.length > 1 && itemIdx !== items.length - 1 && !continuation && params.length) params[params.length - 1] += '\n';
  }
  if (pd || bd || cd || inside) throw new Error(`unbalanced quote or Jinja block in arguments: ${args}`);
  return params;
}

/** join_args: the tokens back together, a space between them except after a newline. */
export function joinArgs(tokens: readonly string[]): string {
  return tokens.reduce((acc, t) => (acc === '' || acc.endsWith('\n') ? acc + t : `${acc} ${t}`), '');
}

/** Ansible's unquote (parsing/quoting.py): matching quotes at both ends are removed, nothing else. */
function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] && v[v.length - 2] !== '\\') return v.slice(1, -1);
  return v;
}

const SINGLE: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Ansible's _decode_escapes (parsing/splitter.py), applied to each k=v token before it is split: \\ \' \" \a \b
 * \f \n \r \t \v, \xHH, \uHHHH and \UHHHHHHHH become the characters (so `regexp='\b'` is a backspace, `'\\b'` a
 * word boundary); other backslashes stay.
 */
export function decodeEscapes(s: string): string {
  return s.replace(/\\(?:([\\'"abfnrtv])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/g, (m, c?: string, x?: string, u?: string, U?: string) => {
    if (c !== undefined) return SINGLE[c]!;
    const cp = parseInt((x ?? u ?? U)!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/**
 * Parse a k=v string. With `freeForm`, tokens that are not `known=value` pairs form the free-form text
 * (command/shell); without it every token must be k=v.
 */
export function parseKv(
  s: string,
  opts: { freeForm?: boolean; knownKeys?: ReadonlySet<string> } = {},
): {
  args: Record<string, string>;
  freeForm: string | undefined;
} {
  const args: Record<string, string> = {};
  const free: string[] = [];
  for (const raw of splitArgs(s)) {
    // parse_kv: the escapes decoded, the key is what stands before the first '=' (a name, or a template of one)
    const tok = decodeEscapes(raw);
    const m = /^((?:[A-Za-z_]|\{\{[^=]*?\}\})(?:[A-Za-z0-9_]|\{\{[^=]*?\}\})*)=(.*)$/s.exec(tok);
    const isKv = m && (!opts.freeForm || !opts.knownKeys || opts.knownKeys.has(m[1]!));
    if (m && isKv) args[m[1]!] = unquote(m[2]!.trim());
    else if (opts.freeForm) free.push(raw);
    else {
      const t = tok.trim();
      throw new Error(`expected key=value, got '${t.length > 60 ? t.slice(0, 57) + '...' : t}'`);
    }
  }
  return { args, freeForm: free.length ? joinArgs(free) : undefined };
}
