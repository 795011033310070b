/**
 * The one rule every file module applies before acting on a path through a symlink: the kernel's
 * fs.protected_symlinks rule, enforced by tsplay itself, because many hosts run with it off (sysctl 0) and a
 * root task would otherwise follow whatever an unprivileged user planted.
 *
 * A symlink in a directory that others may write (world-writable, or sticky: /tmp, /var/tmp, /dev/shm, a
 * shared spool) is followed only when it is owned by root, by that directory's owner, or by the user the task
 * runs as. Anything else could be a link planted to turn `file: {path: /tmp/x, mode: "0666"}` into a chmod of
 * /etc/shadow. A task that really means to follow such a link says so with `follow: true`.
 *
 * The file-state fact reports the links (FileQueryItem.linkHops); this module only decides.
 */
import { ModuleError } from '../../src/contract/index.js';
import type { FileFacts, FileInfo, LinkHop } from './types.js';

export const STICKY = 0o1000;
const WORLD_WRITABLE = 0o002;

/** A directory where users other than its owner may create entries. */
export function sharedDirectory(mode: number): boolean {
  return (mode & (WORLD_WRITABLE | STICKY)) !== 0;
}

/** The kernel's rule: may `followerUid` follow this link? */
export function trustedHop(hop: LinkHop, followerUid: number): boolean {
  if (!sharedDirectory(hop.dirMode)) return true;
  return hop.uid === 0 || hop.uid === hop.dirUid || hop.uid === followerUid;
}

export interface TrustOptions {
  /** the module acts on what the path points to (false: only the links on the way to its directory count) */
  followFinal: boolean;
  /** the argument that lifts the rule, for the error message */
  option?: string;
}

/** The first link on the path that must not be followed, or undefined. */
export function untrustedHop(info: FileInfo, facts: FileFacts, o: TrustOptions): LinkHop | undefined {
  const uid = facts.user?.uid ?? 0;
  return info.hops?.find((h) => (o.followFinal || !h.final) && !trustedHop(h, uid));
}

function describeDir(hop: LinkHop): string {
  const kind = [hop.dirMode & WORLD_WRITABLE ? 'world-writable' : '', hop.dirMode & STICKY ? 'sticky' : ''].filter(Boolean).join(' ');
  return `a ${kind} directory owned by ${hop.dirOwner}`;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Throws the module error for a path whose resolution goes through a link that must not be followed. */
export function refuseUntrustedLinks(info: FileInfo, facts: FileFacts, o: TrustOptions): void {
  const hop = untrustedHop(info, facts, o);
  if (!hop) return;
  const where = hop.path === info.path ? '' : ` (on the way to ${info.path})`;
  throw new ModuleError(
    `refusing to follow the symlink ${hop.path}${where}: it is owned by ${hop.owner} (uid ${hop.uid}) and lies in ${dirOf(hop.path)}, ` +
      `${describeDir(hop)}, so another user could have planted it to redirect this task to another file ` +
      `(the kernel's protected_symlinks rule). Set ${o.option ?? 'follow'}: true on the task to follow it anyway.`,
  );
}
