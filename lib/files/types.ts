/** Types of the file-state fact, and POSIX path helpers (no node:path: these are paths on the target). */

export type FileType = 'file' | 'directory' | 'link' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown';
export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Ansible's max_file_size_for_diff: bigger files are not shown in diffs. */
export const DIFF_MAX_SIZE = 104448;

export interface FileStat {
  type: FileType;
  /** permission bits (07777) */
  mode: number;
  uid: number;
  gid: number;
  /** user/group names (the id as text when the id has no name) */
  owner: string;
  group: string;
  nlink: number;
  size: number;
  inode: number;
  dev: number;
  /** seconds since the epoch, with the fraction */
  atime: number;
  mtime: number;
  ctime: number;
}

export interface TreeEntry {
  path: string;
  /** treeFollow: the attributes of what the symlink at `path` points to */
  followed?: boolean;
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
}

export interface FileQueryItem {
  path: string;
  /** if `path` is a directory (following links), look at path/inDir instead (copy's "dest is a directory") */
  inDir?: string;
  /** also stat the link's final target (stat -L) */
  follow?: boolean;
  /** checksum of the content (of the target, for a link), when it is a readable regular file */
  checksum?: ChecksumAlgorithm;
  /** 'all': the whole content; 'peek': at most DIFF_MAX_SIZE + 1 bytes (enough for a diff) */
  content?: 'all' | 'peek';
  /** readable/writable/executable for the user running the command */
  access?: boolean;
  /** for a directory: is it empty */
  emptyDir?: boolean;
  /** every entry below a directory (find -mindepth 1) */
  tree?: boolean;
  /**
   * with tree: symlinks below are followed, as file.py's recursive_set_attributes with follow=yes: what a link
   * points to is listed too (`followed`, under the link's path), and a linked directory's entries (under the link)
   */
  treeFollow?: boolean;
  /** report each symlink met while resolving the path, with its directory (see file-trust.ts) */
  linkHops?: boolean;
}

export interface FileQuery {
  items: FileQueryItem[];
  /** local times on the host ('YYYY-MM-DD HH:MM:SS', as `date -d` reads them) to convert to epoch seconds */
  epochs?: string[];
}

export interface FileInfo {
  /** the path looked at (path/inDir when joined) */
  path: string;
  joined: boolean;
  exists: boolean;
  /** lstat of the path */
  stat?: FileStat;
  /** readlink (links only) */
  linkTarget?: string;
  /** canonical path of the link's final target (links only; readlink -m) */
  realPath?: string;
  /** stat -L when follow was asked for a link: null = dangling link */
  target?: FileStat | null;
  checksum?: string;
  access?: { readable: boolean; writable: boolean; executable: boolean };
  emptyDir?: boolean;
  tree?: TreeEntry[];
  content?: Buffer;
  /** content 'peek' stopped at DIFF_MAX_SIZE */
  contentTruncated?: boolean;
  /** absent path: its directory exists */
  parentIsDir?: boolean;
  /** linkHops: the symlinks resolving the path goes through, in order */
  hops?: LinkHop[];
}

/** One symlink met while resolving a path (as the kernel does, component by component). */
export interface LinkHop {
  /** the symlink (its directory resolved, so every hop names a real directory) */
  path: string;
  uid: number;
  owner: string;
  /** the directory holding it */
  dirMode: number;
  dirUid: number;
  dirOwner: string;
  /** met only because the path itself is followed (the path, or a hop of its target); else on the way to its directory */
  final: boolean;
}

export interface RunningUser {
  uid: number;
  gid: number;
  name: string;
  group: string;
}

export interface FileFacts {
  umask: number;
  /**
   * who runs the commands (owner of files created without owner=): read only when some path is missing,
   * a symlink or not a regular file/directory (the cases that need it); see runningUser()
   */
  user?: RunningUser;
  files: FileInfo[];
  /** epoch seconds for each of query.epochs (NaN when the host could not parse it) */
  epochs: number[];
}

/** The directory part of a path, as dirname(1) ('.' for a bare name). */
export function parentDir(path: string): string {
  const p = path.replace(/\/+$/, '');
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return p.slice(0, i).replace(/\/+$/, '') || '/';
}

export function baseName(path: string): string {
  const p = path.replace(/\/+$/, '');
  return p.slice(p.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
