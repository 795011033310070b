/**
 * dns_zone's pure parts: a BIND master-file parser that keeps every line (RFC 1035 §5: $ORIGIN, $TTL,
 * relative names, @, blank owners inheriting the previous one, parentheses spanning lines, comments, quoted
 * strings), the edit of one rrset (a changed value replaces the old line in place, a new record goes after
 * the owner's other records or at the end) and the SOA serial raised (YYYYMMDDnn when it looks like a date,
 * else +1, modulo 2^32).
 */
import { absName, canonValue, quoteTxt, sameSet, type RrType } from '../nsupdate/nsupdate-plan.js';

export interface Tok {
  text: string;
  line: number;
  start: number;
  end: number;
  quoted: boolean;
}

export interface ZoneRecord {
  /** first and last line (0-based, inclusive) */
  first: number;
  last: number;
  ownerExplicit: boolean;
  /** absolute, lower case */
  owner: string;
  /** the record whose explicit owner a blank-owner record inherits */
  ownerFrom: number;
  origin: string;
  ttl?: number;
  effTtl: number;
  cls: string;
  type: string;
  rdata: Tok[];
}

export interface ParsedZone {
  lines: string[];
  records: ZoneRecord[];
  /** the $ORIGIN in effect at the end of the file */
  endOrigin: string;
  includes: number;
}

const TTL_RE = /^(\d+[wdhms]?)+$/i;
const CLASS_RE = /^(IN|CH|HS|CS|CLASS\d+)$/i;

/** A BIND TTL (3600, 1h, 1h30m, 2w) in seconds, or undefined. */
export function parseTtl(s: string): number | undefined {
  if (!TTL_RE.test(s)) return undefined;
  if (/^\d+$/.test(s)) return Number(s);
  const mult: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
  let n = 0;
  for (const m of s.toLowerCase().matchAll(/(\d+)([wdhms]?)/g)) n += Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
  return n;
}

/** The tokens of one physical line and the parenthesis depth after it. */
function lexLine(line: string, li: number, depth0: number): { toks: Tok[]; depth: number } {
  const toks: Tok[] = [];
  let depth = depth0;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === ';') break;
    else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      toks.push({ text: line.slice(i + 1, Math.min(j, line.length)), line: li, start: i, end: Math.min(j + 1, line.length), quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && !' \t\r;()"'.includes(line[j]!)) j += line[j] === '\\' ? 2 : 1;
      toks.push({ text: line.slice(i, j), line: li, start: i, end: j, quoted: false });
      i = j;
    }
  }
  return { toks, depth };
}

/** Parse a zone file whose origin is `zone`. Throws on what it cannot follow (unbalanced parentheses). */
export function parseZone(text: string, zone: string): ParsedZone {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const records: ZoneRecord[] = [];
  let origin = absName(zone);
  let defaultTtl: number | undefined;
  let lastTtl: number | undefined;
  let soaMin: number | undefined;
  let lastOwner: string | undefined;
  let lastOwnerFrom = -1;
  let includes = 0;
  for (let li = 0; li < lines.length; li++) {
    const first = li;
    let { toks, depth } = lexLine(lines[li]!, li, 0);
    while (depth > 0 && li + 1 < lines.length) {
      li++;
      const r = lexLine(lines[li]!, li, depth);
      toks = toks.concat(r.toks);
      depth = r.depth;
    }
    if (depth !== 0) throw new Error(`line ${first + 1}: unbalanced parentheses`);
    if (!toks.length) continue;
    const ownerExplicit = !/^[ \t]/.test(lines[first]!);
    const t0 = toks[0]!;
    if (ownerExplicit && t0.text.startsWith('$') && !t0.quoted) {
      const d = t0.text.toUpperCase();
      if (d === '$ORIGIN' && toks[1]) origin = absName(toks[1].text, origin);
      else if (d === '$TTL' && toks[1]) defaultTtl = parseTtl(toks[1].text);
      else if (d === '$INCLUDE') includes++;
      continue;
    }
    let k = 0;
    let owner: string;
    let ownerFrom: number;
    if (ownerExplicit) {
      owner = absName(t0.text, origin);
      ownerFrom = records.length;
      k = 1;
    } else {
      if (lastOwner === undefined) throw new Error(`line ${first + 1}: a record without an owner name before any owner`);
      owner = lastOwner;
      ownerFrom = lastOwnerFrom;
    }
    let ttl: number | undefined;
    let cls = 'IN';
    for (let n = 0; n < 2 && k < toks.length - 1; n++) {
      const t = toks[k]!.text;
      if (ttl === undefined && TTL_RE.test(t)) {
        ttl = parseTtl(t);
        k++;
      } else if (CLASS_RE.test(t)) {
        cls = t.toUpperCase();
        k++;
      }
    }
    const type = (toks[k]?.text ?? '').toUpperCase();
    const rdata = toks.slice(k + 1);
    if (type === 'SOA' && rdata[6]) soaMin = parseTtl(rdata[6].text);
    if (ttl !== undefined) lastTtl = ttl;
    const effTtl = ttl ?? defaultTtl ?? lastTtl ?? soaMin ?? 0;
    records.push({ first, last: li, ownerExplicit, owner, ownerFrom, origin, ttl, effTtl, cls, type, rdata });
    lastOwner = owner;
    lastOwnerFrom = ownerFrom;
  }
  return { lines, records, endOrigin: origin, includes };
}

/** The canonical value of a record's data in the file (names made absolute under the record's origin). */
export function fileValue(r: ZoneRecord): string {
  if (r.type === 'TXT') return r.rdata.map((t) => (t.quoted ? `"${t.text}"` : quoteTxt(t.text))).join(' ');
  const v = r.rdata[0]?.text ?? '';
  if (r.type === 'PTR' || r.type === 'CNAME') return absName(v, r.origin);
  return canonValue(r.type as RrType, v);
}

/** The owner as written under `origin`: @, relative, or absolute. */
export function ownerText(owner: string, origin: string): string {
  if (owner === origin) return '@';
  if (owner.endsWith(`.${origin}`)) return owner.slice(0, -origin.length - 1);
  return owner;
}

/** The value as written in the file (names absolute, TXT quoted). */
export function valueText(type: RrType, v: string): string {
  if (type === 'PTR' || type === 'CNAME') return absName(v);
  if (type === 'TXT') return quoteTxt(v);
  return v.trim();
}

export interface EditSpec {
  zone: string;
  record: string;
  type: RrType;
  values: string[];
  ttl: number;
  state: 'present' | 'absent';
}

export interface EditResult {
  text: string;
  before: { ttl: number; values: string[] } | undefined;
  what: string;
  serialBefore?: number;
  serialAfter?: number;
}

/** The SOA serial of the zone in the file, when there is one. */
export function currentSerial(text: string, zone: string): number | undefined {
  const z = absName(zone);
  const t = parseZone(text, z).records.find((r) => r.type === 'SOA' && r.owner === z)?.rdata[2]?.text;
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}

const MAX_SERIAL = 4294967295;

/** The next serial: YYYYMMDDnn when the current one looks like a date (today's 00, or +1 if that is not above it), else +1; modulo 2^32 (0 skipped). */
export function nextSerial(cur: number, now: Date): number {
  const s = String(cur);
  const m = /^(\d{4})(\d{2})(\d{2})\d{2}$/.exec(s);
  let next = cur + 1;
  if (m && +m[1]! >= 1990 && +m[1]! <= 2100 && +m[2]! >= 1 && +m[2]! <= 12 && +m[3]! >= 1 && +m[3]! <= 31) {
    const today = Number(`${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}${String(now.getUTCDate()).padStart(2, '0')}00`);
    next = Math.max(today, cur + 1);
  }
  if (next > MAX_SERIAL) next = next - MAX_SERIAL - 1;
  return next === 0 ? 1 : next;
}

/** Edit one rrset of the zone text; undefined when it already is as asked. */
export function editZone(text: string, spec: EditSpec, now: Date): EditResult | undefined {
  const z = parseZone(text, spec.zone);
  const zone = absName(spec.zone);
  const owner = absName(spec.record, zone);
  const matches = z.records.filter((r) => r.owner === owner && r.type === spec.type && r.cls === 'IN');
  const before = matches.length ? { ttl: Math.min(...matches.map((r) => r.effTtl)), values: matches.map(fileValue) } : undefined;
  const want = [...new Set(spec.values.map((v) => canonValue(spec.type, v)))];
  const wantText = new Map<string, string>();
  for (const v of spec.values) if (!wantText.has(canonValue(spec.type, v))) wantText.set(canonValue(spec.type, v), valueText(spec.type, v));

  // line index -> replacement lines (an empty array removes it)
  const replace = new Map<number, string[]>();
  const removed = new Set<number>(); // record indexes removed without a same-owner line in their place
  let kept: number | undefined; // the record replaced in place by lines of the same owner
  let what: string;
  const idx = (r: ZoneRecord) => z.records.indexOf(r);
  const drop = (r: ZoneRecord) => {
    for (let l = r.first; l <= r.last; l++) replace.set(l, []);
  };
  const lineFor = (origin: string, v: string) => `${ownerText(owner, origin)}\t${spec.ttl}\tIN\t${spec.type}\t${wantText.get(v) ?? v}`;
  if (spec.state === 'present') {
    if (before && matches.every((r) => r.effTtl === spec.ttl) && sameSet(before.values, want) && before.values.length === want.length) return undefined;
    what = !before ? 'add' : sameSet(before.values, want) ? `ttl ${before.ttl} -> ${spec.ttl}` : 'replace';
    if (matches.length) {
      const [m0, ...rest] = matches;
      drop(m0!);
      replace.set(
        m0!.first,
        want.map((v) => lineFor(m0!.origin, v)),
      );
      kept = idx(m0!);
      for (const r of rest) {
        drop(r);
        removed.add(idx(r));
      }
    } else {
      const same = z.records.filter((r) => r.owner === owner);
      const after = same.length ? same[same.length - 1]! : undefined;
      if (after) {
        const old = replace.get(after.last) ?? [z.lines[after.last]!];
        // after the owner's last record; a continuation (parenthesised) record keeps all its lines
        replace.set(after.last, [...old, ...want.map((v) => lineFor(after.origin, v))]);
      } else {
        const l = z.lines.length - 1;
        const ends = l < 0 ? [] : [z.lines[l]!];
        replace.set(Math.max(l, 0), [...ends, ...want.map((v) => lineFor(z.endOrigin, v))]);
      }
    }
  } else {
    if (!before) return undefined;
    const gone = want.length ? matches.filter((r) => want.includes(fileValue(r))) : matches;
    if (!gone.length) return undefined;
    what = `delete${want.length ? ` (${gone.length} of ${matches.length})` : ''}`;
    for (const r of gone) {
      drop(r);
      removed.add(idx(r));
    }
  }
  // a blank-owner record that inherited its owner from a removed line gets the owner written out
  z.records.forEach((r, i) => {
    if (r.ownerExplicit || removed.has(i) || replace.get(r.first)?.length === 0 || r.ownerFrom === kept) return;
    if (!removed.has(r.ownerFrom)) return;
    replace.set(r.first, [`${ownerText(r.owner, r.origin)}${z.lines[r.first]}`]);
  });

  // the SOA serial
  const lines = [...z.lines];
  const soa = z.records.find((r) => r.type === 'SOA' && r.owner === zone);
  let serialBefore: number | undefined;
  let serialAfter: number | undefined;
  const st = soa?.rdata[2];
  if (st && /^\d+$/.test(st.text)) {
    serialBefore = Number(st.text);
    serialAfter = nextSerial(serialBefore, now);
    const l = lines[st.line]!;
    lines[st.line] = l.slice(0, st.start) + String(serialAfter) + l.slice(st.end);
    const r = replace.get(st.line);
    if (r && r.length) r[0] = lines[st.line]!;
  }
  const out: string[] = [];
  lines.forEach((l, i) => {
    const r = replace.get(i);
    if (r === undefined) out.push(l);
    else out.push(...r);
  });
  if (!z.lines.length) out.push(...(replace.get(0) ?? []));
  return { text: out.join('\n') + '\n', before, what, serialBefore, serialAfter };
}
