/**
 * The file-state fact: everything the file modules need to know about one or more paths, read with ONE
 * command (stat, readlink, a checksum, optionally the content, a directory listing, timestamps converted on
 * the host). Only coreutils (+ find for trees) on the target. Binary safe: the content comes last, raw.
 */
import { defineFact, type FactDef } from '../../src/contract/index.js';
import type { RunResult } from '../../src/contract/index.js';
import { ModuleError } from '../../src/contract/index.js';
import {
  DIFF_MAX_SIZE,
  joinPath,
  type FileFacts,
  type FileInfo,
  type FileQuery,
  type FileStat,
  type FileType,
  type LinkHop,
  type RunningUser,
  type TreeEntry,
} from './types.js';
import { fileStateCommand } from './state-command.js';

export * from './types.js';
export { fileStateCommand } from './state-command.js';

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

/** K line (without the tag): final, then the directory's and the link's stat (%f %u %U), then the link path */
function parseHop(val: string): LinkHop {
  const f = val.split('\t');
  if (f.length < 8) throw new ModuleError(`unexpected link walk output: ${val.slice(0, 200)}`);
  return {
    final: f[0] === '1',
    dirMode: parseInt(f[1]!, 16) & 0o7777,
    dirUid: Number(f[2]),
    dirOwner: nameOr(f[3]!, Number(f[2])),
    uid: Number(f[5]),
    owner: nameOr(f[6]!, Number(f[5])),
    path: f.slice(7).join('\t'),
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

/**
 * The content block's files, cut by the sizes their stat lines gave (one file: all of it). Sizes that do not
 * add up mean a file changed between the stat and the cat: the read is refused (the caller reads again).
 */
function cutContents(contents: { raw: Buffer; count: number } | undefined, refs: { file: FileInfo; k: number }[]): void {
  const byK = new Map<number, FileInfo[]>();
  for (const r of refs) byK.set(r.k, [...(byK.get(r.k) ?? []), r.file]);
  if (!contents || byK.size !== contents.count) throw new ModuleError('incomplete output while reading file state');
  let at = 0;
  for (const k of [...byK.keys()].sort((a, b) => a - b)) {
    const files = byK.get(k)!;
    const size = byK.size === 1 ? contents.raw.length : files[0]!.stat?.size;
    if (size === undefined || at + size > contents.raw.length) throw new ModuleError(`${files[0]!.path} changed while it was read`);
    for (const f of files) f.content = Buffer.from(contents.raw.subarray(at, at + size));
    at += size;
  }
  if (at !== contents.raw.length) throw new ModuleError('a file changed while it was read');
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
  // the stat lines ("B") and the checksum lines ("H", one block per algorithm) of every item, read by one
  // process each before the items' own lines, which point into them (L #k, S #algo k)
  const statLines: string[] = [];
  const sums = new Map<string, string[]>();
  const block = (count: number, into: string[]): void => {
    for (let k = 0; k < count; k++) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) throw new ModuleError('incomplete output while reading file state');
      into.push(buf.subarray(pos, nl).toString('utf8'));
      pos = nl + 1;
    }
  };
  let contents: { raw: Buffer; count: number } | undefined;
  const contentRefs: { file: FileInfo; k: number }[] = [];
  const nth = (lines: string[] | undefined, k: string): string => {
    const v = lines?.[Number(k) - 1];
    if (v === undefined) throw new ModuleError(`unexpected output while reading file state: a reference to line ${k} of ${lines?.length ?? 0}`);
    return v;
  };
  while (pos < buf.length) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl < 0) nl = buf.length;
    const line = buf.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    const tab = line.indexOf('\t');
    const tag = tab < 0 ? line : line.slice(0, tab);
    const val = tab < 0 ? '' : line.slice(tab + 1);
    switch (tag) {
      case 'B':
        block(Number(val), statLines);
        break;
      case 'H': {
        const [algo, count] = val.split('\t');
        const lines: string[] = [];
        block(Number(count), lines);
        sums.set(algo!, lines);
        break;
      }
      case 'U':
        facts.umask = parseInt(val, 8) & 0o777;
        break;
      case 'I':
        if (val.startsWith('#')) {
          // the shell's own /proc entry, stat'ed with the files: its owner is the running user
          const st = parseStatLine(nth(statLines, val.slice(1)));
          facts.user = { uid: st.uid, gid: st.gid, name: st.owner, group: st.group };
        } else facts.user = parseId(val);
        break;
      case 'G': {
        // the contents of `count` files, one after the other, up to "\n<token>\n"
        const [token, count] = val.split('\t');
        const end = buf.indexOf(`\n${token}\n`, pos);
        if (!token || end < 0) throw new ModuleError('incomplete output while reading file state');
        contents = { raw: buf.subarray(pos, end), count: Number(count) };
        pos = end + token.length + 2;
        break;
      }
      case 'E':
        facts.epochs.push(/^-?\d+$/.test(val) ? Number(val) : NaN);
        break;
      case '@':
        itemIdx++;
        cur = { path: q.items[itemIdx]!.path, joined: false, exists: false };
        facts.files.push(cur);
        break;
      case 'D': {
        itemIdx++;
        const same = facts.files[Number(val)];
        if (!same) throw new ModuleError(`unexpected output while reading file state: ${line.slice(0, 200)}`);
        cur = structuredClone(same);
        // (structuredClone makes a Buffer a plain Uint8Array)
        if (same.content) cur.content = Buffer.from(same.content);
        facts.files.push(cur);
        // its content is cut from the content block later: the copy gets it too
        for (const r of contentRefs.filter((r) => r.file === same)) contentRefs.push({ file: cur, k: r.k });
        break;
      }
      case 'J':
        cur!.joined = true;
        cur!.path = joinPath(q.items[itemIdx]!.path, q.items[itemIdx]!.inDir!);
        break;
      case 'L':
        cur!.exists = true;
        cur!.stat = parseStatLine(val.startsWith('#') ? nth(statLines, val.slice(1)) : val);
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
      case 'S': {
        // "#<algo> <k>": line k of that algorithm's block ("<hash>  <name>", "\\<hash>  <escaped name>")
        const ref = /^#(\w+) (\d+)$/.exec(val);
        cur!.checksum = ref ? nth(sums.get(ref[1]!), ref[2]!).replace(/^\\/, '').split(' ')[0] : val.split(' ')[0];
        break;
      }
      case 'A':
        cur!.access = { readable: val.includes('r'), writable: val.includes('w'), executable: val.includes('x') };
        break;
      case 'Z':
        cur!.emptyDir = true;
        break;
      case 'W':
        (cur!.tree ??= []).push(parseTreeLine(line));
        break;
      case 'X':
        (cur!.tree ??= []).push({ ...parseTreeLine(line), followed: true });
        break;
      case 'N':
        cur!.exists = false;
        break;
      case 'K':
        (cur!.hops ??= []).push(parseHop(val));
        break;
      case 'P':
        cur!.parentIsDir = true;
        break;
      case 'C': {
        if (val.startsWith('#')) {
          // the k-th file of the content block: cut below, when every size is known
          contentRefs.push({ file: cur!, k: Number(val.slice(1)) });
          break;
        }
        const end = buf.indexOf(`\n${val}\n`, pos);
        if (!val || end < 0) throw new ModuleError('incomplete output while reading file state');
        const content = buf.subarray(pos, end);
        pos = end + val.length + 2;
        const it = q.items[itemIdx]!;
        if (it.content === 'peek' && content.length > DIFF_MAX_SIZE) {
          cur!.content = Buffer.from(content.subarray(0, DIFF_MAX_SIZE));
          cur!.contentTruncated = true;
        } else cur!.content = Buffer.from(content);
        break;
      }
      default:
        if (line === '' && pos >= buf.length) break;
        throw new ModuleError(`unexpected output while reading file state: ${line.slice(0, 200)}`);
    }
  }
  if (contentRefs.length) cutContents(contents, contentRefs);
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
  batch: {
    // one command for many queries: their items in turn (contents included: one cat for them all), epochs
    // in turn
    merge(first, others) {
      const taken = [...others.filter((q) => q.items.length), first];
      return { args: { items: taken.flatMap((q) => q.items), epochs: taken.flatMap((q) => q.epochs ?? []) }, taken };
    },
    split(merged, taken) {
      let f = 0;
      let e = 0;
      return taken.map((q) => {
        const files = merged.files.slice(f, (f += q.items.length));
        const epochs = merged.epochs.slice(e, (e += q.epochs?.length ?? 0));
        return { ...merged, files, epochs };
      });
    },
  },
});
