/**
 * "This text file should have exactly this content", for the cloud-node modules (resolv_conf, autofs_map,
 * mount, sendmail_smarthost, authorized_key). Composes the file modules' machinery rather than copying it:
 * one file-state read (stat + link + sha1 + content), copy's planPut (atomic write, owner/mode kept or set,
 * validate, backup, diff) and runSteps.
 */
import { ModuleError, type FileDiff, type CheckContext, type ModuleContext } from '../../src/contract/index.js';
import { fileStateFact, runSteps, type FileFacts, type FileInfo, type FileStep, type ModeSpec } from './index.js';
import { shq } from '../shell/quote.js';
import { planPut } from './put-plan.js';

export interface TextFile {
  facts: FileFacts;
  info: FileInfo;
  /** the content when the path is a regular file (or a link to one); null when absent */
  text: string | null;
  /** the path is a symlink */
  isLink: boolean;
}

/** Read a text file (following a link for the content), in one command. */
export async function readTextFile(ctx: CheckContext, path: string): Promise<TextFile> {
  const facts = await ctx.fact(fileStateFact, { items: [{ path, follow: true, checksum: 'sha1', content: 'all' }] });
  const info = facts.files[0]!;
  const st = info.stat?.type === 'link' ? info.target : info.stat;
  if (st && st.type === 'directory') throw new ModuleError(`${path} is a directory`);
  if (st && st.type !== 'file') throw new ModuleError(`${path} is not a regular file (${st.type})`);
  if (st && info.content === undefined) throw new ModuleError(`${path} is not readable (become: true?)`);
  return { facts, info, text: st && info.content ? info.content.toString('utf8') : st ? '' : null, isLink: info.stat?.type === 'link' };
}

export interface PutTextOptions {
  /** write through a symlink to its target (false: a symlink is replaced by a regular file) */
  follow?: boolean;
  owner?: string;
  group?: string;
  /** mode to enforce; `newMode` applies only when the file is created (default 0644: resolv.conf, fstab... must stay world-readable even under a 077 umask) */
  mode?: ModeSpec;
  newMode?: ModeSpec;
  backup?: boolean;
  validate?: string;
  /** directories to create first (top down) and their mode */
  mkdirs?: string[];
  dirMode?: number;
}

export interface TextPlan {
  steps: FileStep[];
  diff: FileDiff[];
  summary: string;
}

/** Plan writing `content` to the file read by readTextFile; undefined when it is already exactly so. */
export function planText(f: TextFile, content: string, o: PutTextOptions = {}): TextPlan | undefined {
  const regular = f.info.exists && (f.isLink ? !!o.follow && !!f.info.target : true);
  const mode = o.mode ?? (regular ? undefined : (o.newMode ?? '0644'));
  const p = planPut(
    f.info,
    f.facts,
    { data: Buffer.from(content, 'utf8') },
    {
      owner: o.owner,
      group: o.group,
      mode,
      backup: o.backup ?? false,
      force: true,
      validate: o.validate,
      follow: o.follow ?? false,
      unsafeWrites: false,
      mkdirs: o.mkdirs,
      dirMode: o.dirMode,
    },
    true,
  );
  if (!p.changed) return undefined;
  return { steps: p.steps, diff: p.diffs, summary: p.summary };
}

/** Plan removing a file (rm -f); undefined when it does not exist. */
export function planRemove(f: TextFile, path: string): TextPlan | undefined {
  if (!f.info.exists) return undefined;
  return {
    steps: [{ kind: 'run', what: `removing ${path}`, command: `rm -f -- ${shq(path)}` }],
    diff: [{ before: f.text ?? '', after: '', beforeHeader: path, afterHeader: path }],
    summary: `remove ${path}`,
  };
}

export async function applyText(ctx: ModuleContext, steps: readonly FileStep[]): Promise<{ backup_file?: string }> {
  const out = await runSteps(ctx, steps);
  return out.backupFile ? { backup_file: out.backupFile } : {};
}
