/**
 * copy: put content (inline, a controller file or directory tree, or a file already on the host) at dest.
 * One file-state command decides; apply is one atomic write (or one chown/chmod) per changed file.
 * template reuses checkPut/applyCopy.
 */
import {
  ArgsError,
  ModuleError,
  Type,
  change,
  defineModule,
  ok,
  type CheckResult,
  type FileDiff,
  type CheckContext,
  type ModuleContext,
  type ResultData,
  type Static,
} from '../../../src/contract/index.js';
import {
  attrDiff,
  ancestors,
  baseName,
  checkModeSpec,
  fileStateFact,
  joinPath,
  modeWarning,
  octalMode,
  parentDir,
  planAttrs,
  attrsCommand,
  readControllerSource,
  refuseUntrustedLinks,
  runSteps,
  mkdirsScript,
  type FileStep,
} from '../../../lib/files/index.js';
import { fileAttrArgs, ModeArg, writeArgs, TRUSTED_LINKS_NOTE, IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import { planPut, sha1, type PutOptions, type PutSource } from '../../../lib/files/put-plan.js';

const Args = Type.Object(
  {
    src: Type.Optional(Type.String({ description: 'controller file or directory (files/ search path); with remote_src, a path on the host' })),
    content: Type.Optional(Type.Unknown({ description: 'the file content (instead of src); lists/dicts are written as JSON' })),
    dest: Type.String({ description: "destination; ending in '/' or an existing directory means dest/basename(src)" }),
    ...fileAttrArgs,
    ...writeArgs,
    force: Type.Boolean({ default: true, description: 'false: only create dest when it does not exist' }),
    remote_src: Type.Boolean({ default: false, description: 'src is a file on the host' }),
    directory_mode: Type.Optional(ModeArg('mode of directories created by a recursive copy')),
    follow: Type.Boolean({
      default: false,
      description: `when dest is a link, write the file it points to; false: a link at dest is replaced, and on the way to dest ${TRUSTED_LINKS_NOTE}`,
    }),
    checksum: Type.Optional(Type.String({ description: 'expected sha1 of the source; the task fails when it differs' })),
  },
  { additionalProperties: false },
);
export type CopyArgs = Static<typeof Args>;

export interface CopyPlan {
  steps: FileStep[];
  result: ResultData;
}

/** Options of copy/template that shape the write. */
export type PutArgs = Pick<CopyArgs, 'owner' | 'group' | 'mode' | 'backup' | 'force' | 'validate' | 'follow' | 'unsafe_writes'> & {
  directory_mode?: string | number;
};

function putOptions(a: PutArgs): PutOptions {
  const dirMode = a.directory_mode !== undefined ? octalMode(a.directory_mode) : undefined;
  return {
    owner: a.owner,
    group: a.group,
    mode: a.mode,
    backup: a.backup,
    force: a.force,
    validate: a.validate,
    follow: a.follow,
    unsafeWrites: a.unsafe_writes,
    dirMode,
  };
}

function warnMode(ctx: CheckContext, a: PutArgs): void {
  for (const m of [a.mode, a.directory_mode]) {
    const w = modeWarning(m);
    if (w) ctx.warn(w);
  }
}

/**
 * "This content belongs at dest": the shared check of copy and template. `basename` is used when dest is a
 * directory (or ends with '/'); without it (inline content) such a dest is an error.
 */
export async function checkPut(ctx: CheckContext, dest: string, source: PutSource, basename: string | undefined, a: PutArgs): Promise<CheckResult<CopyPlan>> {
  warnMode(ctx, a);
  const o = putOptions(a);
  let path = dest;
  let inDir: string | undefined = basename;
  if (dest.endsWith('/')) {
    if (!basename) throw new ModuleError('can not use content with a dir as dest');
    path = joinPath(dest, basename);
    inDir = undefined;
    o.mkdirs = ancestors(parentDir(path));
  }
  const facts = await ctx.fact(fileStateFact, {
    items: [{ path, inDir, follow: a.follow, linkHops: true, checksum: 'sha1', content: ctx.diffMode ? 'peek' : undefined }],
  });
  const info = facts.files[0]!;
  // a link at dest is replaced, not followed (unless follow); the links on the way to its directory are followed
  if (!a.follow) refuseUntrustedLinks(info, facts, { followFinal: false });
  if (info.exists && info.stat?.type === 'directory' && !info.joined) {
    throw new ModuleError(basename ? `dest ${path} is a directory` : 'can not use content with a dir as dest');
  }
  const p = planPut(info, facts, source, o, ctx.diffMode);
  if (!p.changed) return ok({ ...p.result, changed: false });
  return change(p.summary, { steps: p.steps, result: p.result }, { diff: p.diffs, result: p.result });
}

export async function applyCopy(ctx: ModuleContext, _args: unknown, plan: CopyPlan): Promise<ResultData> {
  const out = await runSteps(ctx, plan.steps);
  return { ...plan.result, ...(out.backupFile ? { backup_file: out.backupFile } : {}) };
}

/** Content that is not text, as ansible-core's copy writes it: json.dumps() of a list or dict, str() of a boolean. */
function contentBuffer(content: unknown): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (content !== null && typeof content === 'object') return Buffer.from(jsonDumps(content), 'utf8');
  return Buffer.from(typeof content === 'boolean' ? (content ? 'True' : 'False') : String(content), 'utf8');
}

/** Python's json.dumps with its defaults: ', ' and ': ' separators, non-ASCII characters escaped. */
function jsonDumps(v: unknown): string {
  const str = (s: string) => JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(v)) return `[${v.map(jsonDumps).join(', ')}]`;
  if (typeof v === 'string') return str(v);
  if (v !== null && typeof v === 'object' && typeof v.valueOf() === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${str(k)}: ${jsonDumps(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v) ?? 'null';
}

async function checkRemote(ctx: CheckContext, a: CopyArgs): Promise<CheckResult<CopyPlan>> {
  const src = a.src!;
  const dest = a.dest.endsWith('/') ? joinPath(a.dest, baseName(src)) : a.dest;
  const facts = await ctx.fact(fileStateFact, {
    items: [
      { path: src, follow: true, linkHops: true, checksum: 'sha1' },
      {
        path: dest,
        inDir: a.dest.endsWith('/') ? undefined : baseName(src),
        follow: a.follow,
        linkHops: true,
        checksum: 'sha1',
        content: ctx.diffMode ? 'peek' : undefined,
      },
    ],
  });
  const [s, d] = facts.files as [(typeof facts.files)[0], (typeof facts.files)[0]];
  if (!a.follow) {
    refuseUntrustedLinks(s, facts, { followFinal: true }); // read as root: a planted link would copy another file
    refuseUntrustedLinks(d, facts, { followFinal: false });
  }
  const st = s.stat?.type === 'link' ? s.target : s.stat;
  if (!s.exists || !st) throw new ModuleError(`Source ${src} not found`);
  if (st.type === 'directory') throw new ModuleError(`remote_src: copying the directory ${src} is not supported; copy its files, or use command with cp -a`);
  if (st.type !== 'file') throw new ModuleError(`Cannot copy invalid source '${src}': not a file`);
  if (s.checksum === undefined) throw new ModuleError(`Source ${src} not readable`);
  if (a.checksum && a.checksum !== s.checksum) throw new ModuleError('Copied file does not match the expected checksum. Transfer failed.');
  const o = putOptions(a);
  if (a.dest.endsWith('/')) o.mkdirs = ancestors(parentDir(dest));
  const source: PutSource = { remotePath: s.realPath ?? src, remoteChecksum: s.checksum, remoteSize: st.size, label: src, mode: st.mode };
  const p = planPut(d, facts, source, o, ctx.diffMode);
  if (!p.changed) return ok({ ...p.result, changed: false });
  return change(p.summary, { steps: p.steps, result: p.result }, { diff: p.diffs, result: p.result });
}

/** A directory tree from the controller: like Ansible, 'dir' copies the directory itself, 'dir/' its contents. */
async function checkTree(
  ctx: CheckContext,
  a: CopyArgs,
  root: string,
  files: { rel: string; data: Buffer; mode: number }[],
  dirs: string[],
): Promise<CheckResult<CopyPlan>> {
  warnMode(ctx, a);
  const destRoot = a.src!.endsWith('/') ? a.dest.replace(/\/+$/, '') || '/' : joinPath(a.dest.replace(/\/+$/, '') || '/', baseName(a.src!));
  const dirPaths = [destRoot, ...dirs.map((d) => joinPath(destRoot, d))];
  const facts = await ctx.fact(fileStateFact, {
    items: [
      ...dirPaths.map((path) => ({ path, linkHops: true })),
      ...files.map((f) => ({ path: joinPath(destRoot, f.rel), linkHops: true, checksum: 'sha1' as const, follow: false })),
    ],
  });
  if (!a.follow) for (const info of facts.files) refuseUntrustedLinks(info, facts, { followFinal: false });
  const o = putOptions(a);
  const steps: FileStep[] = [];
  const diffs: FileDiff[] = [];
  const missing: string[] = [];
  dirPaths.forEach((path, i) => {
    const info = facts.files[i]!;
    if (!info.exists) {
      missing.push(path);
      return;
    }
    if (info.stat!.type !== 'directory') throw new ModuleError(`${path} exists and is not a directory`);
    const ch = planAttrs({ ...info.stat!, isDir: true }, { owner: a.owner, group: a.group, mode: a.directory_mode }, facts.umask);
    if (ch) {
      steps.push({ kind: 'run', what: `setting attributes of ${path}`, command: attrsCommand(path, ch).join(' && ') });
      if (ctx.diffMode) diffs.push(attrDiff(path, ch.before, ch.after));
    }
  });
  if (missing.length) {
    const needed = [...new Set(missing.flatMap((m) => ancestors(m)))];
    steps.unshift({ kind: 'run', what: `creating directories under ${destRoot}`, command: mkdirsScript(needed, o.dirMode, a.owner, a.group).join('\n') });
  }
  files.forEach((f, i) => {
    const info = facts.files[dirPaths.length + i]!;
    if (!info.exists) info.parentIsDir = true; // created by the step above
    const p = planPut(info, facts, { data: f.data, label: joinPath(root, f.rel), mode: f.mode }, { ...o, follow: false }, ctx.diffMode);
    steps.push(...p.steps);
    diffs.push(...p.diffs);
  });
  const result: ResultData = { dest: destRoot, src: root };
  if (!steps.length) return ok(result);
  return change(`copy ${files.length} file(s) into ${destRoot}`, { steps, result }, { diff: diffs, result });
}

/** What copy and template return about the file they wrote (`tsplay doc`). */
export const PUT_RETURNS: Readonly<Record<string, string>> = {
  dest: "the file written (a link's target with follow)",
  checksum: 'sha1 of the content',
  size: 'size of the content in bytes',
  owner: 'owner of dest',
  group: 'group of dest',
  mode: 'mode of dest (octal text)',
  state: 'file',
  uid: 'uid of dest (when owner is not given)',
  gid: 'gid of dest (when group is not given)',
  backup_file: 'with backup: the copy of the old file',
};

export const copyModule = defineModule({
  acceptedArgs: IGNORED_FILE_ARGS,
  name: 'copy',
  aliases: ['ansible.builtin.copy', 'ansible.legacy.copy'],
  description: 'Copy a file or directory tree (or inline content) to the host, atomically, keeping or setting owner/group/mode',
  examples: `- name: the site's munge key (the on-prem one, never a new one)
  ansible.builtin.copy:
    src: munge.key
    dest: /etc/munge/munge.key
    owner: munge
    group: munge
    mode: "0400"
  no_log: true
  notify: restart munge
- name: sudo rule for Slurm's power-saving scripts, checked before it is installed
  ansible.builtin.copy:
    content: "slurm ALL=(root) NOPASSWD: /opt/slurm/etc/resume.sh, /opt/slurm/etc/suspend.sh\\n"
    dest: /etc/sudoers.d/slurm-power
    mode: "0440"
    validate: visudo -cf %s
`,
  returns: { ...PUT_RETURNS, src: 'the source (controller path, or the host path with remote_src)' },
  args: Args,
  rules: { requiredOneOf: [['src', 'content']], mutuallyExclusive: [['src', 'content']], requiredIf: [{ arg: 'remote_src', is: true, then: ['src'] }] },
  validate(a) {
    if (a.content !== undefined && a.dest.endsWith('/')) throw new ArgsError('copy: can not use content with a dir as dest', '/dest');
    checkModeSpec(a.mode, '/mode', true);
    if (a.directory_mode !== undefined && octalMode(a.directory_mode) === undefined)
      throw new ArgsError('copy: directory_mode must be octal', '/directory_mode');
  },
  async check(ctx, a) {
    if (a.remote_src) return checkRemote(ctx, a);
    if (a.content !== undefined) {
      return checkPut(ctx, a.dest, { data: contentBuffer(a.content), label: 'dynamically generated' }, undefined, a);
    }
    const s = await readControllerSource(ctx, a.src!, 'files');
    if (s.kind === 'dir') return checkTree(ctx, a, s.root, s.files, s.dirs);
    if (a.checksum && sha1(s.file.data) !== a.checksum) throw new ModuleError('Copied file does not match the expected checksum. Transfer failed.');
    return checkPut(ctx, a.dest, { data: s.file.data, label: s.file.path, mode: s.file.mode }, baseName(a.src!), a);
  },
  apply: applyCopy,
});
