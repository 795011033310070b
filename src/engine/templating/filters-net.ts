/** ansible.utils IP filters (ipaddr, ipv4, ipv6, network_in_usable, ...) on the ip-address package. */
import { Address4, Address6 } from 'ip-address';
import type { FilterDef } from './evaluate.js';
import { pyStr } from './py.js';

interface Net {
  v: 4 | 6;
  addr: bigint;
  prefix: number;
  /** a prefix or netmask was written */
  hasPrefix: boolean;
}

const bitsOf = (v: 4 | 6) => (v === 4 ? 32 : 128);

export function parseIp(input: unknown): Net | null {
  if (typeof input !== 'string' && typeof input !== 'number') return null;
  let s = String(input).trim();
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0) return null;
    return { v: 4, addr: BigInt(input), prefix: 32, hasPrefix: false };
  }
  let prefix: number | undefined;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    s = s.slice(0, slash);
    if (/^\d+$/.test(p)) prefix = Number(p);
    else if (Address4.isValid(p)) {
      const m = new Address4(p).bigInt();
      const bin = m.toString(2).padStart(32, '0');
      if (!/^1*0*$/.test(bin)) return null;
      prefix = bin.indexOf('0') < 0 ? 32 : bin.indexOf('0');
    } else return null;
  }
  try {
    if (Address4.isValid(s) && /^\d+\.\d+\.\d+\.\d+$/.test(s)) {
      if (prefix !== undefined && prefix > 32) return null;
      return { v: 4, addr: new Address4(s).bigInt(), prefix: prefix ?? 32, hasPrefix: prefix !== undefined };
    }
    if (s.includes(':') && Address6.isValid(s)) {
      if (prefix !== undefined && prefix > 128) return null;
      return { v: 6, addr: new Address6(s).bigInt(), prefix: prefix ?? 128, hasPrefix: prefix !== undefined };
    }
  } catch {
    return null;
  }
  return null;
}

const mask = (n: Net) => ((1n << BigInt(bitsOf(n.v))) - 1n) ^ ((1n << BigInt(bitsOf(n.v) - n.prefix)) - 1n);
const network = (n: Net) => n.addr & mask(n);
const broadcast = (n: Net) => network(n) | ((1n << BigInt(bitsOf(n.v) - n.prefix)) - 1n);
export function fmt(v: 4 | 6, a: bigint): string {
  return v === 4 ? Address4.fromBigInt(a).correctForm() : Address6.fromBigInt(a).correctForm();
}

export function inNet(addr: Net, net: Net): boolean {
  return addr.v === net.v && addr.prefix >= net.prefix && (addr.addr & mask(net)) === network(net);
}

function isPrivate(n: Net): boolean {
  const nets =
    n.v === 4 ? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10'] : ['fc00::/7', 'fe80::/10', '::1/128'];
  return nets.some((x) => inNet({ ...n, prefix: bitsOf(n.v) }, parseIp(x)!));
}

function query(value: unknown, q: string, version?: 4 | 6): unknown {
  const n = parseIp(value);
  if (!n || (version && n.v !== version)) return false;
  const s = pyStr(value);
  const bits = bitsOf(n.v);
  switch (q) {
    case '':
    case 'bool':
      return q === 'bool' ? true : s;
    case 'address':
      return n.hasPrefix && n.prefix < bits - 1 && n.addr === network(n) ? false : fmt(n.v, n.addr);
    case 'network':
      return fmt(n.v, network(n));
    case 'prefix':
      return n.prefix;
    case 'netmask':
      return fmt(n.v, mask(n));
    case 'hostmask':
      return fmt(n.v, (1n << BigInt(bits - n.prefix)) - 1n);
    case 'broadcast':
      return n.v === 4 && n.prefix < 31 ? fmt(n.v, broadcast(n)) : null;
    case 'size':
      return Number(broadcast(n) - network(n) + 1n);
    case 'host':
      return !n.hasPrefix || n.prefix === bits || n.addr !== network(n) ? `${fmt(n.v, n.addr)}/${n.prefix}` : false;
    case 'net':
      return n.hasPrefix && n.addr === network(n) ? s : null;
    case 'host/prefix':
      return n.addr !== network(n) || n.prefix >= bits - 1 ? `${fmt(n.v, n.addr)}/${n.prefix}` : false;
    case 'network/prefix':
    case 'subnet':
    case 'cidr':
      return `${fmt(n.v, network(n))}/${n.prefix}`;
    case 'address/prefix':
    case 'ip/prefix':
      return `${fmt(n.v, n.addr)}/${n.prefix}`;
    case 'ipv4':
      return n.v === 4 ? s : false;
    case 'ipv6':
      return n.v === 6 ? s : false;
    case 'version':
      return n.v;
    case 'private':
      return isPrivate(n) ? s : null;
    case 'public':
      return isPrivate(n) ? null : s;
    case 'revdns':
      return n.v === 4
        ? fmt(4, n.addr).split('.').reverse().join('.') + '.in-addr.arpa.'
        : [...n.addr.toString(16).padStart(32, '0')].reverse().join('.') + '.ip6.arpa.';
    case 'int':
      return Number(n.addr);
    case 'first_usable':
      return n.prefix >= bits - 1 ? null : fmt(n.v, network(n) + 1n);
    case 'last_usable':
      return n.prefix >= bits - 1 ? null : fmt(n.v, broadcast(n) - 1n);
  }
  if (/^-?\d+$/.test(q)) {
    const i = BigInt(q);
    const size = broadcast(n) - network(n) + 1n;
    if (i >= size || -i > size) return false;
    const a = i >= 0n ? network(n) + i : broadcast(n) + 1n + i;
    return `${fmt(n.v, a)}/${n.prefix}`;
  }
  const sub = parseIp(q);
  if (sub) return inNet(n, sub) ? s : null;
  throw new Error(`Unknown ipaddr query: ${q}`);
}

function ipfilter(version?: 4 | 6): FilterDef {
  return {
    fn: (_e, v, [q]) => {
      const qs = q === undefined || q === null ? '' : pyStr(q);
      if (Array.isArray(v)) return v.map((x) => query(x, qs, version)).filter((r) => r !== false && r !== null && r !== '');
      return query(v, qs, version);
    },
  };
}

export const netFilters: Record<string, FilterDef> = {
  ipaddr: ipfilter(),
  ipv4: ipfilter(4),
  ipv6: ipfilter(6),
  ipwrap: {
    fn: (_e, v) => {
      const n = parseIp(v);
      return n?.v === 6 && !n.hasPrefix ? `[${pyStr(v)}]` : v;
    },
  },
  network_in_usable: {
    fn: (_e, v, [test]) => {
      const net = parseIp(v);
      const a = parseIp(test);
      if (!net || !a) throw new Error(`network_in_usable: invalid address '${pyStr(!net ? v : test)}'`);
      if (!inNet({ ...a, prefix: bitsOf(a.v) }, net)) return false;
      if (net.prefix >= bitsOf(net.v) - 1) return true;
      return a.addr !== network(net) && a.addr !== broadcast(net);
    },
  },
  network_in_network: {
    fn: (_e, v, [test]) => {
      const net = parseIp(v);
      const t = parseIp(test);
      if (!net || !t) throw new Error(`network_in_network: invalid address`);
      return inNet(t, net);
    },
  },
  nthhost: {
    fn: (_e, v, [i]) => {
      const n = parseIp(v);
      if (!n) return false;
      const r = query(v, String(i));
      return typeof r === 'string' ? r.split('/')[0] : r;
    },
  },
};
