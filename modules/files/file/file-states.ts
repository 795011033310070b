/**
 * The file module's states, planned from one file-state reading (a port of Ansible's file.py ensure_*
 * functions: same errors, same diff dicts, same "follow" rules).
 */
import { ModuleError } from '../../../src/contract/index.js';
import {
  attrsCommand,
  chmodArg,
  defaultMode,
  newFileAttrs,
  formatMode,
  mkdirsScript,
  parentDir,
  planAttrs,
  resolveMode,
  idMatches,
  type AttrArgs,
  type CurrentAttrs,
  type FileFacts,
  type FileInfo,
  type FileStat,
  type FileStep,
  type TimeSpec,
} from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';

export type PrevState = 'absent' | 'file' | 'hard' | 'directory' | 'link';

export interface FilePlanInput {
  path: string;
  src?: string;
  force: boolean;
  follow: boolean;
  recurse: boolean;
  attrs: AttrArgs;
  mtime: TimeSpec;
  atime: TimeSpec;
  /** epoch seconds for explicit times (mtime first, then atime) */
  epochs: { mtime?: number; atime?: number };
  facts: FileFacts;
  info: FileInfo;
  /** link: the source as seen from the link's directory (or from path, when path is a real directory); hard: src */
  srcInfo?: FileInfo;
  srcInfoInPath?: FileInfo;
  now: number;
  warn(msg: string): void;
}

export interface FilePlan {
  changed: boolean;
  steps: FileStep[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  result: Record<string, unknown>;
}

export function prevState(st: FileStat | undefined | null): PrevState {
  if (!st) return 'absent';
  if (st.type === 'link') return 'link';
  if (st.type === 'directory') return 'directory';
  if (st.nlink > 1) return 'hard';
  return 'file';
}

export const exists = (f: FileInfo | undefined): boolean => !!f?.exists && (f.stat?.type !== 'link' || !!f.target);
export const finalStat = (f: FileInfo | undefined): FileStat | undefined => (f?.stat?.type === 'link' ? (f.target ?? undefined) : f?.stat);
export const cur = (st: FileStat): CurrentAttrs => ({
  mode: st.mode,
  uid: st.uid,
  gid: st.gid,
  owner: st.owner,
  group: st.group,
  isDir: st.type === 'directory',
});

function initialDiff(path: string, state: string, prev: PrevState): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const d = { before: { path } as Record<string, unknown>, after: { path } as Record<string, unknown> };
  if (prev !== state) {
    d.before.state = prev;
    d.after.state = state;
  }
  return d;
}

/** owner/group/mode of `target` (skipMode for symlinks themselves); adds to steps and diff. */
export function applyAttrs(
  p: FilePlan,
  target: string,
  st: CurrentAttrs,
  args: AttrArgs,
  umask: number,
  opts: { noDeref?: boolean; skipMode?: boolean } = {},
): boolean {
  const ch = planAttrs(st, args, umask, { skipMode: opts.skipMode });
  if (!ch) return false;
  p.steps.push({ kind: 'run', what: `setting attributes of ${target}`, command: attrsCommand(target, ch, { noDeref: opts.noDeref }).join(' && ') });
  Object.assign(p.before, ch.before);
  Object.assign(p.after, ch.after);
  return true;
}

/** modification_time / access_time (Ansible's update_timestamp_for_file); touch -h: never through a link swapped in since check(). */
function applyTimes(p: FilePlan, target: string, st: { mtime: number; atime: number }, i: FilePlanInput): boolean {
  const { mtime: m, atime: a } = i;
  if (m.kind === 'preserve' && a.kind === 'preserve') return false;
  const t = shq(target);
  if (m.kind === 'now' && a.kind === 'now') {
    p.steps.push({ kind: 'run', what: `touching ${target}`, command: `touch -c -h -- ${t}` });
    Object.assign(p.before, { mtime: st.mtime, atime: st.atime });
    Object.assign(p.after, { mtime: i.now, atime: i.now });
    return true;
  }
  const want = (s: TimeSpec, prev: number, epoch: number | undefined): number => (s.kind === 'preserve' ? prev : s.kind === 'now' ? i.now : epoch!);
  const wm = want(m, st.mtime, i.epochs.mtime);
  const wa = want(a, st.atime, i.epochs.atime);
  if (wm === st.mtime && wa === st.atime) return false;
  const cmds: string[] = [];
  if (wm !== st.mtime) {
    cmds.push(m.kind === 'now' ? `touch -c -h -m -- ${t}` : `touch -c -h -m -d @${wm} -- ${t}`);
    Object.assign(p.before, { mtime: st.mtime });
    Object.assign(p.after, { mtime: wm });
  }
  if (wa !== st.atime) {
    cmds.push(a.kind === 'now' ? `touch -c -h -a -- ${t}` : `touch -c -h -a -d @${wa} -- ${t}`);
    Object.assign(p.before, { atime: st.atime });
    Object.assign(p.after, { atime: wa });
  }
  p.steps.push({ kind: 'run', what: `setting times of ${target}`, command: cmds.join(' && ') });
  return true;
}

export function newPlan(path: string, state: string, prev: PrevState): FilePlan {
  const d = initialDiff(path, state, prev);
  return { changed: false, steps: [], before: d.before, after: d.after, result: { path } };
}

function summary(p: FilePlan, st: FileStat | CurrentAttrs | undefined, state: string): FilePlan {
  p.result.state = state;
  if (st) {
    p.result.mode = (p.after.mode as string | undefined) ?? formatMode(st.mode);
    p.result.owner = p.after.owner ?? st.owner;
    p.result.group = p.after.group ?? st.group;
    // add_path_info's ids (a changed owner/group given by name: its id is not known here, so left out) and size
    const id = (after: unknown, now: number): number | undefined => (after === undefined ? now : /^\d+$/.test(String(after)) ? Number(after) : undefined);
    const uid = id(p.after.owner, st.uid);
    const gid = id(p.after.group, st.gid);
    if (uid !== undefined) p.result.uid = uid;
    if (gid !== undefined) p.result.gid = gid;
    if ('size' in st && typeof st.size === 'number') p.result.size = st.size;
  }
  return p;
}

export function planAbsent(i: FilePlanInput): FilePlan {
  const prev = prevState(i.info.stat);
  const p = newPlan(i.path, 'absent', prev);
  p.result.state = 'absent';
  if (prev === 'absent') return p;
  if (prev === 'directory' && i.info.tree) {
    p.before.path_content = {
      directories: i.info.tree.filter((e) => e.type === 'directory').map((e) => e.path),
      files: i.info.tree.filter((e) => e.type !== 'directory').map((e) => e.path),
    };
  }
  p.steps.push({ kind: 'run', what: `removing ${i.path}`, command: prev === 'directory' ? `rm -rf -- ${shq(i.path)}` : `rm -f -- ${shq(i.path)}` });
  p.changed = true;
  return p;
}

export function planTouch(i: FilePlanInput): FilePlan {
  const prev = prevState(i.info.stat);
  const p = newPlan(i.path, 'touch', prev);
  if (prev === 'absent') {
    // created exclusively (noclobber's O_EXCL): a symlink planted there since check() is not followed
    p.steps.push({ kind: 'run', what: `creating ${i.path}`, command: `( set -C; : >${shq(i.path)} )` });
    const fresh = newFileAttrs(i.facts);
    applyAttrs(p, i.path, fresh, i.attrs, i.facts.umask);
    if (i.mtime.kind === 'at' || i.atime.kind === 'at')
      applyTimes(
        p,
        i.path,
        { mtime: i.now, atime: i.now },
        { ...i, mtime: i.mtime.kind === 'at' ? i.mtime : { kind: 'preserve' }, atime: i.atime.kind === 'at' ? i.atime : { kind: 'preserve' } },
      );
    // file.py: when setting the new file's attributes fails, the file it created is removed
    for (const [n, step] of p.steps.entries()) {
      if (n > 0 && step.kind === 'run') step.command = `( ${step.command}\n) || { rm -f -- ${shq(i.path)}; exit 1; }`;
    }
    p.changed = true;
    return summary(p, fresh, 'file');
  }
  let target = i.path;
  let st = i.info.stat!;
  if (i.follow && st.type === 'link') {
    if (!i.info.target) throw new ModuleError(`Error, could not touch target: ${i.path} is a link to the missing ${i.info.realPath}`);
    target = i.info.realPath!;
    st = i.info.target;
  }
  const isLink = st.type === 'link';
  const a = applyAttrs(p, target, cur(st), i.attrs, i.facts.umask, { noDeref: isLink, skipMode: isLink });
  const t = applyTimes(p, target, st, i);
  p.changed = a || t;
  return summary(p, st, prevState(st));
}

/** The path to act on: with `follow`, a symlink stands for its target. */
function followLink(i: FilePlanInput): { path: string; st: FilePlanInput['info']['stat']; prev: ReturnType<typeof prevState> } {
  const st = i.info.stat;
  if (prevState(st) === 'link' && i.follow) {
    const target = i.info.target ?? undefined;
    return { path: i.info.realPath ?? i.path, st: target, prev: prevState(target) };
  }
  return { path: i.path, st, prev: prevState(st) };
}

export function planFile(i: FilePlanInput): FilePlan {
  const { path, st, prev } = followLink(i);
  if (prev !== 'file' && prev !== 'hard') throw new ModuleError(`file (${path}) is ${prev}, cannot continue`, { result: { path, state: prev } });
  const p = newPlan(path, 'file', prev);
  const a = applyAttrs(p, path, cur(st!), i.attrs, i.facts.umask);
  const t = applyTimes(p, path, st!, i);
  p.changed = a || t;
  return summary(p, st, 'file');
}

export function planDirectory(i: FilePlanInput): FilePlan {
  const { path, st, prev } = followLink(i);
  const p = newPlan(path, 'directory', prev);
  const umask = i.facts.umask;
  if (prev === 'absent') {
    const dirMode = i.attrs.mode !== undefined ? resolveMode(i.attrs.mode, defaultMode(umask, true), true, umask) : undefined;
    const dirs: string[] = [];
    for (let d = path.replace(/\/+$/, ''); d && d !== '/' && d !== '.'; d = parentDir(d)) dirs.unshift(d);
    p.steps.push({ kind: 'run', what: `creating ${path}`, command: mkdirsScript(dirs, dirMode, i.attrs.owner, i.attrs.group).join('\n') });
    const u = newFileAttrs(i.facts, true);
    const fresh = { ...u, mode: dirMode ?? u.mode, owner: i.attrs.owner ?? u.owner, group: i.attrs.group ?? u.group };
    if (i.mtime.kind === 'at' || i.atime.kind === 'at') applyTimes(p, path, { mtime: i.now, atime: i.now }, i);
    p.changed = true;
    return summary(p, fresh, 'directory');
  }
  if (prev !== 'directory') throw new ModuleError(`${path} already exists as a ${prev}`);
  const a = applyAttrs(p, path, cur(st!), i.attrs, umask);
  const t = applyTimes(p, path, st!, i);
  const r = i.recurse ? planRecurse(p, path, i) : false;
  p.changed = a || t || r;
  return summary(p, st, 'directory');
}

/**
 * recurse: owner/group/mode of everything below (links: owner/group only, as lchown). Modes are computed
 * here per entry (chmod's own symbolic modes keep a directory's setuid/setgid bits, Ansible's don't) and
 * applied with xargs -0 over the paths that need it, one command per distinct mode.
 */
function planRecurse(p: FilePlan, path: string, i: FilePlanInput): boolean {
  const { owner, group, mode } = i.attrs;
  const tree = i.info.tree ?? [];
  const chown: string[] = [];
  // follow: what links point to (chown through the link; chmod always follows)
  const chownFollowed: string[] = [];
  const chmod = new Map<number, string[]>();
  for (const e of tree) {
    if ((owner !== undefined && !idMatches(owner, e.uid, e.owner)) || (group !== undefined && !idMatches(group, e.gid, e.group)))
      (e.followed ? chownFollowed : chown).push(e.path);
    if (mode !== undefined && e.type !== 'link') {
      const want = resolveMode(mode, e.mode, e.type === 'directory', i.facts.umask);
      if (want !== e.mode) chmod.set(want, [...(chmod.get(want) ?? []), e.path]);
    }
  }
  const list = (paths: string[]): Buffer => Buffer.from(paths.map((x) => x + '\0').join(''), 'utf8');
  const spec = owner !== undefined && group !== undefined ? `${owner}:${group}` : owner !== undefined ? owner : `:${group}`;
  if (chown.length)
    p.steps.push({ kind: 'run', what: `changing owner/group below ${path}`, command: `xargs -0 -r chown -h -- ${shq(spec)}`, stdin: list(chown) });
  if (chownFollowed.length)
    p.steps.push({
      kind: 'run',
      what: `changing owner/group of what links below ${path} point to`,
      command: `xargs -0 -r chown -- ${shq(spec)}`,
      stdin: list(chownFollowed),
    });
  for (const [m, paths] of chmod) {
    p.steps.push({ kind: 'run', what: `changing modes below ${path}`, command: `xargs -0 -r chmod ${chmodArg(m)} --`, stdin: list(paths) });
  }
  if (!chown.length && !chownFollowed.length && !chmod.size) return false;
  p.after.recurse = `${new Set([...chown, ...chownFollowed, ...[...chmod.values()].flat()]).size} of ${tree.length} entries below ${path} changed`;
  return true;
}
