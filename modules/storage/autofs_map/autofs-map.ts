/**
 * autofs_map: one automount map — its auto.master entry and the entries of its map file.
 *
 *   master entry  `/azure /etc/auto.azure --timeout=60`, in a drop-in /etc/auto.master.d/NAME.autofs when
 *                 auto.master has `+dir:/etc/auto.master.d` (Debian, EL8+), else a line in /etc/auto.master
 *                 (an existing line for the mount point is always edited in place; a new one goes before
 *                 the `+auto.master` include so the local entry wins);
 *   map file      `nfsdata -sec=sys,vers=3,nolock,proto=tcp ACCOUNT.blob.core.windows.net:/ACCOUNT/CONTAINER`,
 *                 written atomically; entries of other keys are kept (unless exclusive), `state: absent`
 *                 entries are removed.
 * The map file is written before the master entry, so autofs never sees an entry pointing to nothing.
 * autofs is not reloaded here: the task reports changed, so `notify: reload autofs` works.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type FileDiff, type ResultData, type Static } from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import { type FileStep } from '../../../lib/files/index.js';
import { applyText, planRemove, planText, readTextFile } from '../../../lib/files/text-file.js';
import { MAP_HEADER, checkEntry, editMap, editMaster, findMaster, includesDir, mapKeys, masterLine, normalizeOptions, type MapEntry } from './autofs-files.js';

const Opts = (description: string) => Type.Union([OneLine(), Type.Array(OneLine())], { description });

const Entry = Type.Object(
  {
    key: OneLine({ description: 'directory name under the mount point (indirect map) or absolute path (direct map)' }),
    location: Type.Optional(OneLine({ description: 'what to mount: host:/path, :/local/dir (bind), :tmpfs' })),
    options: Type.Optional(Opts("mount options, with or without the leading '-': 'fstype=nfs,vers=3' or a list")),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'absent: remove the entry of this key from the map file',
    }),
  },
  { additionalProperties: false },
);

const Args = Type.Object(
  {
    name: Type.String({ description: 'map name: the drop-in is /etc/auto.master.d/NAME.autofs, the map file /etc/auto.NAME' }),
    mount_point: Type.Optional(OneLine({ description: "where the map's keys appear (/azure), or /- for a direct map; required with state=present" })),
    map_file: Type.Optional(OneLine({ description: 'default /etc/auto.NAME' })),
    master_options: Type.Optional(Opts("options of the master entry, e.g. '--timeout=60'")),
    entries: Type.Array(Entry, { default: [], description: 'the map file entries this task manages (one per key)' }),
    exclusive: Type.Boolean({ default: false, description: 'remove map entries whose key is not listed' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'absent: remove the master entry and the (tsplay-managed) map file',
    }),
    master: Type.Union([Type.Literal('auto'), Type.Literal('dropin'), Type.Literal('master')], { default: 'auto', description: 'where the master entry goes' }),
    master_file: Type.String({ default: '/etc/auto.master', description: 'the master map (auto.master(5))' }),
    master_dir: Type.String({
      default: '/etc/auto.master.d',
      description: 'the drop-in directory that master_file includes with +dir: (NAME.autofs goes there)',
    }),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

export interface AutofsPlan {
  steps: FileStep[];
}

function mapFileOf(a: Args): string {
  return a.map_file ?? `/etc/auto.${a.name}`;
}

function entriesOf(a: Args): { present: MapEntry[]; absent: string[] } {
  const present: MapEntry[] = [];
  const absent: string[] = [];
  for (const e of a.entries) {
    if (e.state === 'absent') absent.push(e.key);
    else present.push({ key: e.key, location: e.location ?? '', options: normalizeOptions(e.options) });
  }
  return { present, absent };
}

function masterOptions(a: Args): string {
  const o = a.master_options;
  if (o === undefined) return '';
  return (Array.isArray(o) ? o.join(' ') : o).trim();
}

export const autofsMap = defineModule({
  name: 'autofs_map',
  description: 'An autofs map: its auto.master entry (drop-in or line) and its map file entries (key, options, location)',
  examples: `- name: the Azure Blob container over NFSv3, automounted under /azure
  autofs_map:
    name: azure
    mount_point: /azure
    master_options: '--timeout=300'
    entries:
      - key: nfsdata
        options: sec=sys,vers=3,nolock,proto=tcp
        location: hpcdata.blob.core.windows.net:/hpcdata/nfsdata
  notify: reload autofs
`,
  returns: {
    name: 'the map name',
    mount_point: 'the mount point',
    map_file: 'the map file',
    master_entry: 'where the master entry is: the drop-in or master_file',
    state: 'present or absent',
    keys: 'state=present: the keys of the map file after the task',
  },
  args: Args,
  rules: { requiredIf: [{ arg: 'state', is: 'present', then: ['mount_point'] }] },
  validate(a) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(a.name)) throw new ArgsError(`autofs_map: name '${a.name}' must be a simple file name`, '/name');
    if (a.mount_point !== undefined && !/^\/\S*$/.test(a.mount_point))
      throw new ArgsError(`autofs_map: mount_point '${a.mount_point}' must be an absolute path (or /-)`, '/mount_point');
    if (!mapFileOf(a).startsWith('/') || /\s/.test(mapFileOf(a)))
      throw new ArgsError('autofs_map: map_file must be an absolute path without blanks', '/map_file');
    if (/\n/.test(masterOptions(a))) throw new ArgsError('autofs_map: master_options must be one line', '/master_options');
    const direct = a.mount_point === '/-';
    const keys = new Set<string>();
    a.entries.forEach((e, i) => {
      if (e.state === 'present' && !e.location) throw new ArgsError(`autofs_map: entries[${i}] (${e.key}) needs a location`, `/entries/${i}/location`);
      checkEntry({ key: e.key, location: e.location ?? ':', options: normalizeOptions(e.options) }, i, direct);
      if (keys.has(e.key)) throw new ArgsError(`autofs_map: key '${e.key}' is listed twice`, `/entries/${i}/key`);
      keys.add(e.key);
    });
  },
  async check(ctx, a) {
    const mapFile = mapFileOf(a);
    const dropinPath = `${a.master_dir.replace(/\/+$/, '')}/${a.name}.autofs`;
    const master = await readTextFile(ctx, a.master_file);
    const dropin = await readTextFile(ctx, dropinPath);
    const map = await readTextFile(ctx, mapFile);
    if (map.info.exists && ((map.isLink ? map.info.target?.mode : map.info.stat?.mode) ?? 0) & 0o111) {
      throw new ModuleError(`${mapFile} is executable: autofs would run it as a program map; chmod a-x it or choose another map_file`);
    }
    const masterText = master.text ?? '';
    const mp = a.mount_point;
    const steps: FileStep[] = [];
    const diff: FileDiff[] = [];
    const what: string[] = [];
    const add = (p: { steps: FileStep[]; diff: FileDiff[] } | undefined, label: string) => {
      if (!p) return;
      steps.push(...p.steps);
      diff.push(...p.diff);
      what.push(label);
    };

    // where the master entry lives
    let where: 'dropin' | 'master';
    if (a.master !== 'auto') where = a.master;
    else if (dropin.info.exists) where = 'dropin';
    else if (mp !== undefined && findMaster(masterText, mp) !== undefined) where = 'master';
    else where = includesDir(masterText, a.master_dir) ? 'dropin' : 'master';
    if (where === 'dropin' && a.state === 'present' && !includesDir(masterText, a.master_dir)) {
      ctx.warn(`autofs_map: ${a.master_file} has no '+dir:${a.master_dir}' line: the drop-in ${dropinPath} is not read`);
    }
    const result: ResultData = {
      name: a.name,
      mount_point: mp,
      map_file: mapFile,
      master_entry: where === 'dropin' ? dropinPath : a.master_file,
      state: a.state,
    };

    if (a.state === 'absent') {
      if (dropin.info.exists) add(planRemove(dropin, dropinPath), `remove ${dropinPath}`);
      const mps = mp !== undefined ? [mp] : [];
      for (const m of mps) {
        if (findMaster(masterText, m) !== undefined)
          add(planText(master, editMaster(masterText, m, null), { follow: true }), `remove ${m} from ${a.master_file}`);
      }
      if (map.text !== null) {
        if (map.text.startsWith(MAP_HEADER)) add(planRemove(map, mapFile), `remove ${mapFile}`);
        else ctx.warn(`autofs_map: ${mapFile} was not written by tsplay: left in place`);
      }
      return steps.length ? change(what.join(', '), { steps }, { diff, result }) : ok(result);
    }

    const { present, absent } = entriesOf(a);
    const newMap = editMap(map.text, { present, absent, exclusive: a.exclusive });
    add(planText(map, newMap, { follow: true, newMode: '0644' }), `write ${mapFile}`);
    const line = masterLine(mp!, mapFile, masterOptions(a));
    if (where === 'dropin') {
      add(planText(dropin, `# managed by tsplay (autofs_map ${a.name})\n${line}\n`, { follow: true, newMode: '0644' }), `write ${dropinPath}`);
      // the same mount point twice would be a conflict: the auto.master line goes
      if (findMaster(masterText, mp!) !== undefined)
        add(planText(master, editMaster(masterText, mp!, null), { follow: true }), `move ${mp} out of ${a.master_file}`);
    } else {
      add(planText(master, editMaster(masterText, mp!, line), { follow: true, newMode: '0644' }), `set ${mp} in ${a.master_file}`);
    }
    result.keys = mapKeys(newMap);
    return steps.length ? change(what.join(', '), { steps }, { diff, result }) : ok(result);
  },
  async apply(ctx, _a, plan) {
    return applyText(ctx, plan.steps);
  },
});
