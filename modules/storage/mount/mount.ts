/**
 * mount (ansible.posix.mount): an fstab entry and/or the mount itself.
 *
 *   present     the fstab line only            mounted     fstab line + mounted now (mkdir -p path)
 *   unmounted   umount, fstab untouched        absent      fstab line removed, umount, empty mount point removed
 *   remounted   mount -o remount (always changed)          absent_from_fstab   fstab line removed only
 *
 * An existing line for the path is replaced in place (duplicates removed), so the entry ends up exactly
 * `src path fstype opts dump passno`. When a mounted filesystem's fstab line changes it is remounted (a
 * different source or a bind mount: unmounted and mounted again).
 * Cloud nodes: NFS (Azure Blob NFSv3...) needs `nofail` in opts, else a node whose storage is unreachable hangs
 * at boot; the module warns when it is missing.
 */
import {
  ArgsError,
  ModuleError,
  Type,
  change,
  defineFact,
  defineModule,
  ok,
  type FileDiff,
  type ResultData,
  type Static,
} from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import { runSteps, type FileStep } from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { planText, readTextFile } from '../../../lib/files/text-file.js';
import {
  editFstab,
  fstabEntries,
  fstabLine,
  hasOpt,
  isBind,
  isNetworkFs,
  mountAt,
  mountMatches,
  parseMountinfo,
  type FstabEntry,
  type MountInfo,
} from './fstab.js';

const Args = Type.Object(
  {
    path: OneLine({ description: 'mount point (absolute; none for swap)' }),
    src: Type.Optional(OneLine({ description: 'device, host:/export, tmpfs, or the directory of a bind mount; required for present/mounted' })),
    fstype: Type.Optional(OneLine({ description: 'nfs, tmpfs, ext4, none (bind)...; required for present/mounted' })),
    opts: OneLine({ default: 'defaults', description: "mount options, e.g. 'sec=sys,vers=3,nolock,proto=tcp,nofail'" }),
    dump: Type.Union([Type.String(), Type.Integer()], { default: '0', description: 'fstab field 5: dump(8) frequency (0 almost always)' }),
    passno: Type.Union([Type.String(), Type.Integer()], {
      default: '0',
      description: 'fstab field 6: fsck order at boot (0: never, 1: root, 2: others; 0 for NFS and tmpfs)',
    }),
    state: Type.Union(
      ['mounted', 'present', 'unmounted', 'absent', 'remounted', 'absent_from_fstab'].map((s) => Type.Literal(s)),
      { description: 'see the module description' },
    ),
    fstab: Type.String({ default: '/etc/fstab', description: 'the fstab file to edit' }),
    boot: Type.Boolean({ default: true, description: "false: add 'noauto' (not mounted at boot)" }),
    backup: Type.Boolean({ default: false, description: 'keep a timestamped copy of fstab' }),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

export const mountinfoFact = defineFact<void, MountInfo[]>({
  name: 'mountinfo',
  command: () => 'cat /proc/self/mountinfo',
  parse: (r) => parseMountinfo(r.stdout),
});

export function wantedEntry(a: Args): FstabEntry {
  let opts = a.opts;
  if (!a.boot && !hasOpt(opts, 'noauto')) opts = opts === 'defaults' ? 'defaults,noauto' : `${opts},noauto`;
  return { src: a.src!, path: a.path, fstype: a.fstype!, opts, dump: String(a.dump), passno: String(a.passno) };
}

export function mountCommand(e: FstabEntry): string {
  return `mount -t ${shq(e.fstype)} -o ${shq(e.opts)} -- ${shq(e.src)} ${shq(e.path)}`;
}

/** The mount/umount commands for a state, given what is mounted now and whether the fstab line changes. */
export function planMountOps(
  state: Args['state'],
  want: FstabEntry | undefined,
  cur: MountInfo | undefined,
  fstabChanged: boolean,
  path: string,
): { commands: string[]; what: string } | undefined {
  const p = shq(path);
  switch (state) {
    case 'mounted': {
      const w = want!;
      if (!cur) return { commands: [`mkdir -p -- ${p}`, mountCommand(w)], what: `mount ${path}` };
      if (!mountMatches(cur, w)) return { commands: [`umount -- ${p}`, mountCommand(w)], what: `mount ${w.src} on ${path} instead of ${cur.source}` };
      if (!fstabChanged) return undefined;
      if (isBind(w.opts)) return { commands: [`umount -- ${p}`, mountCommand(w)], what: `mount ${path} again` };
      return { commands: [`mount -o ${shq(`remount,${w.opts}`)} -- ${p}`], what: `remount ${path}` };
    }
    case 'unmounted':
      return cur ? { commands: [`umount -- ${p}`], what: `unmount ${path}` } : undefined;
    case 'absent':
      return cur ? { commands: [`umount -- ${p}`, `rmdir -- ${p} 2>/dev/null || :`], what: `unmount ${path}` } : undefined;
    case 'remounted':
      if (!cur) throw new ModuleError(`${path} is not mounted: nothing to remount`);
      return { commands: [`mount -o remount -- ${p}`], what: `remount ${path}` };
    default:
      return undefined;
  }
}

export interface MountPlan {
  steps: FileStep[];
}

export const mountModule = defineModule({
  name: 'mount',
  aliases: ['ansible.posix.mount', 'ansible.builtin.mount'],
  description: 'Control an fstab entry and the active mount (mounted, present, unmounted, absent, remounted)',
  examples: `- name: the Blob container at boot; a node that cannot reach it still boots (nofail)
  ansible.posix.mount:
    path: /mnt/nfsdata
    src: hpcdata.blob.core.windows.net:/hpcdata/nfsdata
    fstype: nfs
    opts: sec=sys,vers=3,nolock,proto=tcp,nofail
    state: mounted
- name: node-local scratch on tmpfs
  ansible.posix.mount:
    path: /scratch
    src: tmpfs
    fstype: tmpfs
    opts: size=20g,mode=1777
    state: mounted
`,
  returns: {
    name: 'the mount point',
    src: 'the src argument',
    fstype: 'the fstype argument',
    opts: 'the options written (noauto added when boot is false)',
    dump: 'fstab field 5',
    passno: 'fstab field 6',
    fstab: 'the fstab file',
    state: 'the state asked for',
    line: 'the fstab line (when src and fstype are given)',
    backup_file: 'with backup: the copy of the old fstab',
  },
  args: Args,
  argAliases: { name: 'path' },
  rules: {
    requiredIf: [
      { arg: 'state', is: 'mounted', then: ['src', 'fstype'] },
      { arg: 'state', is: 'present', then: ['src', 'fstype'] },
    ],
  },
  validate(a) {
    if (a.path !== 'none' && !a.path.startsWith('/')) throw new ArgsError(`mount: path '${a.path}' must be absolute`, '/path');
    for (const [k, v] of [
      ['src', a.src],
      ['fstype', a.fstype],
      ['opts', a.opts],
    ] as const) {
      if (v !== undefined && (v === '' || v.includes('\n'))) throw new ArgsError(`mount: ${k} must be a non-empty single line`, `/${k}`);
    }
    if (/\s/.test(a.opts) || /\s/.test(a.fstype ?? '')) throw new ArgsError('mount: opts and fstype must not contain blanks', '/opts');
  },
  async check(ctx, a) {
    const path = a.path.length > 1 ? a.path.replace(/\/+$/, '') : a.path;
    const want = a.src !== undefined && a.fstype !== undefined ? wantedEntry({ ...a, path }) : undefined;
    if (want && (a.state === 'mounted' || a.state === 'present') && a.boot && isNetworkFs(want) && !hasOpt(want.opts, 'nofail')) {
      ctx.warn(
        `mount: ${want.src} on ${path} has no 'nofail' in opts: if the storage is unreachable at boot (VPN down, cloud node), the node stops in emergency mode; add nofail`,
      );
    }
    const steps: FileStep[] = [];
    const diff: FileDiff[] = [];
    const what: string[] = [];
    let fstabChanged = false;
    if (a.state === 'mounted' || a.state === 'present' || a.state === 'absent' || a.state === 'absent_from_fstab') {
      const f = await readTextFile(ctx, a.fstab);
      const text = f.text ?? '';
      const target = a.state === 'absent' || a.state === 'absent_from_fstab' ? null : want!;
      const next = editFstab(text, path, target);
      if (next !== text || (f.text === null && target)) {
        const p = planText(f, next, { follow: true, backup: a.backup, newMode: '0644' });
        if (p) {
          steps.push(...p.steps);
          diff.push(...p.diff);
          what.push(target ? `${fstabEntries(text, path).length ? 'update' : 'add'} ${path} in ${a.fstab}` : `remove ${path} from ${a.fstab}`);
          fstabChanged = true;
        }
      }
    }
    const mounts = a.state === 'present' || a.state === 'absent_from_fstab' ? [] : await ctx.fact(mountinfoFact, undefined);
    const cur = mountAt(mounts, path);
    const ops = planMountOps(a.state, want, cur, fstabChanged, path);
    if (ops) {
      steps.push({ kind: 'run', what: ops.what, command: ops.commands.map((c) => `${c} || exit 1`).join('\n') });
      what.push(ops.what);
      if (!diff.length)
        diff.push({
          before: cur ? `${cur.source} on ${path} type ${cur.fstype}\n` : '',
          after:
            a.state === 'mounted' && want
              ? `${want.src} on ${path} type ${want.fstype}\n`
              : a.state === 'remounted'
                ? `${cur?.source} on ${path} (remounted)\n`
                : '',
          beforeHeader: `mount ${path}`,
          afterHeader: `mount ${path}`,
        });
    }
    const result: ResultData = {
      name: path,
      src: a.src,
      fstype: a.fstype,
      opts: want?.opts ?? a.opts,
      dump: String(a.dump),
      passno: String(a.passno),
      fstab: a.fstab,
      state: a.state,
      ...(want ? { line: fstabLine(want) } : {}),
    };
    if (!steps.length) return ok(result);
    return change<MountPlan>(what.join(', '), { steps }, { diff, result });
  },
  async apply(ctx, _a, plan) {
    const out = await runSteps(ctx, plan.steps);
    return out.backupFile ? { backup_file: out.backupFile } : {};
  },
});
