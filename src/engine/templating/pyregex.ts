/** Python `re` patterns and replacement strings translated to JS RegExp. */

const cache = new Map<string, RegExp>();

export function pyRegex(pattern: string, flags = '', opts: { ignorecase?: boolean; multiline?: boolean } = {}): RegExp {
  let p = pattern;
  let fl = flags;
  // leading inline flags: (?i) (?m) (?s) (?x not supported)
  const m = /^\(\?([aimsux]+)\)/.exec(p);
  if (m) {
    p = p.slice(m[0].length);
    for (const c of m[1]!) if ('ims'.includes(c) && !fl.includes(c)) fl += c;
  }
  if (opts.ignorecase && !fl.includes('i')) fl += 'i';
  if (opts.multiline && !fl.includes('m')) fl += 'm';
  p = p
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\Z/g, '$(?![\\s\\S])')
    .replace(/\\A/g, '^(?<![\\s\\S])');
  const key = fl + '\u0000' + p;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(p, fl.includes('u') ? fl : fl + 'u');
    if (cache.size > 2000) cache.clear();
    cache.set(key, re);
  }
  return new RegExp(re.source, re.flags);
}

/** Python replacement (\1, \g<1>, \g<name>) → a function for String.replace. */
export function pyReplacement(repl: string): (m: string, ...rest: unknown[]) => string {
  return (match: string, ...rest: unknown[]) => {
    const last = rest[rest.length - 1];
    const groupsObj = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
    const caps = rest.slice(0, groupsObj ? -3 : -2) as (string | undefined)[];
    return repl.replace(/\\(?:g<(\w+)>|(\d{1,2})|([\\ntr]))/g, (_x, g: string | undefined, d: string | undefined, c: string | undefined) => {
      if (c) return c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : '\\';
      const ref = g ?? d!;
      if (/^\d+$/.test(ref)) return Number(ref) === 0 ? match : (caps[Number(ref) - 1] ?? '');
      return groupsObj?.[ref] ?? '';
    });
  };
}
