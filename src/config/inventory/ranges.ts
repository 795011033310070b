/**
 * Host ranges in inventory names, as Ansible expands them (plugins/inventory/__init__.py
 * expand_hostname_range): `node[001:010]`, `node[01:50:2]`, `rack[a:f]`, several ranges per name.
 * Bounds are inclusive; a zero-padded start keeps its width (and then the end must have the same width).
 * Slurm's form `cloud[001-004,010]` is taken too (a name is in one form or the other), so that a
 * node list copied from slurm.conf names the same hosts.
 */
import { expand, HostlistError, isSlurmRangeSyntax } from '../../../lib/hostlist.js';
import { parseAddress } from './address.js';

const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Error in a range expression; the inventory parsers add file:line:col. */
export class HostRangeError extends Error {}

export function hasRange(name: string): boolean {
  return name.includes('[');
}

/** The most hosts one inventory entry may expand to (a typo like node[0:99999999] would take minutes and GiBs). */
export const MAX_RANGE_HOSTS = 100_000;

/** One `[begin:end(:step)]` of a name: its text and the values it stands for (made lazily: count first). */
interface Range {
  text: string;
  count: number;
  values: () => string[];
}

function parseRange(inner: string, name: string): Range {
  const text = `[${inner}]`;
  const bounds = inner.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostRangeError(`host range must be begin:end or begin:end:step (in '${name}')`);
  }
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const stepText = bounds[2] ?? '1';
  if (!end) throw new HostRangeError(`host range must specify end value (in '${name}')`);
  if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) {
    throw new HostRangeError(`host range step must be a positive integer (in '${name}')`);
  }
  const step = Number(stepText);
  const ib = beg.length === 1 ? letters.indexOf(beg) : -1;
  const ie = end.length === 1 ? letters.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new HostRangeError(`host range must have begin <= end (in '${name}')`);
    return {
      text,
      count: Math.floor((ie - ib) / step) + 1,
      values: () => {
        const seq: string[] = [];
        for (let i = ib; i <= ie; i += step) seq.push(letters[i]!);
        return seq;
      },
    };
  }
  if (!/^[0-9]+$/.test(beg) || !/^[0-9]+$/.test(end)) {
    throw new HostRangeError(`host range bounds must be numbers or single letters (in '${name}')`);
  }
  let width = 0;
  if (beg[0] === '0' && beg.length > 1) {
    width = beg.length;
    if (end.length !== width) {
      throw new HostRangeError(`host range must specify equal-length begin and end formats (in '${name}')`);
    }
  }
  const b = Number.parseInt(beg, 10);
  const e = Number.parseInt(end, 10);
  if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e))
    throw new HostRangeError(`host range bound too large in '${name}' (at most ${Number.MAX_SAFE_INTEGER})`);
  // Ansible silently yields no hosts for begin > end; an empty group is never what was meant.
  if (b > e) throw new HostRangeError(`host range must have begin <= end (in '${name}')`);
  return {
    text,
    count: Math.floor((e - b) / step) + 1,
    values: () => {
      const seq: string[] = [];
      for (let i = b; i <= e; i += step) seq.push(String(i).padStart(width, '0'));
      return seq;
    },
  };
}

/**
 * Expand every `[begin:end(:step)]` in a host name; names without `[` come back as they are. The number of
 * names is computed before any is made: more than MAX_RANGE_HOSTS is an error naming the range.
 */
export function expandHostRange(name: string): string[] {
  if (!hasRange(name)) return [name];
  if (isSlurmRangeSyntax(name)) return expandSlurmRange(name);
  // the name as literal parts and ranges, left to right (as Ansible expands the first range, then the rest)
  const parts: (string | Range)[] = [];
  let rest = name;
  while (hasRange(rest)) {
    const open = rest.indexOf('[');
    const close = rest.indexOf(']');
    if (close < open) throw new HostRangeError(`host range in '${name}' has no closing ']'`);
    parts.push(rest.slice(0, open), parseRange(rest.slice(open + 1, close), name));
    rest = rest.slice(close + 1);
  }
  parts.push(rest);
  const ranges = parts.filter((p): p is Range => typeof p !== 'string');
  let total = 1;
  for (const r of ranges) {
    total *= r.count;
    if (total > MAX_RANGE_HOSTS) {
      const what = ranges.length > 1 ? `the ranges of '${name}' expand` : `host range '${r.text}' in '${name}' expands`;
      throw new HostRangeError(
        `${what} to ${ranges.reduce((n, x) => n * x.count, 1).toLocaleString('en')} hosts; at most ${MAX_RANGE_HOSTS.toLocaleString('en')} are allowed per entry`,
      );
    }
  }
  let names = [''];
  for (const p of parts) {
    if (typeof p === 'string') names = names.map((n) => n + p);
    else {
      const vs = p.values();
      names = names.flatMap((n) => vs.map((v) => n + v));
    }
  }
  return names;
}

/** `cloud[001-004,010]`: Slurm's hostlist (one name; its errors become HostRangeErrors, which get file:line:col). */
function expandSlurmRange(name: string): string[] {
  if (/[\s,]/.test(name.replace(/\[[^\]]*\]/g, ''))) throw new HostRangeError(`one host name expected, not a list: '${name}'`);
  try {
    return expand(name);
  } catch (e) {
    if (e instanceof HostlistError) throw new HostRangeError(e.message);
    throw e;
  }
}

/**
 * A host entry of an inventory file: optional `:port`, then range expansion (Ansible's
 * _expand_hostpattern). Returns the host names and the port (if one was given).
 */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  let name = pattern;
  let port: number | undefined;
  try {
    const a = parseAddress(pattern, true);
    name = a.host;
    port = a.port;
  } catch {
    // not a recognizable address: keep the entry as it is
  }
  const hosts = expandHostRange(name);
  return port === undefined ? { hosts } : { hosts, port };
}
