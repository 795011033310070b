/**
 * nsupdate's pure parts: names and values in canonical form, dig's answer parsed, the update script.
 * The script never holds the TSIG secret: the key line is prepended at apply time, on stdin only.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type RrType = 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'TXT';

export interface Rrset {
  ttl: number;
  values: string[];
}

/** A name made absolute (trailing dot, lower case): relative names are under `zone` when one is given. */
export function absName(name: string, zone?: string): string {
  const n = name.trim();
  if (n.endsWith('.')) return n.toLowerCase();
  if (zone) {
    const z = absName(zone);
    if (n === '@' || n === '') return z;
    return `${n}.${z}`.toLowerCase();
  }
  return `${n}.`.toLowerCase();
}

/** An IPv6 address in full (8 groups of 4 hex digits), for comparing dig's compressed form with the argument. */
export function expand6(a: string): string {
  let s = a.toLowerCase();
  if (s.includes('.')) {
    // a trailing dotted quad
    const i = s.lastIndexOf(':');
    const q = s
      .slice(i + 1)
      .split('.')
      .map(Number);
    s = `${s.slice(0, i + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** TXT data as nsupdate and dig write it: one quoted string (a value already quoted is kept). */
export function quoteTxt(v: string): string {
  if (/^".*"$/s.test(v)) return v;
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The canonical form of one value of `type` (what dig prints for it). */
export function canonValue(type: RrType, v: string): string {
  switch (type) {
    case 'A':
      return v.trim();
    case 'AAAA':
      return expand6(v.trim());
    case 'PTR':
    case 'CNAME':
      return absName(v);
    case 'TXT':
      return quoteTxt(v);
  }
}

/** What is wrong with a value of `type`, or undefined. */
export function badValue(type: RrType, v: string): string | undefined {
  if (type === 'A' && !isIPv4(v.trim())) return `'${v}' is not an IPv4 address (type A)`;
  if (type === 'AAAA' && !isIPv6(v.trim())) return `'${v}' is not an IPv6 address (type AAAA)`;
  if ((type === 'PTR' || type === 'CNAME') && !/^[A-Za-z0-9_*]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(v.trim()))
    return `'${v}' is not a host name (type ${type})`;
  return undefined;
}

export interface DigAnswer {
  status: string;
  rrset?: Rrset;
}

/** dig +noall +comments +answer: the status from the header and the rrset of `name`/`type` in the answer. */
export function parseDig(out: string, name: string, type: RrType): DigAnswer {
  const status = /status:\s*([A-Z]+)/.exec(out)?.[1] ?? 'UNKNOWN';
  let ttl: number | undefined;
  const values: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith(';') || !line.trim()) continue;
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (!m || m[1]!.toLowerCase() !== name || m[3]!.toUpperCase() !== type) continue;
    ttl = ttl === undefined ? Number(m[2]) : Math.min(ttl, Number(m[2]));
    values.push(type === 'TXT' ? m[4]!.trim() : canonValue(type, m[4]!));
  }
  return { status, rrset: ttl === undefined ? undefined : { ttl, values } };
}

/** The zone from an SOA query's answer or authority section (the owner of the SOA record). */
export function parseSoaZone(out: string): string | undefined {
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+\d+\s+IN\s+SOA\s/.exec(line.trim());
    if (m) return m[1]!.toLowerCase();
  }
  return undefined;
}

export const sameSet = (a: string[], b: string[]) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

export interface UpdateInput {
  server: string;
  port: number;
  zone: string;
  record: string;
  type: RrType;
}

/** The nsupdate commands (no key line): delete the rrset (or some values), add the new values, send. */
export function updateScript(u: UpdateInput, del: 'rrset' | string[], add: { ttl: number; values: string[] }): string {
  const lines = [`server ${u.server} ${u.port}`, `zone ${u.zone}`];
  if (del === 'rrset') lines.push(`update delete ${u.record} ${u.type}`);
  else for (const v of del) lines.push(`update delete ${u.record} ${u.type} ${v}`);
  for (const v of add.values) lines.push(`update add ${u.record} ${add.ttl} ${u.type} ${v}`);
  lines.push('send', '');
  return lines.join('\n');
}

/** DNS RCODEs by name (RFC 1035, 2136), for dns_rc. */
export const RCODES: Record<string, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
};
