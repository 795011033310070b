/** Python string formatting: printf-style ('%05d' % x) and str.format ('{}-{}'.format(a, b)). */
import { isMapping, num, pyRepr, pyStr } from './py.js';

/** '%s=%d' % (a, b), also '%(name)s' % dict. */
export function pyFormat(fmt: string, args: unknown[]): string {
  let i = 0;
  const dict = args.length === 1 && isMapping(args[0]) ? (args[0] as Record<string, unknown>) : undefined;
  const out = fmt.replace(
    /%(\([^)]*\))?([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([sdifrxXoeEgGc%])/g,
    (_m, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      let v: unknown;
      if (key) v = dict?.[key.slice(1, -1)];
      else {
        if (i >= args.length) throw new Error('not enough arguments for format string');
        v = args[i++];
      }
      let s: string;
      switch (conv) {
        case 's':
          s = pyStr(v);
          break;
        case 'r':
          s = pyRepr(v);
          break;
        case 'd':
        case 'i':
          s = String(Math.trunc(num(numArg(v))));
          break;
        case 'f':
          s = num(numArg(v)).toFixed(prec === undefined ? 6 : Number(prec));
          break;
        case 'e':
        case 'E':
          s = num(numArg(v))
            .toExponential(prec === undefined ? 6 : Number(prec))
            .replace(/e([+-])(\d)$/, 'e$10$2');
          if (conv === 'E') s = s.toUpperCase();
          break;
        case 'g':
        case 'G':
          s = String(Number(num(numArg(v)).toPrecision(prec === undefined ? 6 : Number(prec) || 1)));
          break;
        case 'x':
          s = Math.trunc(num(numArg(v))).toString(16);
          break;
        case 'X':
          s = Math.trunc(num(numArg(v)))
            .toString(16)
            .toUpperCase();
          break;
        case 'o':
          s = Math.trunc(num(numArg(v))).toString(8);
          break;
        case 'c':
          s = typeof v === 'number' ? String.fromCodePoint(v) : pyStr(v);
          break;
        default:
          s = pyStr(v);
      }
      if (conv === 's' && prec !== undefined) s = s.slice(0, Number(prec));
      if (flags.includes('+') && /^[0-9]/.test(s) && 'difeEgG'.includes(conv)) s = '+' + s;
      const w = width ? Number(width) : 0;
      if (s.length < w) {
        if (flags.includes('-')) s = s.padEnd(w);
        else if (flags.includes('0') && conv !== 's') s = s.startsWith('-') ? '-' + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0');
        else s = s.padStart(w);
      }
      return s;
    },
  );
  if (!dict && i < args.length) throw new Error('not all arguments converted during string formatting');
  return out;
}

function numArg(v: unknown): unknown {
  if (typeof v === 'string') throw new Error('%d format: a number is required, not str');
  return v;
}

/** '{} {name} {0:>5}'.format(...) — positional, named, and simple format specs. */
export function strFormat(fmt: string, args: unknown[], kw: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}:!]*)(?:![rs])?(?::([^{}]*))?\}/g, (m, field: string | undefined, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const f = field ?? '';
    let v: unknown;
    if (f === '') v = args[auto++];
    else if (/^\d+$/.test(f)) v = args[Number(f)];
    else {
      const [head, ...rest] = f.split('.');
      v = kw[head!];
      for (const r of rest) v = (v as Record<string, unknown>)?.[r];
    }
    return applySpec(v, spec ?? '');
  });
}

function applySpec(v: unknown, spec: string): string {
  const m = /^(?:(.)?([<>^=]))?([+\- ])?(0)?(\d+)?(,)?(?:\.(\d+))?([sdfxXobeEgG%])?$/.exec(spec);
  if (!spec || !m) return pyStr(v);
  const [, fill = ' ', align, , zero, width, , prec, type] = m;
  let s: string;
  if (type === 'f') s = num(v).toFixed(prec === undefined ? 6 : Number(prec));
  else if (type === 'd') s = String(Math.trunc(num(v)));
  else if (type === 'x') s = Math.trunc(num(v)).toString(16);
  else if (type === 'X') s = Math.trunc(num(v)).toString(16).toUpperCase();
  else if (type === 'b') s = Math.trunc(num(v)).toString(2);
  else if (type === 'o') s = Math.trunc(num(v)).toString(8);
  else s = pyStr(v);
  const w = width ? Number(width) : 0;
  if (s.length >= w) return s;
  const numeric = typeof v === 'number';
  const al = align ?? (zero ? '=' : numeric ? '>' : '<');
  const fl = zero && !align ? '0' : fill;
  if (al === '<') return s.padEnd(w, fl);
  if (al === '^') {
    const left = Math.floor((w - s.length) / 2);
    return fl.repeat(left) + s + fl.repeat(w - s.length - left);
  }
  return s.padStart(w, fl);
}
