/**
 * Planning "this content should be at dest" (copy, template): pure, from the file-state facts.
 * Ansible semantics: a link at dest is replaced by a file unless follow; force=false only creates;
 * an existing file keeps its owner/group/mode unless given; a new file gets 0666 & ~umask.
 */
import { createHash } from 'node:crypto';
import { ModuleError, type FileDiff, type ResultData } from '../../src/contract/index.js';
import {
  attrDiff,
  attrsCommand,
  contentDiff,
  newFileAttrs,
  formatMode,
  parentDir,
  planAttrs,
  type CurrentAttrs,
  type DiffSide,
  type FileFacts,
  type FileInfo,
  type FileStep,
  type ModeSpec,
} from './index.js';

export interface PutSource {
  /** the new content (absent for remote_src) */
  data?: Buffer;
  /** remote_src: the file on the host, its sha1 and size */
  remotePath?: string;
  remoteChecksum?: string;
  remoteSize?: number;
  /** diff header / result `src` */
  label?: string;
  /** the source's mode, for mode: preserve */
  mode?: number;
}

export interface PutOptions {
  owner?: string;
  group?: string;
  mode?: ModeSpec;
  backup: boolean;
  force: boolean;
  validate?: string;
  follow: boolean;
  unsafeWrites: boolean;
  /** directories that may have to be created first (dest ended with '/') */
  mkdirs?: string[];
  dirMode?: number;
}

export interface PutPlan {
  changed: boolean;
  steps: FileStep[];
  diffs: FileDiff[];
  result: ResultData;
  summary: string;
}

export function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

export function planPut(info: FileInfo, facts: FileFacts, src: PutSource, o: PutOptions, diffMode: boolean): PutPlan {
  let dest = info.path;
  let cur = info.stat;
  let replaceLink = false;
  if (cur?.type === 'link') {
    if (o.follow && info.target) {
      dest = info.realPath ?? dest;
      cur = info.target;
    } else replaceLink = true;
  }
  const checksum = src.data ? sha1(src.data) : src.remoteChecksum;
  const size = src.data ? src.data.length : src.remoteSize;
  const baseResult: ResultData = { dest, ...(src.label !== undefined ? { src: src.label } : {}), checksum, size };
  if (cur?.type === 'directory') throw new ModuleError(`dest ${dest} is a directory`);
  if (info.exists && !o.force) {
    return { changed: false, steps: [], diffs: [], summary: '', result: { ...baseResult, msg: 'file already exists' } };
  }
  const mkdirs = info.exists || info.parentIsDir ? [] : (o.mkdirs ?? []);
  if (!info.exists && !info.parentIsDir && !mkdirs.length) throw new ModuleError(`Destination directory ${parentDir(dest)} does not exist`);

  const regular = !replaceLink && cur?.type === 'file';
  const contentChanged = !regular || info.checksum !== checksum;
  const base: CurrentAttrs = regular
    ? { mode: cur!.mode, uid: cur!.uid, gid: cur!.gid, owner: cur!.owner, group: cur!.group, isDir: false }
    : newFileAttrs(facts);
  const modeSpec = o.mode === 'preserve' ? src.mode : o.mode;
  const attrs = planAttrs(base, { owner: o.owner, group: o.group, mode: modeSpec }, facts.umask);
  const finalMode = attrs?.mode ?? base.mode;
  const result: ResultData = {
    ...baseResult,
    owner: o.owner ?? base.owner,
    group: o.group ?? base.group,
    mode: formatMode(finalMode),
    state: 'file',
  };
  if (o.owner === undefined) result.uid = base.uid;
  if (o.group === undefined) result.gid = base.gid;

  const steps: FileStep[] = [];
  const diffs: FileDiff[] = [];
  let summary = '';
  if (contentChanged) {
    steps.push({
      kind: 'write',
      data: src.data,
      spec: {
        dest,
        fromRemote: src.remotePath,
        keepAttrs: regular,
        mode: finalMode,
        owner: o.owner,
        group: o.group,
        validate: o.validate,
        backup: o.backup && regular,
        mkdirs,
        dirMode: o.dirMode,
        dirOwner: o.owner,
        dirGroup: o.group,
        unsafeWrites: o.unsafeWrites,
      },
    });
    summary = `${info.exists ? 'replace' : 'create'} ${dest}`;
    if (diffMode) {
      const before: DiffSide = !regular
        ? { kind: 'absent' }
        : info.content
          ? { kind: 'content', data: info.content, truncated: info.contentTruncated }
          : { kind: 'unknown', note: `content of ${dest} not readable` };
      const after: DiffSide = src.data ? { kind: 'content', data: src.data } : { kind: 'unknown', note: `content of ${src.remotePath} on the host` };
      diffs.push(contentDiff(dest, before, after, { afterHeader: src.label ?? dest }));
    }
  } else if (attrs) {
    steps.push({ kind: 'run', what: `setting attributes of ${dest}`, command: attrsCommand(dest, attrs).join(' && ') });
    summary = `set ${Object.keys(attrs.after).join(', ')} of ${dest}`;
  }
  if (attrs && regular && diffMode) diffs.push(attrDiff(dest, attrs.before, attrs.after));
  return { changed: steps.length > 0, steps, diffs, result, summary };
}
