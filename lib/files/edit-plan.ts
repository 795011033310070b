/**
 * The common shape of lineinfile and blockinfile: read the file (one command, following links), edit it
 * in memory, then one atomic write (keeping owner/group/mode) and/or one chown/chmod.
 */
import { ModuleError, change, ok, type CheckResult, type FileDiff, type CheckContext, type ModuleContext, type ResultData } from '../../src/contract/index.js';
import {
  ancestors,
  attrDiff,
  attrsCommand,
  contentDiff,
  newFileAttrs,
  fileStateFact,
  modeWarning,
  parentDir,
  planAttrs,
  refuseUntrustedLinks,
  runSteps,
  type CurrentAttrs,
  type FileStep,
  type ModeSpec,
} from './index.js';

export interface EditArgs {
  path: string;
  owner?: string;
  group?: string;
  mode?: ModeSpec;
  backup: boolean;
  validate?: string;
  create: boolean;
  unsafe_writes: boolean;
  /** undefined: follow trusted symlinks only (file-trust.ts); true: any; false: none */
  follow?: boolean;
}

export interface EditOutcome {
  content: Buffer;
  changed: boolean;
  msg: string;
  /** extra result fields (lineinfile's found) */
  extra?: ResultData;
}

export interface EditPlan {
  steps: FileStep[];
  result: ResultData;
}

export interface EditHooks {
  /** the file is missing: return a result to stop there (state=absent), or undefined to go on */
  whenMissing(): ResultData | undefined;
  /** message for a missing file without create */
  missingMsg: string;
  edit(content: Buffer | null): EditOutcome;
}

export async function checkEdit(ctx: CheckContext, a: EditArgs, hooks: EditHooks): Promise<CheckResult<EditPlan>> {
  const w = modeWarning(a.mode);
  if (w) ctx.warn(w);
  const facts = await ctx.fact(fileStateFact, { items: [{ path: a.path, follow: true, linkHops: true, content: 'all' }] });
  const info = facts.files[0]!;
  if (a.follow === false && info.stat?.type === 'link') throw new ModuleError(`${a.path} is a symlink and follow is false: not following it`);
  if (a.follow !== true) refuseUntrustedLinks(info, facts, { followFinal: true });
  let dest = a.path;
  let st = info.stat;
  if (st?.type === 'link') {
    dest = info.realPath ?? a.path;
    st = info.target ?? undefined;
  }
  if (st?.type === 'directory') throw new ModuleError(`Path ${a.path} is a directory !`, { rc: 256 });
  const exists = st !== undefined;
  if (!exists) {
    const stop = hooks.whenMissing();
    if (stop) return ok(stop);
    if (!a.create) throw new ModuleError(hooks.missingMsg, { rc: 257 });
  }
  const out = hooks.edit(exists ? (info.content ?? Buffer.alloc(0)) : null);
  const base: CurrentAttrs = exists ? { mode: st!.mode, uid: st!.uid, gid: st!.gid, owner: st!.owner, group: st!.group, isDir: false } : newFileAttrs(facts);
  const attrs = planAttrs(base, { owner: a.owner, group: a.group, mode: a.mode }, facts.umask);
  // Ansible reports attribute changes only for a file that exists (or will, outside check mode)
  const attrsCount = attrs && (exists || out.changed);
  let msg = out.msg;
  if (attrsCount) msg += (out.changed ? ' and ' : '') + 'ownership, perms or SE linux context changed';
  const result: ResultData = { msg, ...out.extra };
  const steps: FileStep[] = [];
  if (out.changed) {
    const parentMissing = !exists && !(info.parentIsDir || (info.stat?.type === 'link' && dest !== a.path));
    steps.push({
      kind: 'write',
      data: out.content,
      spec: {
        dest,
        keepAttrs: exists,
        mode: attrs?.mode ?? base.mode,
        owner: a.owner,
        group: a.group,
        validate: a.validate,
        backup: a.backup && exists,
        mkdirs: parentMissing ? ancestors(parentDir(dest)) : [],
        unsafeWrites: a.unsafe_writes,
      },
    });
  } else if (attrs) {
    steps.push({ kind: 'run', what: `setting attributes of ${dest}`, command: attrsCommand(dest, attrs).join(' && ') });
  }
  if (!steps.length) return ok(result);
  const diff: FileDiff[] = [];
  if (ctx.diffMode) {
    const header = `${a.path} (content)`;
    diff.push(
      contentDiff(
        a.path,
        exists ? { kind: 'content', data: info.content ?? Buffer.alloc(0) } : { kind: 'absent' },
        { kind: 'content', data: out.content },
        { beforeHeader: header, afterHeader: header },
      ),
    );
    if (attrs && exists) diff.push(attrDiff(a.path, attrs.before, attrs.after));
  }
  return change(msg || `update ${dest}`, { steps, result }, { diff, result });
}

export async function applyEdit(ctx: ModuleContext, _a: unknown, plan: EditPlan): Promise<ResultData> {
  const out = await runSteps(ctx, plan.steps);
  // Ansible: lineinfile says `backup`, blockinfile `backup_file`; both are given
  return { ...plan.result, ...(out.backupFile ? { backup_file: out.backupFile, backup: out.backupFile } : {}) };
}
