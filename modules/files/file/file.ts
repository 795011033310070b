/**
 * file: state file/directory/link/hard/absent/touch with owner/group/mode, recurse, link src, force,
 * follow and modification_time/access_time. One file-state command to decide, one command per step to act.
 */
import { ArgsError, Type, change, defineModule, ok, type ResultData, type Static } from '../../../src/contract/index.js';
import {
  baseName,
  checkModeSpec,
  fileStateFact,
  modeWarning,
  parentDir,
  refuseUntrustedLinks,
  runSteps,
  serializeDiffDict,
  timeSpec,
  DEFAULT_TIME_FORMAT,
  type FileFacts,
  type FileQueryItem,
  type FileStep,
} from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { fileAttrArgs, TRUSTED_LINKS_NOTE, IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import { planAbsent, planDirectory, planFile, planTouch, prevState, type FilePlan, type FilePlanInput } from './file-states.js';
import { planHard, planLink } from './file-links.js';

const States = ['absent', 'directory', 'file', 'hard', 'link', 'touch'] as const;

const Args = Type.Object(
  {
    path: Type.String({ description: 'the path to manage' }),
    state: Type.Optional(
      Type.Union(
        States.map((s) => Type.Literal(s)),
        { description: 'default: the current state, or file' },
      ),
    ),
    ...fileAttrArgs,
    recurse: Type.Boolean({ default: false, description: 'state=directory: set owner/group/mode on everything below' }),
    src: Type.Optional(Type.String({ description: 'link/hard: what the link points to (relative to the link for symlinks)' })),
    force: Type.Boolean({ default: false, description: 'link/hard: replace an existing file/empty directory; link to a missing src' }),
    follow: Type.Optional(Type.Boolean({ description: `act on the target of a symlink (default: yes, but ${TRUSTED_LINKS_NOTE})` })),
    modification_time: Type.Optional(Type.String({ description: "'preserve', 'now' or a time in modification_time_format" })),
    modification_time_format: Type.String({
      default: DEFAULT_TIME_FORMAT,
      description: 'strptime format of modification_time (%Y %y %m %d %H %M %S); the time is local time on the host',
    }),
    access_time: Type.Optional(Type.String({ description: "'preserve', 'now' or a time in access_time_format" })),
    access_time_format: Type.String({
      default: DEFAULT_TIME_FORMAT,
      description: 'strptime format of access_time (%Y %y %m %d %H %M %S); the time is local time on the host',
    }),
    _diff_peek: Type.Optional(
      Type.Boolean({ description: "internal (Ansible's action plugins): only report appears_binary (a NUL byte in the first 8192 bytes), change nothing" }),
    ),
  },
  { additionalProperties: false },
);
export type FileArgs = Static<typeof Args>;

interface Plan {
  steps: FileStep[];
  result: ResultData;
}

function joinRel(dir: string, src: string): string {
  return src.startsWith('/') ? src : `${dir.replace(/\/+$/, '') || '/'}/${src}`.replace(/^\/\//, '/');
}

/** Looks `name` (a name, or an id when all digits) up in the passwd or group database: getent, else the file. */
function idLookup(db: 'passwd' | 'group', name: string): string {
  const field = /^\d+$/.test(name) ? 3 : 1;
  return `if command -v getent >/dev/null 2>&1; then getent ${db} ${shq(name)} >/dev/null 2>&1; else awk -F: -v k=${shq(name)} '$${field} == k { f = 1 } END { exit !f }' /etc/${db}; fi && echo y || echo n`;
}

/**
 * As ansible-core's file module in check mode (check_owner_exists / check_group_exists): an owner or group the
 * host does not know (yet) is a warning, since an earlier task would create it in a real run.
 */
async function warnUnknownIds(
  ctx: { probe: (c: string) => Promise<{ stdout: string }>; warn: (m: string) => void },
  owner?: string,
  group?: string,
): Promise<void> {
  const ask: ['passwd' | 'group', string][] = [];
  if (owner) ask.push(['passwd', owner]);
  if (group) ask.push(['group', group]);
  if (!ask.length) return;
  const r = await ctx.probe(ask.map(([db, n]) => idLookup(db, n)).join('\n'));
  const found = r.stdout.split('\n').filter(Boolean);
  ask.forEach(([db, n], i) => {
    if (found[i] !== 'n') return;
    const what = db === 'passwd' ? 'user' : 'group';
    const id = /^\d+$/.test(n) ? `with ${db === 'passwd' ? 'uid' : 'gid'} ${Number(n)}` : n;
    ctx.warn(`failed to look up ${what} ${id}. Create ${what} up to this point in real play`);
  });
}

/**
 * The symlink rule (file-trust.ts) for what this state acts on: the path's own link is followed by
 * file/touch/directory with follow; link/hard act on src's target only to set its attributes.
 */
function refuseLinks(state: string, follow: boolean, a: FileArgs, facts: FileFacts): void {
  const [info, srcInfo, srcInfoInPath] = facts.files;
  refuseUntrustedLinks(info!, facts, { followFinal: follow && (state === 'file' || state === 'touch' || state === 'directory') });
  const attrs = a.owner !== undefined || a.group !== undefined || a.mode !== undefined;
  if (!follow || !attrs) return;
  const src = state === 'link' && info!.stat?.type === 'directory' ? srcInfoInPath : srcInfo;
  if ((state === 'link' || state === 'hard') && src) refuseUntrustedLinks(src, facts, { followFinal: true });
}

export const fileModule = defineModule({
  acceptedArgs: IGNORED_FILE_ARGS,
  name: 'file',
  aliases: ['ansible.builtin.file', 'ansible.legacy.file'],
  description: 'Manage files, directories, symlinks and hard links, and their owner/group/mode/times',
  examples: `- name: munge's directory belongs to the munge account
  ansible.builtin.file:
    path: /etc/munge
    state: directory
    owner: munge
    group: munge
    mode: "0700"
- name: /home/nfsdata points into the automounted Azure Blob container (not mounted yet, hence force)
  ansible.builtin.file:
    path: /home/nfsdata
    src: /azure/nfsdata
    state: link
    force: true
`,
  returns: {
    path: 'the path managed',
    dest: 'link/hard: the link',
    src: 'link/hard: what it points to',
    state: 'the state after the task',
    mode: 'mode (octal text), when the path exists',
    owner: 'owner, when the path exists',
    group: 'group, when the path exists',
  },
  args: Args,
  argAliases: { dest: 'path', name: 'path' },
  validate(a) {
    if (a.recurse && a.state !== undefined && a.state !== 'directory') throw new ArgsError("file: recurse option requires state to be 'directory'", '/recurse');
    if (a.src !== undefined && a.state !== undefined && a.state !== 'link' && a.state !== 'hard')
      throw new ArgsError("file: src option requires state to be 'link' or 'hard'", '/src');
    checkModeSpec(a.mode);
    const fmtCheck = (v: string | undefined, f: string, n: string): void => void timeSpec(v, f, 'preserve', n);
    fmtCheck(a.modification_time, a.modification_time_format, 'modification_time');
    fmtCheck(a.access_time, a.access_time_format, 'access_time');
  },
  async check(ctx, a) {
    if (a._diff_peek !== undefined) {
      // file.py's execute_diff_peek: an unreadable file counts as text
      const r = await ctx.probe(`head -c 8192 -- ${shq(a.path)} 2>/dev/null | tr -cd '\\000' | wc -c`);
      return ok({ path: a.path, changed: false, appears_binary: Number(r.stdout.trim()) > 0 });
    }
    const w = modeWarning(a.mode);
    if (w) ctx.warn(w);
    const path = a.path.length > 1 ? a.path.replace(/\/+$/, '') : a.path;
    const state0 = a.state;
    const mainItem: FileQueryItem = {
      path,
      follow: true,
      linkHops: true,
      emptyDir: state0 === 'link',
      tree: (state0 === 'directory' || (state0 === undefined && a.recurse)) && a.recurse ? true : state0 === 'absent' && ctx.diffMode,
      // recurse with follow (the default): links below are followed, as file.py's recursive_set_attributes
      treeFollow: a.recurse && (a.follow ?? true),
      inDir: state0 === 'hard' && a.src !== undefined ? baseName(a.src) : undefined,
    };
    const items: FileQueryItem[] = [mainItem];
    if (a.src !== undefined && (state0 === 'link' || state0 === undefined)) {
      items.push({ path: joinRel(parentDir(path), a.src), follow: true, linkHops: true });
      items.push({ path: joinRel(path, a.src), follow: true, linkHops: true });
    } else if (a.src !== undefined && state0 === 'hard') {
      items.push({ path: a.src, follow: true, linkHops: true });
    }
    // explicit times are converted on the host (its local time zone), in the same command
    const mtimeSpec0 = timeSpec(a.modification_time, a.modification_time_format, 'preserve', 'modification_time');
    const atimeSpec0 = timeSpec(a.access_time, a.access_time_format, 'preserve', 'access_time');
    const epochs = [mtimeSpec0, atimeSpec0].filter((t) => t.kind === 'at').map((t) => (t as { local: string }).local);
    const facts = await ctx.fact(fileStateFact, { items, epochs });
    const info = facts.files[0]!;

    // state defaults to what is there (Ansible), else directory with recurse, else file
    const state = state0 ?? (info.exists ? prevState(info.stat) : a.recurse ? 'directory' : 'file');
    if (state0 === undefined && a.src !== undefined && state !== 'link' && state !== 'hard') {
      throw new ArgsError("file: src option requires state to be 'link' or 'hard'", '/src');
    }
    if (a.recurse && state !== 'directory') throw new ArgsError("file: recurse option requires state to be 'directory'", '/recurse');
    if (ctx.checkMode && state !== 'absent') await warnUnknownIds(ctx, a.owner, a.group);
    const follow = a.follow ?? true;
    // link without src, following: ensure_symlink takes the link's own target as src (relative to the link's directory)
    let srcFacts = facts;
    if (state === 'link' && a.src === undefined && follow && info.stat?.type === 'link' && info.linkTarget) {
      const t = info.linkTarget;
      const more: FileQueryItem[] = [
        { path: joinRel(parentDir(path), t), follow: true, linkHops: true },
        { path: joinRel(path, t), follow: true, linkHops: true },
      ];
      srcFacts = await ctx.fact(fileStateFact, { items: [mainItem, ...more], epochs });
    }
    if (a.follow !== true) refuseLinks(state, follow, a, facts);
    const dflt = state === 'touch' ? 'now' : 'preserve';
    const epochOf = (spec: ReturnType<typeof timeSpec>, n: string): number | undefined => {
      if (spec.kind !== 'at') return undefined;
      const v = facts.epochs[epochs.indexOf(spec.local)];
      if (v === undefined || Number.isNaN(v)) throw new ArgsError(`${n}: the host could not convert ${spec.local}`, `/${n}`);
      return v;
    };
    const mtime = timeSpec(a.modification_time, a.modification_time_format, dflt, 'modification_time');
    const atime = timeSpec(a.access_time, a.access_time_format, dflt, 'access_time');
    const input: FilePlanInput = {
      path,
      src: a.src,
      force: a.force,
      follow,
      recurse: a.recurse,
      attrs: { owner: a.owner, group: a.group, mode: a.mode },
      mtime,
      atime,
      epochs: { mtime: epochOf(mtime, 'modification_time'), atime: epochOf(atime, 'access_time') },
      facts,
      info,
      srcInfo: srcFacts.files[1],
      srcInfoInPath: srcFacts.files[2],
      now: Math.round(Date.now() / 1000),
      warn: (m) => ctx.warn(m),
    };
    const planners: Record<string, (i: FilePlanInput) => FilePlan> = {
      absent: planAbsent,
      touch: planTouch,
      file: planFile,
      directory: planDirectory,
      link: planLink,
      hard: planHard,
    };
    const p = planners[state]!(input);
    const result: ResultData = { ...p.result };
    // file.py returns its diff always (unchanged: just the path), registered as the before/after dicts
    const diff = [{ before: serializeDiffDict(p.before), after: serializeDiffDict(p.after), data: { before: p.before, after: p.after } }];
    if (!p.changed) return ok({ ...result, diff });
    return change(`${state} ${path}`, { steps: p.steps, result } satisfies Plan, { diff, result });
  },
  async apply(ctx, _a, plan: Plan) {
    await runSteps(ctx, plan.steps);
    return plan.result;
  },
});
