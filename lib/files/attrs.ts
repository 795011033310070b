/**
 * owner / group / mode: compare what a path has with what the arguments ask for (owner and group by name or
 * numeric id), plan the change, and render the Ansible-style attribute diff.
 */
import { shq } from '../shell/quote.js';
import type { FileDiff } from '../../src/contract/index.js';
import { defaultMode, formatMode, resolveMode, type ModeSpec } from './mode.js';
import { runningUser, type FileFacts } from './state.js';
import { chmodArg } from './write.js';

export interface AttrArgs {
  owner?: string;
  group?: string;
  mode?: ModeSpec;
}

export interface CurrentAttrs {
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  isDir: boolean;
}

export interface AttrChange {
  owner?: string;
  group?: string;
  mode?: number;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** What a file (or directory) created now gets: 0666/0777 & ~umask, owned by the running user. */
export function newFileAttrs(facts: FileFacts, isDir = false): CurrentAttrs {
  const u = runningUser(facts);
  return { mode: defaultMode(facts.umask, isDir), uid: u.uid, gid: u.gid, owner: u.name, group: u.group, isDir };
}

/** Does `spec` (a name or a numeric id) name this user/group? */
export function idMatches(spec: string, id: number, name: string): boolean {
  return /^\d+$/.test(spec) ? Number(spec) === id : spec === name;
}

/** The differences between `cur` and the arguments, or undefined when there are none. */
export function planAttrs(cur: CurrentAttrs, args: AttrArgs, umask: number, opts: { skipMode?: boolean } = {}): AttrChange | undefined {
  const ch: AttrChange = { before: {}, after: {} };
  let any = false;
  if (args.owner !== undefined && !idMatches(args.owner, cur.uid, cur.owner)) {
    ch.owner = args.owner;
    ch.before.owner = /^\d+$/.test(args.owner) ? cur.uid : cur.owner;
    ch.after.owner = /^\d+$/.test(args.owner) ? Number(args.owner) : args.owner;
    any = true;
  }
  if (args.group !== undefined && !idMatches(args.group, cur.gid, cur.group)) {
    ch.group = args.group;
    ch.before.group = /^\d+$/.test(args.group) ? cur.gid : cur.group;
    ch.after.group = /^\d+$/.test(args.group) ? Number(args.group) : args.group;
    any = true;
  }
  if (args.mode !== undefined && !opts.skipMode) {
    const want = resolveMode(args.mode, cur.mode, cur.isDir, umask);
    if (want !== cur.mode) {
      ch.mode = want;
      ch.before.mode = formatMode(cur.mode);
      ch.after.mode = formatMode(want);
      any = true;
    }
  }
  return any ? ch : undefined;
}

/**
 * chmod of `path` (a regular file or directory when check() read it) that cannot be redirected by the path
 * being swapped for a symlink in between (chmod(1) follows links, and there is no `chmod -h`): the path is
 * opened once, the open file is checked to be the very inode lstat finds at the path (so the open did not go
 * through a link), and the mode is set through /proc/self/fd. Where /proc is missing, or the running user
 * cannot read the path, plain chmod.
 */
export function pinnedChmod(path: string, mode: number): string {
  const p = shq(path);
  const fd = '/proc/self/fd/6';
  const pin =
    `{ [ -f ${p} ] || [ -d ${p} ]; } && [ ! -L ${p} ] && command exec 6<${p} && [ "$(stat -c %d:%i -- ${p})" = "$(stat -L -c %d:%i ${fd})" ] ` +
    `|| { echo ${shq(`tsplay: ${path} was replaced while the task ran (by a symbolic link?): its mode is left alone`)} >&2; exit 1; }`;
  return `if [ -e /proc/self/fd ] && [ -r ${p} ]; then ${pin}; chmod ${chmodArg(mode)} ${fd} && exec 6<&-; else chmod ${chmodArg(mode)} -- ${p}; fi`;
}

/**
 * chown/chmod for a planned change (owner before mode: chown clears setuid bits). `path` is what check() saw
 * as a regular file or directory (links already resolved), so chown -h is the same thing, and never follows a
 * link swapped in since; chmod is pinned (pinnedChmod). noDeref: `path` is a link, act on the link itself.
 */
export function attrsCommand(path: string, ch: Pick<AttrChange, 'owner' | 'group' | 'mode'>, opts: { noDeref?: boolean; recurse?: boolean } = {}): string[] {
  const p = shq(path);
  const flags = `${opts.recurse ? '-R ' : ''}-h `;
  const out: string[] = [];
  if (ch.owner !== undefined && ch.group !== undefined) out.push(`chown ${flags}-- ${shq(`${ch.owner}:${ch.group}`)} ${p}`);
  else if (ch.owner !== undefined) out.push(`chown ${flags}-- ${shq(ch.owner)} ${p}`);
  else if (ch.group !== undefined) out.push(`chgrp ${flags}-- ${shq(ch.group)} ${p}`);
  if (ch.mode !== undefined)
    out.push(opts.recurse || opts.noDeref ? `chmod ${opts.recurse ? '-R ' : ''}${chmodArg(ch.mode)} -- ${p}` : pinnedChmod(path, ch.mode));
  return out;
}

/** JSON the way Ansible's callback serializes dict diffs (sorted keys, indent 4, trailing newline). */
export function serializeDiffDict(d: Record<string, unknown>): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(d), null, 4) + '\n';
}

/** Ansible's "PATH (file attributes)" diff. */
export function attrDiff(path: string, before: Record<string, unknown>, after: Record<string, unknown>, header = `${path} (file attributes)`): FileDiff {
  return { before: serializeDiffDict({ path, ...before }), after: serializeDiffDict({ path, ...after }), beforeHeader: header, afterHeader: header };
}
