/**
 * find (ansible.builtin.find): files chosen by name (glob or Python regexp), age, size, type and content,
 * as Ansible's find.py walks them (os.walk order: each directory's files, then its directories). Read-only.
 *
 * One probe lists every entry with its lstat (GNU find + stat); a second one, only with `contains` or
 * `get_checksum`, reads the candidate files.
 */
import { ModuleError, Type, defineModule, ok, type CheckContext } from '../../../src/contract/index.js';
import { bufferToBin, modeBits, pyRegex, toBin } from '../../../lib/files/index.js';
import { globToRegExp } from '../../../lib/shell/glob.js';
import { shq } from '../../../lib/shell/quote.js';

const List = (description: string) => Type.Union([Type.String(), Type.Array(Type.String())], { description });

const Args = Type.Object(
  {
    paths: List("the directories to search (a list, or 'a,b')"),
    patterns: Type.Optional(List('basename globs (or Python regexps with use_regex), any of which must match; default: all')),
    excludes: Type.Optional(List('basename globs (or regexps) of entries to leave out')),
    contains: Type.Optional(Type.String({ description: 'Python regexp a line of the file must match at its start (file_type=file only)' })),
    read_whole_file: Type.Boolean({ default: false, description: 'contains is searched in the whole file instead of matched per line' }),
    file_type: Type.Union([Type.Literal('any'), Type.Literal('directory'), Type.Literal('file'), Type.Literal('link')], {
      default: 'file',
      description: 'the type of entries returned',
    }),
    age: Type.Optional(Type.String({ description: 'at least this old (negative: at most), in s, m, h, d or w (default s), e.g. 2d or -1h' })),
    age_stamp: Type.Union([Type.Literal('atime'), Type.Literal('ctime'), Type.Literal('mtime')], { default: 'mtime', description: 'the time age compares' }),
    size: Type.Optional(Type.String({ description: 'at least this size (negative: at most), in b, k, m, g or t (default b), e.g. 10m' })),
    recurse: Type.Boolean({ default: false, description: 'descend into subdirectories' }),
    hidden: Type.Boolean({ default: false, description: 'include entries whose name starts with a dot' }),
    follow: Type.Boolean({ default: false, description: 'descend into symlinked directories' }),
    get_checksum: Type.Boolean({ default: false, description: "add each regular file's SHA-1 as checksum" }),
    use_regex: Type.Boolean({ default: false, description: 'patterns and excludes are Python regexps (matched at the start of the name) instead of globs' }),
    depth: Type.Optional(Type.Integer({ description: 'with recurse: how deep to go (1: the paths’ own entries)' })),
  },
  { additionalProperties: false },
);

const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(',').map((s) => s.trim()));

const UNITS_AGE: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const UNITS_SIZE: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseAge(s: string): number | undefined {
  const m = /^(-?\d+)(s|m|h|d|w)?$/.exec(s.toLowerCase());
  return m ? Number(m[1]) * (UNITS_AGE[m[2] ?? 's'] ?? 1) : undefined;
}
export function parseSize(s: string): number | undefined {
  const m = /^(-?\d+)(b|k|m|g|t)?$/.exec(s.toLowerCase());
  return m ? Number(m[1]) * (UNITS_SIZE[m[2] ?? 'b'] ?? 1) : undefined;
}

/** One entry as the listing gives it. */
export interface Entry {
  path: string;
  rawMode: number;
  uid: number;
  gid: number;
  size: number;
  inode: number;
  dev: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
  pw_name: string;
  gr_name: string;
  /** a directory (following a symlink): os.walk lists it among the dirs */
  walkDir: boolean;
}

const S_IFMT = 0o170000;
const isType = (m: number, t: number): boolean => (m & S_IFMT) === t;

/** Ansible's statinfo() keys. */
export function statInfo(e: Entry): Record<string, unknown> {
  const m = e.rawMode;
  return {
    mode: (m & 0o7777).toString(8).padStart(4, '0'),
    isdir: isType(m, 0o040000),
    ischr: isType(m, 0o020000),
    isblk: isType(m, 0o060000),
    isreg: isType(m, 0o100000),
    isfifo: isType(m, 0o010000),
    islnk: isType(m, 0o120000),
    issock: isType(m, 0o140000),
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    inode: e.inode,
    dev: e.dev,
    nlink: e.nlink,
    atime: e.atime,
    mtime: e.mtime,
    ctime: e.ctime,
    gr_name: e.gr_name,
    pw_name: e.pw_name,
    ...modeBits(m),
  };
}

const FMT = '%f\\t%u\\t%g\\t%s\\t%i\\t%d\\t%h\\t%.9X\\t%.9Y\\t%.9Z\\t%U\\t%G\\t%n\\0';

/** The listing script of one path: entries (lstat) then the directories among the symlinks. */
export function listScript(path: string, maxdepth: number | undefined, follow: boolean): string {
  const p = shq(path);
  const md = maxdepth !== undefined ? ` -maxdepth ${maxdepth}` : '';
  return `[ -d ${p} ] || { printf "'%s' is not a directory" ${p} >&2; exit 3; }
find ${follow ? '-L ' : ''}${p} -mindepth 1${md} -exec stat --printf '${FMT}' {} + || exit 4
printf 'LINKDIRS\\0'
find ${p} -mindepth 1${md} -type l -exec sh -c 'for f; do [ -d "$f" ] && printf "%s\\0" "$f"; done; exit 0' sh {} +`;
}

export function parseListing(out: string): Entry[] {
  const [entries, links] = out.split('LINKDIRS\0');
  const linkDirs = new Set((links ?? '').split('\0').filter((s) => s !== ''));
  const res: Entry[] = [];
  for (const rec of (entries ?? '').split('\0')) {
    if (rec === '' || rec === '\n') continue;
    const f = rec.replace(/^\n/, '').split('\t');
    const path = f.slice(12).join('\t');
    const rawMode = parseInt(f[0]!, 16);
    const nm = (s: string): string => (s === 'UNKNOWN' ? '' : s);
    res.push({
      path,
      rawMode,
      uid: Number(f[1]),
      gid: Number(f[2]),
      size: Number(f[3]),
      inode: Number(f[4]),
      dev: Number(f[5]),
      nlink: Number(f[6]),
      atime: Number(f[7]),
      mtime: Number(f[8]),
      ctime: Number(f[9]),
      pw_name: nm(f[10]!),
      gr_name: nm(f[11]!),
      walkDir: isType(rawMode, 0o040000) || linkDirs.has(path),
    });
  }
  return res;
}

const parentOf = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';
const baseOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/**
 * os.walk's order from `root`: each directory's files then its directories (in listing order), then each
 * subdirectory in turn; symlinked directories are descended only with follow.
 */
export function walkOrder(root: string, entries: Entry[], follow: boolean): { entry: Entry; depth: number }[][] {
  const byParent = new Map<string, Entry[]>();
  for (const e of entries) {
    const k = parentOf(e.path);
    if (!byParent.has(k)) byParent.set(k, []);
    byParent.get(k)!.push(e);
  }
  const out: { entry: Entry; depth: number }[][] = [];
  const visit = (dir: string, depth: number): void => {
    const kids = byParent.get(dir) ?? [];
    const files = kids.filter((e) => !e.walkDir);
    const dirs = kids.filter((e) => e.walkDir);
    out.push([...files, ...dirs].map((entry) => ({ entry, depth })));
    for (const d of dirs) if (follow || !isType(d.rawMode, 0o120000)) visit(d.path, depth + 1);
  };
  visit(root, 1);
  return out;
}

type Matcher = (name: string) => boolean;

function nameFilter(patterns: string[], excludes: string[], useRegex: boolean): Matcher {
  const compile = (p: string, what: string): RegExp => {
    if (!useRegex) return globToRegExp(p, what);
    const re = pyRegex(p, what).re;
    return new RegExp('^(?:' + re.source + ')', re.flags);
  };
  const pats = patterns.map((p) => compile(p, 'patterns'));
  const excl = excludes.map((p) => compile(p, 'excludes'));
  const m = (re: RegExp, name: string): boolean => re.test(useRegex ? toBin(name) : name);
  return (name) => pats.some((r) => m(r, name)) && !excl.some((r) => m(r, name));
}

interface FindArgs {
  paths: string | string[];
  patterns?: string | string[];
  excludes?: string | string[];
  contains?: string;
  read_whole_file: boolean;
  file_type: 'any' | 'directory' | 'file' | 'link';
  age?: string;
  age_stamp: 'atime' | 'ctime' | 'mtime';
  size?: string;
  recurse: boolean;
  hidden: boolean;
  follow: boolean;
  get_checksum: boolean;
  use_regex: boolean;
  depth?: number;
}

async function readFiles(ctx: CheckContext, paths: string[], checksum: boolean): Promise<Map<string, { content?: Buffer; sha1?: string }>> {
  const res = new Map<string, { content?: Buffer; sha1?: string }>();
  if (!paths.length) return res;
  const body = checksum
    ? `for f; do printf '%s\\0' "$(sha1sum < "$f" 2>/dev/null | cut -d' ' -f1)"; done`
    : `for f; do printf '%s\\0' "$(base64 -w0 < "$f" 2>/dev/null)"; done`;
  const r = await ctx.probe(`set -- ${paths.map(shq).join(' ')}\n${body}`);
  const parts = r.stdout.split('\0');
  paths.forEach((p, i) => res.set(p, checksum ? { sha1: parts[i] ?? '' } : { content: Buffer.from(parts[i] ?? '', 'base64') }));
  return res;
}

export const find = defineModule({
  name: 'find',
  aliases: ['ansible.builtin.find', 'ansible.legacy.find'],
  description: 'Return a list of files based on specific criteria (name, age, size, type, content)',
  examples: `- name: the old Slurm logs
  ansible.builtin.find:
    paths: /var/log/slurm
    patterns: '*.log.*'
    age: 4w
    recurse: true
  register: old_logs
- name: the partition files that name the cloud nodes
  ansible.builtin.find:
    paths: /etc/slurm
    patterns: '*.conf'
    contains: '^NodeName=cloud-'
  register: cloud_conf
`,
  returns: {
    files:
      "the entries found, each with path and Ansible's stat keys (mode, isdir, isreg, islnk, uid, gid, size, mtime, pw_name, ...; checksum with get_checksum)",
    matched: 'how many were found',
    examined: 'how many entries were looked at',
    skipped_paths: 'path → why it could not be searched',
  },
  args: Args,
  argAliases: { name: 'paths', path: 'paths', pattern: 'patterns', exclude: 'excludes' },
  async check(ctx, a: FindArgs) {
    const useRegex = a.use_regex;
    let patterns = listOf(a.patterns);
    if (!patterns.length) patterns = [useRegex ? '.*' : '*'];
    const excludes = listOf(a.excludes);
    const age = a.age === undefined ? undefined : parseAge(a.age);
    if (a.age !== undefined && age === undefined) throw new ModuleError('failed to process age');
    const size = a.size === undefined ? undefined : parseSize(a.size);
    if (a.size !== undefined && size === undefined) throw new ModuleError('failed to process size');
    const named = nameFilter(patterns, excludes, useRegex);
    const contains = a.contains !== undefined ? pyRegex(a.contains, 'contains').re : undefined;
    const now = Date.now() / 1000;
    const ageOk = (e: Entry): boolean => {
      if (age === undefined) return true;
      const t = e[a.age_stamp];
      return age >= 0 ? now - t >= Math.abs(age) : now - t <= Math.abs(age);
    };
    const sizeOk = (e: Entry): boolean => size === undefined || (size >= 0 ? e.size >= Math.abs(size) : e.size <= Math.abs(size));

    const found: { entry: Entry; r: Record<string, unknown> }[] = [];
    const skipped: Record<string, string> = {};
    let looked = 0;
    const depth = a.depth || undefined;
    for (const raw of listOf(a.paths)) {
      const npath = raw;
      const maxdepth = !a.recurse ? 1 : depth !== undefined ? depth + 1 : undefined;
      const r = await ctx.probe(listScript(npath, maxdepth, a.follow));
      if (r.rc !== 0) {
        skipped[npath] = r.rc === 3 ? r.stderr.trim() : r.stderr.trim().split('\n')[0] || `cannot list ${npath}`;
        ctx.warn(`Skipped '${npath}' path due to this access issue: ${skipped[npath]}\n`);
        continue;
      }
      const root = npath.length > 1 ? npath.replace(/\/+$/, '') : npath;
      for (const level of walkOrder(root, parseListing(r.stdout), a.follow)) {
        if (!a.recurse && level[0] && level[0].depth > 1) break;
        looked += level.length;
        for (const { entry: e, depth: d } of level) {
          if (depth !== undefined && d > depth) continue;
          const name = baseOf(e.path);
          if (name.startsWith('.') && !a.hidden) continue;
          const m = e.rawMode;
          const reg = isType(m, 0o100000);
          let take = false;
          if (a.file_type === 'any') take = named(name) && ageOk(e) && (!reg || sizeOk(e));
          else if (a.file_type === 'directory') take = isType(m, 0o040000) && named(name) && ageOk(e);
          else if (a.file_type === 'file') take = reg && named(name) && ageOk(e) && sizeOk(e);
          else take = isType(m, 0o120000) && named(name) && ageOk(e);
          if (take) found.push({ entry: e, r: { path: e.path, ...statInfo(e) } });
        }
      }
    }
    let files = found;
    if (contains && a.file_type === 'file') {
      const data = await readFiles(
        ctx,
        files.map((f) => f.entry.path),
        false,
      );
      files = files.filter((f) => {
        const text = bufferToBin(data.get(f.entry.path)?.content ?? Buffer.alloc(0));
        if (a.read_whole_file) return contains.test(text);
        const sticky = new RegExp(contains.source, contains.flags.replace('g', '') + 'y');
        return text.split(/(?<=\n)/).some((line) => {
          sticky.lastIndex = 0;
          return sticky.test(line);
        });
      });
    }
    if (a.get_checksum) {
      const regs = files.filter((f) => isType(f.entry.rawMode, 0o100000)).map((f) => f.entry.path);
      const sums = await readFiles(ctx, regs, true);
      for (const f of files) if (sums.has(f.entry.path)) f.r.checksum = sums.get(f.entry.path)!.sha1;
    }
    const msg = Object.keys(skipped).length ? 'Not all paths examined, check warnings for details' : 'All paths examined';
    return ok({ files: files.map((f) => f.r), msg, matched: files.length, examined: looked, skipped_paths: skipped });
  },
});
