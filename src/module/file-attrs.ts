/**
 * owner / group / mode: compare what a path has with what the arguments ask for (owner and group by name or
 * numeric id), plan the change, and render the Ansible-style attribute diff.
 */
import { shq } from '../util/shell.js';
import type { FileDiff } from './define.js';
import { defaultMode, formatMode, resolveMode, type ModeSpec } from './file-mode.js';
import { runningUser, type FileFacts } from './file-state.js';
import { chmodArg } from './file-write.js';

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

/** chown/chmod for a planned change (owner before mode: chown clears setuid bits). */
export function attrsCommand(path: string, ch: Pick<AttrChange, 'owner' | 'group' | 'mode'>, opts: { noDeref?: boolean; recurse?: boolean } = {}): string[] {
  const p = shq(path);
  const flags = `${opts.recurse ? '-R ' : ''}${opts.noDeref || opts.recurse ? '-h ' : ''}`;
  const out: string[] = [];
  if (ch.owner !== undefined && ch.group !== undefined) out.push(`chown ${flags}-- ${shq(`${ch.owner}:${ch.group}`)} ${p}`);
  else if (ch.owner !== undefined) out.push(`chown ${flags}-- ${shq(ch.owner)} ${p}`);
  else if (ch.group !== undefined) out.push(`chgrp ${flags}-- ${shq(ch.group)} ${p}`);
  if (ch.mode !== undefined) out.push(`chmod ${opts.recurse ? '-R ' : ''}${chmodArg(ch.mode)} -- ${p}`);
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
