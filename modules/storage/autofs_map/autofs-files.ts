/**
 * auto.master(5) and autofs(5) map files, as text: the master entry for one mount point and the keyed
 * entries of a map file. Pure functions (facts in, new content out); comments and unrelated lines are kept.
 */
import { ArgsError } from '../../../src/contract/index.js';

export const MAP_HEADER = '# managed by tsplay (autofs_map): entries of other keys are kept, managed keys are rewritten';

export interface MapEntry {
  key: string;
  /** without the leading '-' (e.g. fstype=tmpfs,size=1m or sec=sys,vers=3,nolock,proto=tcp) */
  options?: string;
  location: string;
}

/** `/azure /etc/auto.azure --timeout=60` */
export function masterLine(mountPoint: string, mapFile: string, options: string): string {
  return [mountPoint, mapFile, options].filter(Boolean).join(' ');
}

/** `nfsdata -sec=sys,vers=3,nolock,proto=tcp ACCOUNT.blob.core.windows.net:/ACCOUNT/CONTAINER` */
export function mapLine(e: MapEntry): string {
  return [e.key, e.options ? `-${e.options}` : '', e.location].filter(Boolean).join(' ');
}

export function normalizeOptions(o: string | string[] | undefined): string | undefined {
  if (o === undefined) return undefined;
  const s = (Array.isArray(o) ? o.join(',') : o).trim().replace(/^-/, '');
  return s === '' ? undefined : s;
}

export function checkEntry(e: MapEntry, i: number, direct: boolean): void {
  const at = `/entries/${i}`;
  if (!e.key || /\s/.test(e.key)) throw new ArgsError(`autofs_map: entries[${i}].key '${e.key}' must be one word`, `${at}/key`);
  if (direct && !e.key.startsWith('/'))
    throw new ArgsError(`autofs_map: entries[${i}].key '${e.key}': a direct map (mount_point /-) needs absolute paths as keys`, `${at}/key`);
  if (!direct && e.key.includes('/'))
    throw new ArgsError(`autofs_map: entries[${i}].key '${e.key}': keys of an indirect map are directory names (no '/')`, `${at}/key`);
  if (e.options !== undefined && /\s/.test(e.options)) throw new ArgsError(`autofs_map: entries[${i}].options must not contain blanks`, `${at}/options`);
  if (!e.location || /[\n\\]/.test(e.location)) throw new ArgsError(`autofs_map: entries[${i}].location is empty or has a newline/backslash`, `${at}/location`);
}

function isComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

/** First word of a master line (its mount point), or undefined for comments, blank and +include lines. */
export function masterMountPoint(line: string): string | undefined {
  if (isComment(line) || line.trim().startsWith('+')) return undefined;
  return line.trim().split(/\s+/)[0];
}

/** Does auto.master include the drop-in directory (`+dir:/etc/auto.master.d`)? */
export function includesDir(master: string, dir: string): boolean {
  const d = dir.replace(/\/+$/, '');
  return master.split('\n').some((l) => {
    const m = /^\s*\+dir:(\S+)\s*$/.exec(l);
    return !!m && m[1]!.replace(/\/+$/, '') === d;
  });
}

/** The active line for a mount point, if any. */
export function findMaster(master: string, mountPoint: string): string | undefined {
  return master.split('\n').find((l) => masterMountPoint(l) === mountPoint);
}

function splitLines(text: string): { lines: string[]; nl: boolean } {
  if (text === '') return { lines: [], nl: false };
  const lines = text.split('\n');
  const nl = text.endsWith('\n');
  if (nl) lines.pop();
  return { lines, nl };
}

/**
 * auto.master with exactly `line` for its mount point (null: no entry). An existing line is replaced in place
 * (duplicates removed); a new one goes before the first `+map` include that is not `+dir:` (so it wins over
 * the NIS/LDAP master map, where the first key read takes precedence), else at the end.
 */
export function editMaster(master: string, mountPoint: string, line: string | null): string {
  const { lines } = splitLines(master);
  const out: string[] = [];
  let placed = false;
  for (const l of lines) {
    if (masterMountPoint(l) === mountPoint) {
      if (line !== null && !placed) out.push(line);
      placed = true;
      continue;
    }
    out.push(l);
  }
  if (line !== null && !placed) {
    const i = out.findIndex((l) => /^\s*\+/.test(l) && !/^\s*\+dir:/.test(l));
    if (i >= 0) out.splice(i, 0, line);
    else out.push(line);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

interface MapItem {
  key?: string;
  /** the physical lines (an entry may continue over several with a trailing backslash) */
  raw: string[];
}

export function parseMap(text: string): MapItem[] {
  const { lines } = splitLines(text);
  const items: MapItem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (isComment(l)) {
      items.push({ raw: [l] });
      continue;
    }
    const raw = [l];
    while (raw[raw.length - 1]!.endsWith('\\') && i + 1 < lines.length) raw.push(lines[++i]!);
    items.push({ key: l.trim().split(/\s+/)[0], raw });
  }
  return items;
}

/** Keys present in a map file. */
export function mapKeys(text: string): string[] {
  return parseMap(text).flatMap((it) => (it.key !== undefined ? [it.key] : []));
}

export interface MapEdit {
  present: MapEntry[];
  absent: string[];
  /** drop every entry whose key is not in `present` */
  exclusive: boolean;
}

/** The map file after the edit (header first; existing entries replaced in place, new ones appended). */
export function editMap(text: string | null, edit: MapEdit): string {
  const items = parseMap(text ?? '');
  const want = new Map(edit.present.map((e) => [e.key, mapLine(e)]));
  const drop = new Set(edit.absent);
  const done = new Set<string>();
  const out: string[] = [];
  for (const it of items) {
    if (it.key === undefined) {
      out.push(...it.raw);
      continue;
    }
    if (want.has(it.key)) {
      if (!done.has(it.key)) out.push(want.get(it.key)!);
      done.add(it.key);
      continue;
    }
    if (drop.has(it.key) || edit.exclusive) continue;
    out.push(...it.raw);
  }
  for (const [k, line] of want) if (!done.has(k)) out.push(line);
  if (out[0] !== MAP_HEADER) out.unshift(MAP_HEADER);
  return out.join('\n') + '\n';
}
