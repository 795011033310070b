/**
 * Host ranges in inventory names, as Ansible expands them (plugins/inventory/__init__.py
 * expand_hostname_range): `node[001:010]`, `node[01:50:2]`, `rack[a:f]`, several ranges per name.
 * Bounds are inclusive; a zero-padded start keeps its width (and then the end must have the same width).
 */
import { parseAddress } from './address.js';

const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Error in a range expression; the inventory parsers add file:line:col. */
export class HostRangeError extends Error {}

export function hasRange(name: string): boolean {
  return name.includes('[');
}

/** Expand every `[begin:end(:step)]` in a host name; names without `[` come back as they are. */
export function expandHostRange(name: string): string[] {
  if (!hasRange(name)) return [name];
  const open = name.indexOf('[');
  const close = name.indexOf(']');
  if (close < open) throw new HostRangeError(`host range in '${name}' has no closing ']'`);
  const head = name.slice(0, open);
  const inner = name.slice(open + 1, close);
  const tail = name.slice(close + 1);
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

  let seq: string[];
  const ib = beg.length === 1 ? letters.indexOf(beg) : -1;
  const ie = end.length === 1 ? letters.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new HostRangeError(`host range must have begin <= end (in '${name}')`);
    seq = [];
    for (let i = ib; i <= ie; i += step) seq.push(letters[i]!);
  } else {
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
    // Ansible silently yields no hosts for begin > end; an empty group is never what was meant.
    if (b > e) throw new HostRangeError(`host range must have begin <= end (in '${name}')`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(String(i).padStart(width, '0'));
  }
  const out: string[] = [];
  for (const s of seq) out.push(...expandHostRange(head + s + tail));
  return out;
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
