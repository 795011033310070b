/**
 * fstab(5) lines and /proc/self/mountinfo (proc(5)) as data. Fields with blanks are octal-escaped (\040),
 * as mount(8) and Ansible's mount module write them.
 */

export interface FstabEntry {
  src: string;
  path: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

export function escapeField(s: string): string {
  return s.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011').replace(/\n/g, '\\012');
}

export function unescapeField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function fstabLine(e: FstabEntry): string {
  return [e.src, e.path, e.fstype, e.opts, e.dump, e.passno].map(escapeField).join(' ');
}

/** The fields of an fstab line (unescaped), or undefined for comments/blank/malformed lines. */
export function parseFstabLine(line: string): FstabEntry | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  const f = t.split(/\s+/).map(unescapeField);
  if (f.length < 2) return undefined;
  return { src: f[0]!, path: f[1]!, fstype: f[2] ?? 'auto', opts: f[3] ?? 'defaults', dump: f[4] ?? '0', passno: f[5] ?? '0' };
}

/** The entries for a mount point (normally one; a later duplicate wins for mount(8)). */
export function fstabEntries(text: string, path: string): FstabEntry[] {
  return text.split('\n').flatMap((l) => {
    const e = parseFstabLine(l);
    return e && e.path === path ? [e] : [];
  });
}

function same(a: FstabEntry, b: FstabEntry): boolean {
  return a.src === b.src && a.path === b.path && a.fstype === b.fstype && a.opts === b.opts && a.dump === b.dump && a.passno === b.passno;
}

/**
 * fstab with exactly one entry for `want.path` (want null: none). The first existing entry is replaced in place
 * (left alone when its fields already match, whatever its spacing), later duplicates are removed, a new entry
 * is appended.
 */
export function editFstab(text: string, path: string, want: FstabEntry | null): string {
  const lines = text === '' ? [] : text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const out: string[] = [];
  let placed = false;
  for (const l of lines) {
    const e = parseFstabLine(l);
    if (!e || e.path !== path) {
      out.push(l);
      continue;
    }
    if (want && !placed) out.push(same(e, want) ? l : fstabLine(want));
    placed = true;
  }
  if (want && !placed) out.push(fstabLine(want));
  return out.length ? out.join('\n') + '\n' : '';
}

export interface MountInfo {
  /** the mount's root within its filesystem (a bind mount's source directory) */
  root: string;
  path: string;
  opts: string;
  fstype: string;
  source: string;
  superOpts: string;
}

/** proc(5) mountinfo: `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue` */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0) continue;
    out.push({
      root: unescapeField(f[3]!),
      path: unescapeField(f[4]!),
      opts: f[5]!,
      fstype: f[dash + 1]!,
      source: unescapeField(f[dash + 2]!),
      superOpts: f[dash + 3] ?? '',
    });
  }
  return out;
}

/** The mount now visible at `path` (the last, i.e. topmost, one). */
export function mountAt(mounts: MountInfo[], path: string): MountInfo | undefined {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  for (let i = mounts.length - 1; i >= 0; i--) if (mounts[i]!.path === p) return mounts[i];
  return undefined;
}

export function hasOpt(opts: string, name: string): boolean {
  return opts.split(',').includes(name);
}

export function isBind(opts: string): boolean {
  return hasOpt(opts, 'bind') || hasOpt(opts, 'rbind');
}

/** NFS (or anything host:/path): it needs `nofail` in a cloud node's fstab, else an unreachable server stops the boot. */
export function isNetworkFs(e: Pick<FstabEntry, 'src' | 'fstype'>): boolean {
  return /^nfs4?$/.test(e.fstype) || /^(cifs|smb3|glusterfs|ceph|fuse\.sshfs)$/.test(e.fstype) || /^[^/\s:]+:\//.test(e.src);
}

/**
 * Is the mount at the path the one fstab describes? tmpfs/NFS: same source and type. A bind mount shows the
 * underlying device, so only "something is mounted" can be told.
 */
export function mountMatches(m: MountInfo, e: FstabEntry): boolean {
  if (isBind(e.opts)) return true;
  const fsOk = e.fstype === 'auto' || e.fstype === m.fstype || (e.fstype === 'nfs' && m.fstype === 'nfs4');
  return fsOk && m.source === e.src;
}
