/**
 * nfs_export: one drop-in /etc/exports.d/NAME.exports from typed entries (path, clients with options).
 *
 * The entries are checked before anything is written: absolute paths, known exports(5) option names and
 * values, client forms, no path twice. The file is written atomically (lib/files). When nfsd runs (its
 * /proc/fs/nfsd/exports is there and exportfs exists) the change is applied with `exportfs -ra`, and
 * exportfs's complaints fail the task: that is the real tool's check. Without nfsd (a kernel with no nfsd,
 * as in containers) exportfs cannot load anything, so the file is checked by tsplay's own exports(5) parser
 * (the rendered text read back); the result's `validated_by` says which check ran.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type ResultData, type Static } from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import { applyText, planRemove, planText, readTextFile } from '../../../lib/files/text-file.js';
import { checkEntries, parseExports, renderExports, type ExportEntry } from './nfs-export-file.js';

const Client = Type.Object(
  {
    host: OneLine({ description: "who may mount: '*', a host name or wildcard, a network (10.0.0.0/16), @netgroup" }),
    options: Type.Array(OneLine(), { default: [], description: 'exports(5) options, e.g. [rw, sync, no_root_squash]' }),
  },
  { additionalProperties: false },
);
const Entry = Type.Object(
  {
    path: OneLine({ description: 'the exported directory (absolute)' }),
    clients: Type.Array(Client, { minItems: 1, description: 'the clients and their options' }),
  },
  { additionalProperties: false },
);
const Args = Type.Object(
  {
    name: Type.String({ description: 'the drop-in: DIR/NAME.exports' }),
    entries: Type.Array(Entry, { default: [], description: 'the exports of this file (the whole file: other lines are not kept)' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'absent: remove the drop-in' }),
    dir: Type.String({ default: '/etc/exports.d', description: 'the drop-in directory exportfs reads (*.exports)' }),
    reload: Type.Boolean({ default: true, description: 'run `exportfs -ra` after a change when nfsd runs' }),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

interface Plan {
  steps: Parameters<typeof applyText>[1];
  nfsd: boolean;
}

/** nfsd runs (its export table is in /proc) and exportfs is there */
const NFSD_PROBE = 'if [ -e /proc/fs/nfsd/exports ] && command -v exportfs >/dev/null 2>&1; then echo nfsd=yes; else echo nfsd=no; fi';

function pathOf(a: Args): string {
  return `${a.dir.replace(/\/+$/, '')}/${a.name}.exports`;
}

function entriesOf(a: Args): ExportEntry[] {
  return a.entries.map((e) => ({ path: e.path, clients: e.clients.map((c) => ({ host: c.host, options: c.options })) }));
}

export const nfsExport = defineModule({
  name: 'nfs_export',
  description: 'NFS exports in a drop-in /etc/exports.d/NAME.exports: typed entries, option names checked, applied with exportfs -ra',
  examples: `- name: /sched and /shared for the CycleCloud nodes
  nfs_export:
    name: cyclecloud
    entries:
      - path: /sched
        clients: [{ host: '10.1.0.0/16', options: [rw, sync, no_root_squash] }]
      - path: /shared
        clients: [{ host: '10.1.0.0/16', options: [rw, sync, no_root_squash] }]
`,
  returns: {
    path: 'the drop-in file',
    exports: 'the export lines of the file',
    validated_by: "'exportfs' (nfsd runs: exportfs -ra loaded the file) or 'parser' (no nfsd: tsplay's exports(5) parser checked the text)",
    nfsd: 'whether nfsd was found running',
  },
  args: Args,
  validate(a) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(a.name)) throw new ArgsError(`nfs_export: name '${a.name}' must be a simple file name`, '/name');
    if (!a.dir.startsWith('/') || /\s/.test(a.dir)) throw new ArgsError(`nfs_export: dir '${a.dir}' must be an absolute path without blanks`, '/dir');
    if (a.state === 'present' && a.entries.length === 0) throw new ArgsError('nfs_export: state=present needs at least one entry', '/entries');
    checkEntries(entriesOf(a));
  },
  async check(ctx, a) {
    const path = pathOf(a);
    const f = await readTextFile(ctx, path);
    const nfsd = (await ctx.probe(NFSD_PROBE)).stdout.includes('nfsd=yes');
    const result: ResultData = { path, nfsd, validated_by: nfsd ? 'exportfs' : 'parser' };
    if (a.state === 'absent') {
      const p = planRemove(f, path);
      return p ? change(p.summary, { steps: p.steps, nfsd: nfsd && a.reload }, { diff: p.diff, result }) : ok(result);
    }
    const text = renderExports(a.name, entriesOf(a));
    // the text as exportfs will read it: parsed back and checked (the only check when there is no nfsd)
    const back = parseExports(text);
    result.exports = text.split('\n').filter((l) => l && !l.startsWith('#'));
    if (back.length !== a.entries.length) throw new ModuleError(`nfs_export: the rendered ${path} does not parse back to ${a.entries.length} exports`);
    const p = planText(f, text, { follow: true, newMode: '0644', mkdirs: [a.dir], dirMode: 0o755 });
    if (!p) return ok(result);
    const plan: Plan = { steps: p.steps, nfsd: nfsd && a.reload };
    return change(`write ${path}${plan.nfsd ? ', exportfs -ra' : ''}`, plan, { diff: p.diff, result });
  },
  async apply(ctx, _a, plan: Plan) {
    const out = await applyText(ctx, plan.steps);
    if (plan.nfsd) {
      const r = await ctx.run('exportfs -ra 2>&1');
      if (r.rc !== 0 || /^exportfs: /m.test(r.stdout))
        throw new ModuleError(`exportfs -ra: ${r.stdout.trim() || `rc ${r.rc}`}`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
    return out;
  },
});
