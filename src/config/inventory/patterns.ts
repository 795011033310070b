/**
 * Host patterns, evaluated like Ansible's InventoryManager (inventory/manager.py):
 *   `a,b` or `a:b` unions, `&x` intersections, `!x` exclusions (applied in that order whatever the
 *   written order), `web*` / `db?[0-9]` globs (fnmatch), `~regex` (anchored at the start),
 *   `group[0]`, `group[-1]`, `group[1:3]`, `group[2:]` subscripts, `all` / `*`.
 * A plain word matches a group of that name, else a host of that name; a glob or regex matches
 * groups and hosts. `localhost` (and 127.0.0.1, ::1) match the implicit localhost when not in the
 * inventory. Results keep Ansible's order: first appearance, groups' hosts in inventory order.
 * Slurm's hostlists work too: `cloud[001-004,010]` on a name that is not a group stands for the groups or
 * hosts cloud001..cloud004, cloud010 (on a group, `web[0-2]` stays Ansible's subscript).
 */
import { expand, fold, HostlistError, isSlurmRangeSyntax } from '../../../lib/hostlist.js';
import { TsplayError } from '../../errors.js';
import { parseAddress } from './address.js';
import type { InventoryData } from './model.js';
import { globToRegExp } from '../../../lib/shell/glob.js';

export const LOCALHOST_NAMES = ['127.0.0.1', 'localhost', '::1'];

/** Split a pattern string (or list of them) into single patterns (Ansible's split_host_pattern). */
export function splitHostPattern(pattern: string | string[]): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap((p) => splitHostPattern(p));
  let parts: string[];
  if (pattern.includes(',')) {
    parts = splitCommas(pattern);
  } else {
    try {
      parseAddress(pattern, true);
      parts = [pattern];
    } catch {
      // ':'-separated (kept for compatibility; IPv6 addresses and [x:y] ranges survive)
      parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
    }
  }
  return parts.map((p) => p.trim()).filter((p) => p);
}

/** Split at commas outside brackets: in `cloud[1,3],web` the first comma belongs to a Slurm range list. */
function splitCommas(pattern: string): string[] {
  const parts = [''];
  let inBracket = false;
  for (const c of pattern) {
    if (c === ',' && !inBracket) parts.push('');
    else parts[parts.length - 1] += c;
    if (c === '[') inBracket = true;
    else if (c === ']') inBracket = false;
  }
  return parts;
}

/** Unions first, then intersections, then exclusions; only & and ! given means `all` first. */
export function orderPatterns(patterns: string[]): string[] {
  const regular: string[] = [];
  const inter: string[] = [];
  const excl: string[] = [];
  for (const p of patterns) {
    if (!p) continue;
    if (p[0] === '!') excl.push(p);
    else if (p[0] === '&') inter.push(p);
    else regular.push(p);
  }
  return [...(regular.length ? regular : ['all']), ...inter, ...excl];
}

/** A `~regex` pattern: Python re.match semantics (anchored at the start only). */
export function regexPattern(src: string): RegExp {
  let flags = '';
  let body = src;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(body);
  if (inline) {
    if (inline[1]!.includes('i')) flags += 'i';
    if (inline[1]!.includes('s')) flags += 's';
    if (inline[1]!.includes('m')) flags += 'm';
    body = body.slice(inline[0].length);
  }
  body = body
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  try {
    return new RegExp(`^(?:${body})`, flags);
  } catch {
    throw new TsplayError('inventory', `Invalid host list pattern: ~${src}`);
  }
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

type Subscript = [number, number | undefined];

function splitSubscript(pattern: string, warn: (m: string) => void): [string, Subscript | undefined] {
  if (pattern[0] === '~') return [pattern, undefined];
  const m = SUBSCRIPT.exec(pattern);
  if (!m) return [pattern, undefined];
  if (m[2] !== undefined) return [m[1]!, [Number(m[2]), undefined]];
  if (m[4] === '-') warn('Use [x:y] inclusive subscripts instead of [x-y] which has been removed');
  return [m[1]!, [Number(m[3]), m[5] ? Number(m[5]) : -1]];
}

/** Python slicing as Ansible's _apply_subscript uses it; an index past the end is an error. */
function applySubscript<T>(items: T[], sub: Subscript | undefined, pattern: string): T[] {
  if (!items.length || !sub) return items;
  const [start, end0] = sub;
  if (end0) {
    const end = end0 === -1 ? items.length - 1 : end0;
    return items.slice(start, end + 1);
  }
  const idx = start < 0 ? items.length + start : start;
  if (idx < 0 || idx >= items.length) {
    throw new TsplayError('inventory', `No hosts matched the subscripted pattern '${pattern}'`);
  }
  return [items[idx]!];
}

export interface SelectResult {
  hosts: string[];
  /** Patterns that matched no group and no host (Ansible warns "Could not match supplied host pattern, ignoring: X"). */
  unmatched: string[];
}

/** Evaluates patterns against one inventory; caches single-pattern results. */
export class PatternMatcher {
  private readonly cache = new Map<string, string[]>();
  readonly unmatched = new Set<string>();
  constructor(
    private readonly inv: InventoryData,
    private readonly warn: (m: string) => void = () => {},
  ) {}

  /** Hosts matching already-split patterns, applying unions, then &, then ! (Ansible's _evaluate_patterns). */
  evaluate(patterns: string[]): string[] {
    let hosts: string[] = [];
    for (const p of orderPatterns(patterns)) {
      if (this.inv.hosts.has(p)) {
        hosts.push(p);
        continue;
      }
      const that = this.matchOne(p);
      if (p[0] === '!') {
        const s = new Set(that);
        hosts = hosts.filter((h) => !s.has(h));
      } else if (p[0] === '&') {
        const s = new Set(that);
        hosts = hosts.filter((h) => s.has(h));
      } else {
        const existing = new Set(hosts);
        hosts.push(...that.filter((h) => !existing.has(h)));
      }
    }
    return [...new Set(hosts)];
  }

  private matchOne(pattern: string): string[] {
    const p = pattern[0] === '&' || pattern[0] === '!' ? pattern.slice(1) : pattern;
    let hit = this.cache.get(p);
    if (!hit) {
      hit = this.hostlist(p);
      if (!hit) {
        const [expr, sub] = splitSubscript(p, this.warn);
        hit = applySubscript(this.enumerate(expr), sub, p);
      }
      this.cache.set(p, hit);
    }
    return hit;
  }

  /**
   * A Slurm hostlist (`cloud[001-004,010]`, `r[1-2]n[1-3]`): each name is a group or a host of that name.
   * Not one when the name before the last `[` is a group (`web[0-2]` is Ansible's subscript of group web),
   * nor for globs and regexes. Names matching nothing are reported together, folded (`cloud[005-009]`).
   */
  private hostlist(pattern: string): string[] | undefined {
    if (pattern[0] === '~' || /[*?]/.test(pattern) || !isSlurmRangeSyntax(pattern)) return undefined;
    if (this.inv.groups.has(pattern.slice(0, pattern.lastIndexOf('[')))) return undefined;
    let names: string[];
    try {
      names = expand(pattern);
    } catch (e) {
      if (e instanceof HostlistError) throw new TsplayError('inventory', `Invalid host list pattern: ${e.message}`);
      throw e;
    }
    const hosts: string[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const group = this.inv.groups.get(name);
      if (group) hosts.push(...group.allHosts().map((h) => h.name));
      else if (this.inv.hosts.has(name)) hosts.push(name);
      else missing.push(name);
    }
    if (missing.length) this.unmatched.add(fold(missing));
    return hosts;
  }

  private enumerate(pattern: string): string[] {
    if (!pattern) return [];
    const re = pattern[0] === '~' ? regexPattern(pattern.slice(1)) : globToRegExp(pattern);
    const results: string[] = [];
    let groupsMatched = false;
    for (const g of this.inv.groups.values()) {
      if (!re.test(g.name)) continue;
      groupsMatched = true;
      for (const h of g.allHosts()) results.push(h.name);
    }
    if (!groupsMatched || pattern[0] === '~' || /[.?*[]/.test(pattern)) {
      for (const name of this.inv.hosts.keys()) if (re.test(name)) results.push(name);
    }
    if (!results.length && LOCALHOST_NAMES.includes(pattern)) {
      // a localhost-like host of the inventory stands for localhost; otherwise the implicit one
      results.push([...this.inv.hosts.keys()].find((n) => LOCALHOST_NAMES.includes(n)) ?? pattern);
    }
    if (!results.length && !groupsMatched && pattern !== 'all') this.unmatched.add(pattern);
    return results;
  }
}
