/**
 * slurm_conf's lint (pure): what Slurm 22.05 takes silently or dies of on `scontrol reconfigure`, each message
 * with the reason and the argument path. `lintArgs` needs no host (ArgsError at validation time);
 * `lintWithHost` adds what the host tells: its Slurm version, the main slurm.conf's nodes and partitions, and
 * whether the power programs are executable there. Measured on 22.05.8: a partition naming an undefined
 * node ("Invalid node names in partition"), a node defined twice ("Duplicated NodeName"), a partition
 * defined twice, an invalid node State, and a changed node count ("MaxNodeCount has changed ... must be
 * restarted") all make slurmctld fatal() on reconfigure; the client parser lets every one of them through.
 */
import { expand, HostlistError } from '../../../lib/hostlist.js';
import { suggestName } from '../../../src/contract/validate.js';
import { NODE_STATES, PARAM_KEYS, PARAM_KEY_BY_NAME, PARTITION_STATES, U16_MAX, type KeyDef } from '../../../lib/slurm/conf-keys.js';
import { renderLine, type ConfSummary, type ConfValue } from '../../../lib/slurm/conf-line.js';
import { atLeast, type SlurmVersion } from '../../../lib/slurm/version.js';
import type { NodeArgs, PartitionArgs, SlurmConfArgs } from './slurm-conf-args.js';

export interface LintMessage {
  /** JSON pointer of the argument, e.g. /params/TreeWidth */
  path: string;
  message: string;
}

export interface Lint {
  errors: LintMessage[];
  warnings: LintMessage[];
}

const INT = /^-?\d+$/;

function asList(v: string | readonly string[] | undefined): string[] {
  if (v === undefined) return [];
  const a = typeof v === 'string' ? v.split(',') : [...v];
  return a.map((s) => s.trim()).filter(Boolean);
}

function asInt(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  return INT.test(v.trim()) ? Number(v.trim()) : undefined;
}

type Out = Lint;
const err = (o: Out, path: string, message: string) => o.errors.push({ path, message });
const warn = (o: Out, path: string, message: string) => o.warnings.push({ path, message });

/** An integer in [min, max]. */
function checkInt(o: Out, path: string, key: string, v: number | string, min: number, max: number, reason?: string): void {
  const n = asInt(v);
  if (n === undefined) {
    err(o, path, `${key}=${String(v)} is not an integer: Slurm reads such a value as 0 without a word`);
    return;
  }
  if (n < min || n > max) err(o, path, `${key}=${n} is out of range ${min}..${max}${reason ? `: ${reason}` : ''}`);
}

/** SuspendTime: seconds, or NONE/INFINITE/-1 (off). `abc` is 0 for Slurm 22.05: power down at once. */
function checkSuspendTime(o: Out, path: string, key: string, v: number | string): void {
  if (typeof v === 'string' && /^(none|infinite|unlimited)$/i.test(v.trim())) return;
  const n = asInt(v);
  if (n === undefined) {
    err(
      o,
      path,
      `${key}=${String(v)} is not a number of seconds (nor NONE/INFINITE): Slurm 22.05 reads it as 0 and powers nodes down the moment they are idle`,
    );
    return;
  }
  if (n < -1) err(o, path, `${key}=${n}: seconds >= 0, or -1/NONE/INFINITE to disable`);
}

function checkTimeout(
  o: Out,
  path: string,
  k: { name: string; infiniteSince?: string; min?: number; max?: number },
  v: number | string,
  ver?: SlurmVersion,
): void {
  if (typeof v === 'string' && /^infinite$/i.test(v.trim())) {
    if (!k.infiniteSince) err(o, path, `${k.name}=INFINITE is not allowed: a number of seconds`);
    else if (ver && !atLeast(ver, k.infiniteSince))
      err(o, path, `${k.name}=INFINITE needs Slurm ${k.infiniteSince} (this host has ${ver.text}, which reads it as 0)`);
    return;
  }
  checkInt(o, path, k.name, v, k.min ?? 0, k.max ?? U16_MAX);
}

function checkHostlist(o: Out, path: string, what: string, v: string): string[] | undefined {
  try {
    return expand(v);
  } catch (e) {
    if (e instanceof HostlistError) {
      err(o, path, `${what} '${v}' is not a valid hostlist: ${e.reason} (at column ${e.position + 1})`);
      return undefined;
    }
    throw e;
  }
}

function checkFlags(o: Out, path: string, k: KeyDef, v: string | readonly string[], ver?: SlurmVersion): void {
  const known = k.values ?? [];
  for (const w of asList(v)) {
    const word = k.kind === 'params' ? w.split('=')[0]! : w;
    const hit = known.find((x) => x.toLowerCase() === word.toLowerCase());
    if (!hit) {
      const near = suggestName(word, known);
      if (k.kind === 'params')
        warn(o, path, `${k.name}: '${word}' is not a parameter tsplay knows (passed on as written)${near ? `; did you mean '${near}'?` : ''}`);
      else
        err(
          o,
          path,
          `${k.name}: '${word}' is not one of ${known.join(', ')}${near ? ` (did you mean '${near}'?)` : ''}: ${k.name === 'PrivateData' ? 'Slurm 22.05 ignores an unknown word without a word' : 'Slurm refuses the file'}`,
        );
      continue;
    }
    const since = k.valueSince?.[hit];
    if (since && ver && !atLeast(ver, since)) err(o, path, `${k.name}: '${hit}' needs Slurm ${since} (this host has ${ver.text})`);
    const until = k.valueUntil?.[hit];
    if (until && ver && atLeast(ver, until))
      warn(o, path, `${k.name}: '${hit}' was removed in Slurm ${until} (this host has ${ver.text}): it is the default now`);
  }
}

/** The global keys: types, bounds, advice. */
function lintParams(o: Out, a: SlurmConfArgs, ver?: SlurmVersion): void {
  const p = a.params as Record<string, unknown>;
  for (const [name, raw] of Object.entries(p)) {
    if (raw === undefined) continue;
    const k = PARAM_KEY_BY_NAME.get(name);
    const path = `/params/${name}`;
    if (!k) {
      // the schema refuses unknown keys; this is for a caller that builds args by hand
      const near = suggestName(
        name,
        PARAM_KEYS.map((x) => x.name),
      );
      err(o, path, `unknown key '${name}'${near ? ` (did you mean '${near}'?)` : ''}`);
      continue;
    }
    if (k.since && ver && !atLeast(ver, k.since))
      err(o, path, `${name} needs Slurm ${k.since}; this host has ${ver.text}, whose parser refuses the whole file ("unrecognized key")`);
    const v = raw as string | number | string[];
    switch (k.kind) {
      case 'int':
        checkInt(o, path, name, v as number | string, k.min ?? 0, k.max ?? U16_MAX, k.boundReason);
        break;
      case 'suspend-time':
        checkSuspendTime(o, path, name, v as number | string);
        break;
      case 'timeout':
        checkTimeout(o, path, k, v as number | string, ver);
        break;
      case 'program':
        if (typeof v !== 'string' || !v.startsWith('/')) err(o, path, `${name}=${String(v)} must be an absolute path: slurmctld runs it with no PATH`);
        else if (/\s/.test(v)) err(o, path, `${name}: one program path without arguments (slurmctld passes the hostlist as its only argument)`);
        break;
      case 'hostlist-counts':
        for (const part of String(v).split(/,(?![^[]*\])/)) checkHostlist(o, path, name, part.replace(/:\d+$/, ''));
        break;
      case 'flags':
      case 'params':
        checkFlags(o, path, k, v as string | string[], ver);
        break;
      case 'partitions':
        break;
    }
  }
  if (p.SuspendTime !== undefined && !/^(-1|none|infinite)$/i.test(String(p.SuspendTime).trim())) {
    warn(
      o,
      '/params/SuspendTime',
      'a global SuspendTime powers down every node that has power saving, on-prem ones included: set SuspendTime per cloud partition instead',
    );
  }
  if (asList(p.SlurmctldParameters as string[] | undefined).some((w) => w.toLowerCase() === 'idle_on_node_suspend')) {
    warn(
      o,
      '/params/SlurmctldParameters',
      'idle_on_node_suspend also clears DRAIN on a node that is powered down: a node an admin drained comes back into service',
    );
  }
}

function nodeTopology(o: Out, path: string, n: NodeArgs): void {
  const num = (v: number | string | undefined) => (v === undefined ? undefined : asInt(v));
  const cpus = num(n.CPUs);
  if (cpus === undefined) return;
  const sockets = num(n.Sockets) ?? (n.SocketsPerBoard !== undefined ? (num(n.Boards) ?? 1) * (num(n.SocketsPerBoard) ?? 1) : undefined);
  if (sockets === undefined) return;
  const cores = num(n.CoresPerSocket) ?? 1;
  const threads = num(n.ThreadsPerCore) ?? 1;
  const ok = [sockets, sockets * cores, sockets * cores * threads];
  if (!ok.includes(cpus))
    err(
      o,
      `${path}/CPUs`,
      `CPUs=${cpus} matches none of sockets (${sockets}), sockets*cores (${sockets * cores}) or sockets*cores*threads (${sockets * cores * threads}): Slurm logs an error and resets CPUs`,
    );
}

function lintNodes(o: Out, a: SlurmConfArgs): void {
  const defined = new Map<string, string>();
  a.nodes.forEach((n, i) => {
    const path = `/nodes/${i}`;
    const names = checkHostlist(o, `${path}/name`, 'NodeName', n.name);
    if (names) {
      if (n.name.toUpperCase() === 'DEFAULT') err(o, `${path}/name`, 'NodeName=DEFAULT is not managed here: give the values on each node entry');
      for (const x of names) {
        const prev = defined.get(x);
        if (prev) err(o, `${path}/name`, `node ${x} is already defined by ${prev}: slurmctld dies on "Duplicated NodeName"`);
        else defined.set(x, `nodes/${i}`);
      }
    }
    for (const k of ['NodeAddr', 'NodeHostname'] as const) {
      const v = n[k];
      if (v === undefined) continue;
      const ex = checkHostlist(o, `${path}/${k}`, k, v);
      if (ex && names && ex.length !== names.length) err(o, `${path}/${k}`, `${k} has ${ex.length} names for ${names.length} nodes: Slurm needs one per node`);
    }
    if (!(NODE_STATES as readonly string[]).includes(n.State.toUpperCase())) {
      err(o, `${path}/State`, `State=${n.State} is not one of ${NODE_STATES.join(', ')}: slurmctld dies on "Invalid state" at reconfigure`);
    }
    for (const k of ['CPUs', 'Boards', 'SocketsPerBoard', 'Sockets', 'CoresPerSocket', 'ThreadsPerCore', 'Port'] as const) {
      const v = n[k];
      if (v !== undefined) checkInt(o, `${path}/${k}`, k, v, 1, 65533);
    }
    for (const k of ['Weight', 'RealMemory', 'TmpDisk'] as const) {
      const v = n[k];
      if (v !== undefined) checkInt(o, `${path}/${k}`, k, v, k === 'TmpDisk' ? 0 : 1, 4294967294);
    }
    nodeTopology(o, path, n);
    const vm = n.vm_memory_mb ?? a.vm_memory_mb;
    const mem = n.RealMemory !== undefined ? asInt(n.RealMemory) : undefined;
    if (vm !== undefined && mem !== undefined) {
      if (mem > vm)
        err(
          o,
          `${path}/RealMemory`,
          `RealMemory=${mem} MB is more than the VM has (${vm} MB): the node reports less and never registers (set about ${Math.floor(vm * 0.95)})`,
        );
      else if (mem > vm * 0.95)
        warn(
          o,
          `${path}/RealMemory`,
          `RealMemory=${mem} MB is within 5% of the VM's ${vm} MB: the OS takes some, a node reporting less than RealMemory is refused (use about ${Math.floor(vm * 0.95)})`,
        );
    }
  });
}

const MAXTIME = /^(infinite|unlimited|\d+|\d+:\d{1,2}(:\d{1,2})?|\d+-\d+(:\d{1,2}(:\d{1,2})?)?)$/i;

function lintPartitions(o: Out, a: SlurmConfArgs, ver?: SlurmVersion): void {
  const seen = new Set<string>();
  a.partitions.forEach((p, i) => {
    const path = `/partitions/${i}`;
    if (!/^[A-Za-z0-9_.-]+$/.test(p.name)) err(o, `${path}/name`, `PartitionName '${p.name}': letters, digits, '_', '.', '-'`);
    if (seen.has(p.name)) err(o, `${path}/name`, `partition ${p.name} is defined twice: slurmctld dies on "duplicate entry for partition"`);
    seen.add(p.name);
    if (p.nodes.toUpperCase() !== 'ALL') checkHostlist(o, `${path}/nodes`, 'Nodes', p.nodes);
    if (p.State !== undefined && !(PARTITION_STATES as readonly string[]).includes(p.State.toUpperCase()))
      err(o, `${path}/State`, `State=${p.State} is not one of ${PARTITION_STATES.join(', ')}`);
    if (p.MaxTime !== undefined && !MAXTIME.test(String(p.MaxTime).trim()))
      err(o, `${path}/MaxTime`, `MaxTime=${String(p.MaxTime)}: INFINITE, minutes, or [days-]hours:minutes[:seconds]`);
    if (p.SuspendTime !== undefined) checkSuspendTime(o, `${path}/SuspendTime`, 'SuspendTime', p.SuspendTime);
    if (p.SuspendTimeout !== undefined) checkTimeout(o, `${path}/SuspendTimeout`, { name: 'SuspendTimeout', min: 1 }, p.SuspendTimeout, ver);
    if (p.ResumeTimeout !== undefined)
      checkTimeout(o, `${path}/ResumeTimeout`, { name: 'ResumeTimeout', min: 1, infiniteSince: '25.05' }, p.ResumeTimeout, ver);
    if (p.PowerDownOnIdle !== undefined && ver && !atLeast(ver, '23.02'))
      err(o, `${path}/PowerDownOnIdle`, `PowerDownOnIdle needs Slurm 23.02; this host has ${ver.text}, whose parser refuses the whole file`);
    for (const k of ['PriorityTier', 'MaxNodes', 'DefMemPerCPU'] as const) {
      const v = p[k];
      if (v !== undefined && !(k === 'MaxNodes' && /^(unlimited|infinite)$/i.test(String(v)))) checkInt(o, `${path}/${k}`, k, v, 0, 4294967294);
    }
  });
  if (a.partitions.filter((p) => p.Default).length > 1) err(o, '/partitions', 'more than one partition has Default=YES: Slurm takes the last one');
}

/** What needs no host. */
export function lintArgs(a: SlurmConfArgs, ver?: SlurmVersion): Lint {
  const o: Lint = { errors: [], warnings: [] };
  lintParams(o, a, ver);
  lintNodes(o, a);
  lintPartitions(o, a, ver);
  // partitions naming nodes this file does not define are judged with the host (the main slurm.conf may define them)
  return o;
}

/** What the host adds: the other files' definitions and the Slurm version. */
export interface HostView {
  version?: SlurmVersion;
  /** the main slurm.conf and its other includes */
  others: ConfSummary;
  /** whether the main slurm.conf could be read */
  othersRead: boolean;
  /** programs named in params that are not executable on the host */
  notExecutable: string[];
}

export function lintWithHost(a: SlurmConfArgs, h: HostView): Lint {
  const o = lintArgs(a, h.version);
  const ours = new Map<string, string>();
  a.nodes.forEach((n, i) => {
    try {
      for (const x of expand(n.name)) ours.set(x, `nodes/${i}`);
    } catch {
      /* reported by lintArgs */
    }
  });
  a.nodes.forEach((n, i) => {
    try {
      for (const x of expand(n.name)) {
        const prev = h.others.nodes.get(x);
        if (prev) err(o, `/nodes/${i}/name`, `node ${x} is already defined in ${prev}: slurmctld dies on "Duplicated NodeName" at reconfigure`);
      }
    } catch {
      /* reported */
    }
  });
  a.partitions.forEach((p, i) => {
    const prev = h.others.partitions.get(p.name);
    if (prev) err(o, `/partitions/${i}/name`, `partition ${p.name} is already defined in ${prev}: slurmctld dies on "duplicate entry for partition"`);
    if (p.nodes.toUpperCase() === 'ALL') return;
    let names: string[];
    try {
      names = expand(p.nodes);
    } catch {
      return;
    }
    const missing = names.filter((x) => !ours.has(x) && !h.others.nodes.has(x));
    if (missing.length) {
      err(
        o,
        `/partitions/${i}/nodes`,
        `partition ${p.name} names node${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''} that no NodeName line defines${h.othersRead ? '' : ' (the main slurm.conf could not be read)'}: slurmctld dies on "Invalid node names in partition" at reconfigure`,
      );
    }
  });
  const defaults = [...a.partitions.filter((p) => p.Default).map((p) => p.name), ...h.others.defaultPartitions];
  if (defaults.length > 1 && a.partitions.some((p) => p.Default))
    err(o, '/partitions', `more than one default partition (${defaults.join(', ')}): Slurm takes the last one read`);
  const p = a.params as Record<string, unknown>;
  const allParts = new Set([...a.partitions.map((x) => x.name), ...h.others.partitions.keys()]);
  for (const x of asList(p.SuspendExcParts as string[] | undefined)) {
    if (!allParts.has(x))
      err(o, '/params/SuspendExcParts', `SuspendExcParts: no partition ${x}: slurmctld ignores it ("Invalid SuspendExcPart") and powers those nodes down`);
  }
  if (typeof p.SuspendExcNodes === 'string') {
    for (const part of p.SuspendExcNodes.split(/,(?![^[]*\])/)) {
      try {
        const bad = expand(part.replace(/:\d+$/, '')).filter((x) => !ours.has(x) && !h.others.nodes.has(x));
        if (bad.length)
          err(
            o,
            '/params/SuspendExcNodes',
            `SuspendExcNodes: node ${bad.slice(0, 5).join(', ')} is not defined: slurmctld ignores the list ("invalid node specified")`,
          );
      } catch {
        /* reported */
      }
    }
  }
  for (const prog of h.notExecutable) {
    const key = (['ResumeProgram', 'SuspendProgram', 'ResumeFailProgram'] as const).find((k) => p[k] === prog) ?? 'ResumeProgram';
    err(o, `/params/${key}`, `${key} ${prog} is not an executable file on the host: slurmctld disables power saving ("power_save module disabled")`);
  }
  for (const k of Object.keys(p)) {
    const prev = h.others.globals.get(k.toLowerCase());
    if (prev && p[k] !== undefined) warn(o, `/params/${k}`, `${k} is also set in ${prev}: the line read last wins`);
  }
  for (const b of h.others.badHostlists) warn(o, '/include_in', `the main configuration has a NodeName hostlist tsplay cannot read: ${b}`);
  return o;
}

const HEADER = '# Managed by tsplay (slurm_conf): changes here are overwritten.\n';

function val(v: string | number | boolean | readonly string[] | undefined): ConfValue | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length ? (v as string[]) : undefined;
  return v as ConfValue;
}

function nodeLine(n: NodeArgs): string {
  const { name, vm_memory_mb: _vm, ...rest } = n;
  const order = [
    'NodeAddr',
    'NodeHostname',
    'CPUs',
    'Boards',
    'SocketsPerBoard',
    'Sockets',
    'CoresPerSocket',
    'ThreadsPerCore',
    'RealMemory',
    'TmpDisk',
    'Gres',
    'Feature',
    'Weight',
    'Port',
    'State',
  ] as const;
  const r = rest as Record<string, string | number | string[] | undefined>;
  return renderLine([['NodeName', name], ...order.map((k) => [k, val(k === 'State' ? String(r[k]).toUpperCase() : r[k])] as const)]);
}

function partitionLine(p: PartitionArgs): string {
  const order = [
    'Default',
    'MaxTime',
    'State',
    'SuspendTime',
    'SuspendTimeout',
    'ResumeTimeout',
    'PowerDownOnIdle',
    'PriorityTier',
    'MaxNodes',
    'DefMemPerCPU',
    'OverSubscribe',
    'AllowGroups',
    'Hidden',
    'ExclusiveUser',
  ] as const;
  const r = p as unknown as Record<string, string | number | boolean | string[] | undefined>;
  return renderLine([['PartitionName', p.name], ['Nodes', p.nodes], ...order.map((k) => [k, val(r[k])] as const)]);
}

/** The file: header, global keys in table order, nodes, partitions. Deterministic. */
export function renderCloudConf(a: SlurmConfArgs): string {
  const p = a.params as Record<string, string | number | string[] | undefined>;
  const lines = [HEADER.trimEnd()];
  const globals = PARAM_KEYS.filter((k) => p[k.name] !== undefined && val(p[k.name]) !== undefined).map((k) => renderLine([[k.name, val(p[k.name])]]));
  if (globals.length) lines.push('', '# power saving', ...globals);
  if (a.nodes.length) lines.push('', '# nodes', ...a.nodes.map(nodeLine));
  if (a.partitions.length) lines.push('', '# partitions', ...a.partitions.map(partitionLine));
  return lines.join('\n') + '\n';
}
