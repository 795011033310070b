/**
 * Slurm hostlists: `cloud[001-004,010]`, `rack[1-2]-n[01-03]`, `a,b c` — expanded and folded the way
 * Slurm's own hostlist code does it, so that what tsplay writes into slurm.conf or hands to
 * `scontrol` means the same hosts, and what a ResumeProgram receives is read the same way.
 *
 * Grammar: names are separated by `,`, space, tab or newline outside brackets. A name is literal text
 * with bracket groups `[r,r,...]`, each `r` a number `7` or an inclusive range `lo-hi`; a number is
 * zero-padded to the width of the lower bound's text (`[08-10]` gives 08 09 10, `[8-10]` gives 8 9 10).
 * Several groups give a cartesian product in Slurm's order (see `groupOrder`). Text after the last
 * group (a suffix) is allowed, as in current Slurm.
 */

/** A hostlist that cannot be read; `position` is the 0-based offset of the problem in `expression`. */
export class HostlistError extends Error {
  constructor(
    readonly expression: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid hostlist '${expression}' at column ${position + 1}: ${reason}`);
    this.name = 'HostlistError';
  }
}

/** The most names one call may expand to: Slurm refuses larger ranges, and a typo must not eat the memory. */
export const MAX_HOSTS = 65536;

/**
 * One run of names as Slurm keeps it: `prefix` + each number lo..hi zero-padded to `width`, or a single
 * name that is not numbered (no trailing digits, or a name with a suffix after its bracket group).
 */
interface HostRange {
  prefix: string;
  lo: number;
  hi: number;
  width: number;
  single: boolean;
}

/** `[lo-hi]` of one bracket group, with where it was written (for messages). */
interface NumRange {
  lo: number;
  hi: number;
  width: number;
}

/** A name split into literal parts and bracket groups: parts.length === groups.length + 1. */
interface Pattern {
  parts: string[];
  groups: NumRange[][];
}

const SEPARATORS = ' \t,\n';

/** The names of one or more hostlist expressions, in Slurm's order (duplicates kept, as Slurm keeps them). */
export function expand(expr: string | readonly string[]): string[] {
  const ranges = parse(expr);
  const out: string[] = [];
  for (const r of ranges) {
    if (r.single) out.push(r.prefix);
    else for (let i = r.lo; i <= r.hi; i++) out.push(r.prefix + pad(i, r.width));
  }
  return out;
}

/** How many names `expand` would return, without making them. */
export function count(expr: string | readonly string[]): number {
  return parse(expr).reduce((n, r) => n + size(r), 0);
}

/**
 * Names (or expressions) folded into one hostlist, byte for byte as `scontrol show hostlist` prints it:
 * input order kept, runs of consecutive numbers joined, duplicates kept, numbers of different widths never
 * merged into one run (`n01,n1` gives `n[01,1]`), only the last number of a name ranged (`r1n1,r2n1` stays).
 * With `sorted`, as `scontrol show hostlistsorted`: natural order of prefixes, then numbers.
 */
export function fold(names: string | readonly string[], opts: { sorted?: boolean } = {}): string {
  const ranges = parse(names);
  if (opts.sorted) sortAndCoalesce(ranges);
  return rangedString(ranges);
}

/**
 * True when `text` is written in Slurm's form rather than Ansible's: it has bracket groups, each made of
 * digits, `-` and `,` only, and one of them has a `-` or `,` (`[1-3]`, `[1,5]`; not `[1:3]`, `[5]`,
 * `[!1-3]`). Lets callers that also accept Ansible's ranges or subscripts decide which reading is meant.
 */
export function isSlurmRangeSyntax(text: string): boolean {
  const groups = [...text.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!);
  return groups.length > 0 && groups.every((g) => /^[0-9,-]+$/.test(g)) && groups.some((g) => /[-,]/.test(g));
}

// ---- parsing ----

/** All ranges of the expressions, pushed as Slurm pushes them (a run continuing the previous one joins it). */
function parse(expr: string | readonly string[]): HostRange[] {
  const exprs = typeof expr === 'string' ? [expr] : expr;
  const ranges: HostRange[] = [];
  let total = 0;
  for (const e of exprs) {
    for (const [tok, at] of tokens(e)) {
      const p = parseName(e, tok, at);
      total += p.groups.reduce((n, g) => n * g.reduce((m, r) => m + r.hi - r.lo + 1, 0), 1);
      if (total > MAX_HOSTS) {
        throw new HostlistError(e, at, `expands to more than ${MAX_HOSTS} names`);
      }
      for (const r of nameRanges(p)) push(ranges, r);
    }
  }
  return ranges;
}

/** The names of an expression with their offsets: split at separators that are not inside brackets. */
function* tokens(expr: string): Generator<[string, number]> {
  let start = -1;
  let open = -1;
  for (let i = 0; i <= expr.length; i++) {
    const c = expr[i];
    if (c === undefined || (open < 0 && SEPARATORS.includes(c))) {
      if (open >= 0) throw new HostlistError(expr, open, "'[' without a closing ']'");
      if (start >= 0) yield [expr.slice(start, i), start];
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (c === '[') {
      if (open >= 0) throw new HostlistError(expr, i, "'[' inside a bracket group");
      open = i;
    } else if (c === ']' && open >= 0) open = -1;
  }
}

/** One name: literal parts and bracket groups. Names without `[` are taken as they are, as Slurm does. */
function parseName(expr: string, tok: string, at: number): Pattern {
  if (!tok.includes('[')) return { parts: [tok], groups: [] };
  const parts: string[] = [];
  const groups: NumRange[][] = [];
  let i = 0;
  for (;;) {
    const open = tok.indexOf('[', i);
    const literal = tok.slice(i, open < 0 ? undefined : open);
    const stray = literal.indexOf(']');
    if (stray >= 0) throw new HostlistError(expr, at + i + stray, "']' without an opening '['");
    parts.push(literal);
    if (open < 0) return { parts, groups };
    const close = tok.indexOf(']', open);
    groups.push(parseGroup(expr, tok.slice(open + 1, close), at + open + 1));
    i = close + 1;
  }
}

/** The inside of one bracket group: `r,r,...` with `r` = `n` or `lo-hi`. */
function parseGroup(expr: string, body: string, at: number): NumRange[] {
  const out: NumRange[] = [];
  let pos = at;
  for (const item of body.split(',')) {
    out.push(parseRange(expr, item, pos));
    pos += item.length + 1;
  }
  return out;
}

function parseRange(expr: string, item: string, at: number): NumRange {
  if (item === '') throw new HostlistError(expr, at, 'empty range');
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(item);
  if (!m) throw new HostlistError(expr, at, `range '${item}' is not a number or lo-hi`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
    throw new HostlistError(expr, at, `range '${item}' has a number above ${Number.MAX_SAFE_INTEGER}`);
  }
  if (lo > hi) throw new HostlistError(expr, at, `range '${item}' goes down (lo > hi)`);
  return { lo, hi, width: m[1]!.length };
}

/**
 * The ranges one name stands for. The last group varies fastest; the groups before it nest from the
 * second-to-last (slowest) down to the first, because Slurm expands them by recursing on the last `[`
 * of the prefix: `a[1-2]b[1-2]c[1-2]` gives a1b1c1 a1b1c2 a2b1c1 a2b1c2 a1b2c1 ...
 */
function nameRanges(p: Pattern): HostRange[] {
  const k = p.groups.length;
  if (k === 0) return [hostRange(p.parts[0]!)];
  const suffix = p.parts[k]!;
  const out: HostRange[] = [];
  for (const values of prefixCombinations(p.groups.slice(0, k - 1))) {
    let prefix = p.parts[0]!;
    values.forEach((v, g) => (prefix += v + p.parts[g + 1]!));
    for (const r of p.groups[k - 1]!) {
      // names with text after their number are single names to Slurm: it never folds them again
      if (suffix) for (let i = r.lo; i <= r.hi; i++) out.push(singleHost(prefix + pad(i, r.width) + suffix));
      else out.push({ prefix, lo: r.lo, hi: r.hi, width: r.width, single: false });
    }
  }
  return out;
}

/** Padded values of the prefix groups, one array per combination, in Slurm's order (last group slowest). */
function prefixCombinations(groups: NumRange[][]): string[][] {
  let combos: string[][] = [[]];
  for (const g of groups) {
    const values = g.flatMap((r) => Array.from({ length: r.hi - r.lo + 1 }, (_, i) => pad(r.lo + i, r.width)));
    combos = values.flatMap((v) => combos.map((c) => [...c, v]));
  }
  return combos;
}

/** A plain host name as Slurm reads it: its trailing digits are its number, their count its width. */
function hostRange(name: string): HostRange {
  const digits = /[0-9]+$/.exec(name)?.[0];
  const num = digits === undefined ? NaN : Number(digits);
  if (!Number.isSafeInteger(num)) return singleHost(name);
  return { prefix: name.slice(0, name.length - digits!.length), lo: num, hi: num, width: digits!.length, single: false };
}

function singleHost(name: string): HostRange {
  return { prefix: name, lo: 0, hi: 0, width: 0, single: true };
}

/** Append as Slurm's hostlist_push_range: a run right after the last one (same prefix, width) extends it. */
function push(ranges: HostRange[], r: HostRange): void {
  const tail = ranges.at(-1);
  if (tail && continues(tail, r)) tail.hi = r.hi;
  else ranges.push({ ...r });
}

function continues(a: HostRange, b: HostRange): boolean {
  return !a.single && !b.single && a.hi === b.lo - 1 && a.prefix === b.prefix && widthsCompatible(a, b);
}

// ---- widths ----

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function digitCount(n: number): number {
  return String(n).length;
}

/**
 * Slurm's width rule: two runs may share brackets as one run when their widths are equal, or when one
 * width's padding would not change the other's numbers (an unpadded 10 fits any width up to 2: `n[9-10]`,
 * but `n01` and `n1` differ, and `n009` and `n10` differ).
 */
function widthsCompatible(a: HostRange, b: HostRange): boolean {
  const samePad = (n: number, w1: number, w2: number): boolean => Math.max(w1 - digitCount(n), 0) === Math.max(w2 - digitCount(n), 0);
  return a.width === b.width || samePad(a.lo, a.width, b.width) || samePad(b.lo, b.width, a.width);
}

// ---- sorting (hostlistsorted) ----

/** Slurm's order of runs: natural order of prefixes (unnumbered names first), then lowest number or width. */
function compareRanges(a: HostRange, b: HostRange): number {
  const p = natcmp(a.prefix, b.prefix) || Number(b.single) - Number(a.single);
  if (p) return p;
  return widthsCompatible(a, b) ? a.lo - b.lo : a.width - b.width;
}

/**
 * The C library's qsort on Debian (glibc 2.36) is this top-down merge sort; the width rule is not
 * transitive, so another sort algorithm could order mixed widths differently from scontrol.
 */
function mergeSort<T>(items: T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return items;
  const half = items.length >> 1;
  const left = mergeSort(items.slice(0, half), cmp);
  const right = mergeSort(items.slice(half), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) out.push(cmp(left[i]!, right[j]!) <= 0 ? left[i++]! : right[j++]!);
  return out.concat(left.slice(i), right.slice(j));
}

/**
 * Slurm's hostlist_sort: sort, then split overlapping runs so that each duplicated number shows up once
 * per occurrence (`n[1-3],n2` gives `n[1-2,2-3]`), then join runs that became consecutive.
 * Unlike Slurm, a run is only split against a later one that starts at or above it: after a split has
 * raised a run's start, Slurm can take it as overlapping a padded run sorted after it yet lower
 * (`a[9-10],a[9-11],a00`), and then deletes the wrong run and loses names (a[9,9-10,10]).
 */
function sortAndCoalesce(ranges: HostRange[]): void {
  ranges.splice(0, ranges.length, ...mergeSort(ranges, compareRanges));
  for (let i = ranges.length - 1; i > 0; i--) {
    const prev = ranges[i - 1]!;
    const next = ranges[i]!;
    if (!overlaps(prev, next)) continue;
    const lo = next.lo;
    const hi = Math.min(next.hi, prev.hi);
    if (hi < prev.hi) next.hi = prev.hi;
    prev.hi = lo;
    next.lo = hi;
    const dups: HostRange[] = [];
    for (let n = lo; n <= hi; n++) {
      const one = { prefix: prev.prefix, lo: n, hi: n, width: prev.width, single: false };
      if (n > prev.hi) dups.push({ ...one });
      if (n < next.lo) dups.push({ ...one });
    }
    ranges.splice(i, 0, ...dups);
    i = ranges.length; // start over from the end, as Slurm does
  }
  for (let i = ranges.length - 1; i > 0; i--) {
    if (continues(ranges[i - 1]!, ranges[i]!)) {
      ranges[i - 1]!.hi = ranges[i]!.hi;
      ranges.splice(i, 1);
    }
  }
}

function overlaps(prev: HostRange, next: HostRange): boolean {
  if (prev.single || next.single || prev.prefix !== next.prefix) return false;
  return next.lo >= prev.lo && prev.hi > next.lo && widthsCompatible(prev, next);
}

/** Natural order as Slurm's strnatcmp: digit runs by value (by digits when one starts with 0), spaces skipped. */
function natcmp(a: string, b: string): number {
  const isDigit = (c: string): boolean => c >= '0' && c <= '9';
  const isSpace = (c: string): boolean => c !== '' && ' \t\n\v\f\r'.includes(c);
  let ai = 0;
  let bi = 0;
  for (;;) {
    while (isSpace(a.charAt(ai))) ai++;
    while (isSpace(b.charAt(bi))) bi++;
    const ca = a.charAt(ai);
    const cb = b.charAt(bi);
    if (isDigit(ca) && isDigit(cb)) {
      const r = ca === '0' || cb === '0' ? compareLeft(a, ai, b, bi) : compareRight(a, ai, b, bi);
      if (r) return r;
    }
    if (!ca && !cb) return 0;
    if (ca !== cb) return ca < cb ? -1 : 1;
    ai++;
    bi++;
  }
}

/** Digit runs compared as fractions: the first different digit decides. */
function compareLeft(a: string, ai: number, b: string, bi: number): number {
  for (; ; ai++, bi++) {
    const da = /[0-9]/.test(a.charAt(ai));
    const db = /[0-9]/.test(b.charAt(bi));
    if (!da && !db) return 0;
    if (!da) return -1;
    if (!db) return 1;
    if (a[ai]! !== b[bi]!) return a[ai]! < b[bi]! ? -1 : 1;
  }
}

/** Digit runs compared as integers: the longer run wins, else the first different digit. */
function compareRight(a: string, ai: number, b: string, bi: number): number {
  let bias = 0;
  for (; ; ai++, bi++) {
    const da = /[0-9]/.test(a.charAt(ai));
    const db = /[0-9]/.test(b.charAt(bi));
    if (!da && !db) return bias;
    if (!da) return -1;
    if (!db) return 1;
    if (!bias && a[ai]! !== b[bi]!) bias = a[ai]! < b[bi]! ? -1 : 1;
  }
}

// ---- output ----

function size(r: HostRange): number {
  return r.single ? 1 : r.hi - r.lo + 1;
}

function sameBrackets(a: HostRange, b: HostRange | undefined): boolean {
  return b !== undefined && !a.single && !b.single && a.prefix === b.prefix;
}

/** Slurm's ranged string: runs of one prefix share brackets (`n[1-3,7]`); groups are joined with `,`. */
function rangedString(ranges: HostRange[]): string {
  const out: string[] = [];
  for (let i = 0; i < ranges.length;) {
    const first = ranges[i]!;
    const bracket = size(first) > 1 || sameBrackets(first, ranges[i + 1]);
    const nums: string[] = [];
    do {
      const r = ranges[i]!;
      if (!r.single) nums.push(pad(r.lo, r.width) + (r.lo < r.hi ? '-' + pad(r.hi, r.width) : ''));
      i++;
    } while (i < ranges.length && sameBrackets(ranges[i]!, ranges[i - 1]));
    out.push(first.prefix + (bracket ? `[${nums.join(',')}]` : nums.join(',')));
  }
  return out.join(',');
}
