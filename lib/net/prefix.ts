/**
 * IP addresses and prefixes for the gateway modules (libreswan_conn, firewalld, route), on the ip-address
 * package: parse with a clear error, host bits, containment and overlap, dotted netmasks.
 */
import { Address4, Address6 } from 'ip-address';

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  /** network address, canonical text (host bits cleared) */
  network: string;
  bits: number;
  /** first and last address as integers */
  first: bigint;
  last: bigint;
  /** the text as given */
  text: string;
  /** the given address had bits set beyond the prefix (10.2.0.1/16) */
  hostBits: boolean;
}

/** An IPv4 or IPv6 literal (no prefix), or undefined. */
export function parseAddress(text: string): { family: Family; address: string; value: bigint } | undefined {
  const t = text.trim();
  if (t.includes('/')) return undefined;
  if (Address4.isValid(t)) {
    const a = new Address4(t);
    return { family: 4, address: a.correctForm(), value: a.bigInt() };
  }
  if (Address6.isValid(t)) {
    const a = new Address6(t);
    return { family: 6, address: a.correctForm(), value: a.bigInt() };
  }
  return undefined;
}

/** "10.2.0.0/16" (a bare address is a /32 or /128), or undefined when it is not a valid prefix. */
export function parsePrefix(text: string): Prefix | undefined {
  const t = text.trim();
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(t);
  if (!m) return undefined;
  const addr = parseAddress(m[1]!);
  if (!addr) return undefined;
  const max = addr.family === 4 ? 32 : 128;
  const bits = m[2] === undefined ? max : Number(m[2]);
  if (bits > max) return undefined;
  const size = 1n << BigInt(max - bits);
  const first = (addr.value / size) * size;
  const last = first + size - 1n;
  const network = addr.family === 4 ? Address4.fromBigInt(first).correctForm() : Address6.fromBigInt(first).correctForm();
  return { family: addr.family, network, bits, first, last, text: t, hostBits: first !== addr.value };
}

/** "10.2.0.0/16" from a parsed prefix (host bits cleared). */
export function prefixText(p: Prefix): string {
  return `${p.network}/${p.bits}`;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function containsAddress(p: Prefix, addr: { family: Family; value: bigint }): boolean {
  return p.family === addr.family && p.first <= addr.value && addr.value <= p.last;
}

/** The whole address space (0.0.0.0/0, ::/0): a full tunnel, which overlaps everything on purpose. */
export function isDefaultPrefix(p: Prefix): boolean {
  return p.bits === 0;
}

/** 16 → "255.255.0.0" */
export function netmask4(bits: number): string {
  const n = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** "255.255.0.0" → 16 (undefined when the mask is not contiguous) */
export function maskBits4(mask: string): number | undefined {
  if (!Address4.isValid(mask)) return undefined;
  const n = Number(new Address4(mask).bigInt());
  const bits = n.toString(2).replace(/^0+/, '');
  if (n === 0) return 0;
  if (bits.length !== 32 || /01/.test(bits)) return undefined;
  return bits.indexOf('0') < 0 ? 32 : bits.indexOf('0');
}

/** A DNS host name (RFC 1123 labels). */
export function isHostname(s: string): boolean {
  return s.length <= 253 && /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(s);
}

/** Text that is meant as an IP literal (so it must parse as one): digits and dots, or a colon. */
export function looksLikeAddress(s: string): boolean {
  return /^[0-9.]+(\/\d*)?$/.test(s.trim()) || s.includes(':');
}
