/**
 * Ansible's `k=v` argument strings: `copy: src=a.txt dest="/tmp/my file" mode=0644`.
 * Tokens are split on whitespace outside quotes and outside {{ }} / {% %}; quotes around a value are removed.
 */

export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let depth = 0; // inside {{ }} / {% %} / {# #}
  let hasToken = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const two = s.slice(i, i + 2);
    if (!quote && (two === '{{' || two === '{%' || two === '{#')) {
      depth++;
      cur += two;
      i++;
      hasToken = true;
      continue;
    }
    if (!quote && depth > 0 && (two === '}}' || two === '%}' || two === '#}')) {
      depth--;
      cur += two;
      i++;
      continue;
    }
    if (quote) {
      if (c === '\\' && i + 1 < s.length && (s[i + 1] === quote || s[i + 1] === '\\')) {
        cur += c + s[i + 1];
        i++;
        continue;
      }
      if (c === quote) quote = null;
      cur += c;
      continue;
    }
    if ((c === '"' || c === "'") && depth === 0) {
      quote = c;
      cur += c;
      hasToken = true;
      continue;
    }
    if (/\s/.test(c) && depth === 0) {
      // like Ansible's split_args: a newline stays attached to the token it ends (free-form scripts keep their lines)
      if (hasToken) out.push(c === '\n' ? cur + '\n' : cur);
      else if (c === '\n' && out.length && !out[out.length - 1]!.endsWith('\n')) out[out.length - 1] += '\n';
      cur = '';
      hasToken = false;
      continue;
    }
    cur += c;
    hasToken = true;
  }
  if (quote) throw new Error(`unbalanced quote (${quote}) in arguments`);
  if (hasToken) out.push(cur);
  return out;
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
    const tok = decodeEscapes(raw.endsWith('\n') ? raw.slice(0, -1) : raw);
    // the key is what stands before the first '=' (Ansible's parse_kv): a name, or a template of one
    const m = /^((?:[A-Za-z_]|\{\{[^=]*?\}\})(?:[A-Za-z0-9_]|\{\{[^=]*?\}\})*)=(.*)$/s.exec(tok);
    const isKv = m && (!opts.freeForm || !opts.knownKeys || opts.knownKeys.has(m[1]!));
    if (m && isKv) args[m[1]!] = unquote(m[2]!);
    else if (opts.freeForm) free.push(raw);
    else throw new Error(`expected key=value, got '${tok.length > 60 ? tok.slice(0, 57) + '...' : tok}'`);
  }
  const text = free.reduce((acc, t) => acc + (acc && !acc.endsWith('\n') ? ' ' : '') + t, '').replace(/\n+$/, '');
  return { args, freeForm: free.length ? text : undefined };
}
