/**
 * The file-state fact: everything the file modules need to know about one or more paths, read with ONE
 * command (stat, readlink, a checksum, optionally the content, a directory listing, timestamps converted on
 * the host). Only coreutils (+ find for trees) on the target. Binary safe: the content comes last, raw.
 */
import { defineFact, type FactDef } from '../facts/fact.js';
import type { RunResult } from '../connection/types.js';
import { ModuleError } from '../errors.js';
import { shq } from '../util/shell.js';

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

const STAT_FMT = '%f\\t%u\\t%g\\t%h\\t%s\\t%i\\t%d\\t%X\\t%x\\t%Y\\t%y\\t%Z\\t%z\\t%U\\t%G\\n';
const TREE_FMT = 'W\\t%f\\t%u\\t%g\\t%U\\t%G\\t%n\\n';

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

/** Shell function body for one kind of item: $1 path, $2 path/inDir (or ''), $3 parent directory. */
function itemFunction(name: string, it: FileQueryItem, last: boolean): string {
  const lines: string[] = [`${name}() {`, 'printf "@\\n"', 'p=$1; j='];
  if (it.inDir !== undefined) lines.push(`if [ -d "$p" ]; then p=$2; j=1; printf 'J\\n'; fi`);
  lines.push('if [ -L "$p" ] || [ -e "$p" ]; then');
  lines.push(`printf 'L\\t'; stat --printf='${STAT_FMT}' -- "$p" || exit 1`);
  lines.push('if [ -L "$p" ] || { [ ! -f "$p" ] && [ ! -d "$p" ]; }; then _tsid; fi');
  let link = `if [ -L "$p" ]; then printf 'T\\t%s\\n' "$(readlink -- "$p")"; printf 'R\\t%s\\n' "$(readlink -m -- "$p")"`;
  if (it.follow) link += `; if [ -e "$p" ]; then printf 'F\\t'; stat -L --printf='${STAT_FMT}' -- "$p" || exit 1; fi`;
  lines.push(link + '; fi');
  if (it.checksum) lines.push(`if [ -f "$p" ] && [ -r "$p" ]; then printf 'S\\t'; ${it.checksum}sum < "$p" || exit 1; fi`);
  if (it.access) lines.push(`printf 'A\\t'; [ -r "$p" ] && printf r; [ -w "$p" ] && printf w; [ -x "$p" ] && printf x; printf '\\n'`);
  if (it.emptyDir) lines.push(`if [ -d "$p" ] && [ ! -L "$p" ] && [ -z "$(ls -A -- "$p")" ]; then printf 'Z\\n'; fi`);
  // -H: a link given as the path is followed (file state=directory follow=true recurse=true)
  if (it.tree) lines.push(`if [ -d "$p" ]; then find -H "$p" -mindepth 1 -exec stat --printf='${TREE_FMT}' -- {} + || exit 1; fi`);
  if (it.content && last) {
    const read = it.content === 'all' ? 'cat -- "$p"' : `head -c ${DIFF_MAX_SIZE + 1} -- "$p"`;
    lines.push(`if [ -f "$p" ]; then printf 'C\\n'; ${read} || exit 1; fi`);
  }
  lines.push('else');
  lines.push(`printf 'N\\n'; _tsid; if [ -n "$j" ] || [ -d "$3" ]; then printf 'P\\n'; fi`);
  lines.push('fi', '}');
  return lines.join('\n');
}

function signature(it: FileQueryItem, last: boolean): string {
  return JSON.stringify([it.inDir !== undefined, !!it.follow, it.checksum ?? '', it.access ?? false, it.emptyDir ?? false, it.tree ?? false, last ? (it.content ?? '') : '']);
}

/** The command (exported for tests and for modules that batch it with other work). */
export function fileStateCommand(q: FileQuery): string {
  const out: string[] = [
    `printf 'U\\t%s\\n' "$(umask)"; _i=`,
    // the running user, once, only when a path needs it (one exec of id)
    `_tsid() { [ -n "$_i" ] || { _i=1; printf 'I\\t%s\\n' "$(LC_ALL=C id)"; }; }`,
  ];
  for (const e of q.epochs ?? []) out.push(`printf 'E\\t%s\\n' "$(date -d ${shq(e)} +%s 2>/dev/null || echo x)"`);
  const fns = new Map<string, string>();
  const calls: string[] = [];
  q.items.forEach((it, i) => {
    const last = i === q.items.length - 1;
    if (it.content && !last) throw new Error('file-state: only the last item may ask for content');
    const sig = signature(it, last);
    let fn = fns.get(sig);
    if (!fn) {
      fn = `_tsf${fns.size}`;
      fns.set(sig, fn);
      out.push(itemFunction(fn, it, last));
    }
    const joined = it.inDir !== undefined ? shq(joinPath(it.path, it.inDir)) : "''";
    calls.push(`${fn} ${shq(it.path)} ${joined} ${shq(parentDir(it.path))}`);
  });
  return [...out, ...calls].join('\n');
}

function typeOf(rawHex: string): FileType {
  const t = parseInt(rawHex, 16) & 0o170000;
  switch (t) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'link';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    default:
      return 'unknown';
  }
}

/** "2020-01-02 03:04:05.123456789 +0000" → 0.123456789 */
function fraction(human: string): number {
  const m = /\.(\d+)/.exec(human);
  return m ? Number(`0.${m[1]}`) : 0;
}

function nameOr(name: string, id: number): string {
  return name === 'UNKNOWN' ? String(id) : name;
}

export function parseStatLine(line: string): FileStat {
  const f = line.split('\t');
  if (f.length < 15) throw new ModuleError(`unexpected stat output: ${line}`);
  const uid = Number(f[1]);
  const gid = Number(f[2]);
  return {
    type: typeOf(f[0]!),
    mode: parseInt(f[0]!, 16) & 0o7777,
    uid,
    gid,
    nlink: Number(f[3]),
    size: Number(f[4]),
    inode: Number(f[5]),
    dev: Number(f[6]),
    atime: Number(f[7]) + fraction(f[8]!),
    mtime: Number(f[9]) + fraction(f[10]!),
    ctime: Number(f[11]) + fraction(f[12]!),
    owner: nameOr(f[13]!, uid),
    group: nameOr(f.slice(14).join('\t'), gid),
  };
}

function parseTreeLine(line: string): TreeEntry {
  const f = line.split('\t');
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  return {
    type: typeOf(f[1]!),
    mode: parseInt(f[1]!, 16) & 0o7777,
    uid,
    gid,
    owner: nameOr(f[4]!, uid),
    group: nameOr(f[5]!, gid),
    path: f.slice(6).join('\t'),
  };
}

/** `id` output: uid=1000(ops) gid=1000(ops) groups=... (names missing for ids without one) */
export function parseId(text: string): RunningUser {
  const m = /uid=(\d+)(?:\(([^)]*)\))?\s+gid=(\d+)(?:\(([^)]*)\))?/.exec(text);
  if (!m) throw new ModuleError(`unexpected output of id: ${text}`);
  return { uid: Number(m[1]), gid: Number(m[3]), name: m[2] ?? m[1]!, group: m[4] ?? m[3]! };
}

/** The user the commands run as (see FileFacts.user). */
export function runningUser(facts: FileFacts): RunningUser {
  if (!facts.user) throw new ModuleError('internal error: the running user was not read with the file state');
  return facts.user;
}

export function parseFileState(r: RunResult, q: FileQuery): FileFacts {
  if (r.rc !== 0) {
    const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ');
    throw new ModuleError(`could not read the state of ${q.items.map((i) => i.path).join(', ')}${detail ? ': ' + detail : ''}`, { rc: r.rc, stderr: r.stderr });
  }
  const buf = r.stdoutBuf;
  const facts: FileFacts = { umask: 0o022, files: [], epochs: [] };
  let cur: FileInfo | undefined;
  let itemIdx = -1;
  let pos = 0;
  while (pos < buf.length) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl < 0) nl = buf.length;
    const line = buf.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    const tab = line.indexOf('\t');
    const tag = tab < 0 ? line : line.slice(0, tab);
    const val = tab < 0 ? '' : line.slice(tab + 1);
    switch (tag) {
      case 'U':
        facts.umask = parseInt(val, 8) & 0o777;
        break;
      case 'I':
        facts.user = parseId(val);
        break;
      case 'E':
        facts.epochs.push(/^-?\d+$/.test(val) ? Number(val) : NaN);
        break;
      case '@':
        itemIdx++;
        cur = { path: q.items[itemIdx]!.path, joined: false, exists: false };
        facts.files.push(cur);
        break;
      case 'J':
        cur!.joined = true;
        cur!.path = joinPath(q.items[itemIdx]!.path, q.items[itemIdx]!.inDir!);
        break;
      case 'L':
        cur!.exists = true;
        cur!.stat = parseStatLine(val);
        break;
      case 'T':
        cur!.linkTarget = val;
        break;
      case 'R':
        cur!.realPath = val;
        break;
      case 'F':
        cur!.target = parseStatLine(val);
        break;
      case 'S':
        cur!.checksum = val.split(' ')[0];
        break;
      case 'A':
        cur!.access = { readable: val.includes('r'), writable: val.includes('w'), executable: val.includes('x') };
        break;
      case 'Z':
        cur!.emptyDir = true;
        break;
      case 'W':
        (cur!.tree ??= []).push(parseTreeLine(line));
        break;
      case 'N':
        cur!.exists = false;
        break;
      case 'P':
        cur!.parentIsDir = true;
        break;
      case 'C': {
        const content = buf.subarray(pos);
        const it = q.items[itemIdx]!;
        if (it.content === 'peek' && content.length > DIFF_MAX_SIZE) {
          cur!.content = content.subarray(0, DIFF_MAX_SIZE);
          cur!.contentTruncated = true;
        } else cur!.content = Buffer.from(content);
        pos = buf.length;
        break;
      }
      default:
        if (line === '' && pos >= buf.length) break;
        throw new ModuleError(`unexpected output while reading file state: ${line.slice(0, 200)}`);
    }
  }
  for (const [i, f] of facts.files.entries()) {
    const it = q.items[i]!;
    if (f.stat?.type === 'link' && it.follow && f.target === undefined) f.target = null;
    if (it.tree && f.stat?.type === 'directory') f.tree ??= [];
    if (it.emptyDir && f.stat?.type === 'directory') f.emptyDir ??= false;
  }
  if (facts.files.length !== q.items.length) throw new ModuleError('incomplete output while reading file state');
  return facts;
}

/** One command, cached per host per run; dropped when a task changes the host. */
export const fileStateFact: FactDef<FileQuery, FileFacts> = defineFact<FileQuery, FileFacts>({
  name: 'files.state',
  command: fileStateCommand,
  parse: parseFileState,
});
