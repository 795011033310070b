/**
 * slurm_conf: the cloud part of slurm.conf (power-saving keys, cloud NodeName and PartitionName lines) in a
 * file tsplay owns, included by the main slurm.conf.
 *
 * Order: lint without the host (ArgsError) → read the main slurm.conf, its other includes, the Slurm version
 * and the power programs on the host → lint with those (failed result) → Slurm's parser on a staged copy
 * (lib/slurm/parse-check.ts) → atomic write (owner/mode kept, backup) → `scontrol reconfigure`, or a restart
 * of slurmctld when the node count changed (22.05: "MaxNodeCount has changed ... slurmctld must be
 * restarted", fatal on reconfigure) → verify slurmctld answers and shows the new values; if not, the old
 * files go back, slurmctld is restarted and the task fails with slurmctld's own fatal line.
 */
import { ArgsError, ModuleError, change, defineModule, ok, type ModuleContext, type ResultData } from '../../../src/contract/index.js';
import { applyText, planRemove, planText, readTextFile, type TextPlan } from '../../../lib/files/text-file.js';
import { serviceActionCommand, serviceStateFact } from '../../../lib/services/service.js';
import { shq } from '../../../lib/shell/quote.js';
import { emptySummary, includePath, parseConf, summarize, type ConfSummary } from '../../../lib/slurm/conf-line.js';
import { parseCheckResult, parseCheckScript } from '../../../lib/slurm/parse-check.js';
import { parseSlurmVersion, type SlurmVersion } from '../../../lib/slurm/version.js';
import { Args } from './slurm-conf-args.js';
import { lintArgs, lintWithHost, renderCloudConf, type Lint } from './slurm-conf-lint.js';

const DEFAULT_MAIN = '/etc/slurm/slurm.conf';
const SEP = '@@tsplay-slurm-file@@';

function firstError(l: Lint): ArgsError | undefined {
  const [f, ...rest] = l.errors;
  if (!f) return undefined;
  const e = new ArgsError(`slurm_conf: ${f.path.slice(1).replace(/\//g, '.')}: ${f.message}`, f.path);
  if (rest.length) e.also = rest.map((r) => new ArgsError(`slurm_conf: ${r.path.slice(1).replace(/\//g, '.')}: ${r.message}`, r.path));
  return e;
}

function lintFailure(l: Lint): string {
  return `slurm_conf refused the configuration (nothing written):\n${l.errors.map((e) => `  ${e.path.slice(1).replace(/\//g, '.')}: ${e.message}`).join('\n')}`;
}

/** One probe: Slurm version, programs not executable, slurmctld answering, other included files. */
export function hostScript(mainPath: string, programs: string[], includes: string[]): string {
  const m = shq(mainPath);
  const L = [
    `_v=$(slurmctld -V 2>/dev/null) || _v=$(SLURM_CONF=${m} scontrol -V 2>/dev/null) || _v=$(SLURM_CONF=${m} sinfo -V 2>/dev/null) || _v=`,
    'echo "version=$_v"',
    ...programs.map((p) => `{ [ -f ${shq(p)} ] && [ -x ${shq(p)} ]; } || echo ${shq(`notexec=${p}`)}`),
    `if [ -f ${m} ] && command -v scontrol >/dev/null 2>&1 && SLURM_CONF=${m} timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; then echo ctld=up; else echo ctld=down; fi`,
  ];
  for (const f of includes) L.push(`echo ${shq(`${SEP}${f}`)}`, `cat -- ${shq(f)} 2>/dev/null || echo ${shq(`${SEP}missing`)}`);
  return L.join('\n');
}

export interface HostFacts {
  version?: SlurmVersion;
  notExecutable: string[];
  ctldUp: boolean;
  files: Map<string, string | null>;
}

export function parseHost(stdout: string): HostFacts {
  const at = stdout.indexOf(SEP);
  const head = at >= 0 ? stdout.slice(0, at) : stdout;
  const vline = /^version=(.*)$/m.exec(head)?.[1] ?? '';
  const files = new Map<string, string | null>();
  if (at >= 0) {
    const parts = stdout.slice(at + SEP.length).split(`\n${SEP}`);
    for (const p of parts) {
      const nl = p.indexOf('\n');
      const name = nl >= 0 ? p.slice(0, nl) : p;
      const body = nl >= 0 ? p.slice(nl + 1) : '';
      if (name === 'missing') continue;
      files.set(name, body.startsWith(`${SEP}missing`) || body.endsWith(`${SEP}missing\n`) ? null : body);
    }
    for (const [k, v] of files) if (v !== null && v.includes(`${SEP}missing`)) files.set(k, null);
  }
  return {
    version: vline ? parseSlurmVersion(vline) : undefined,
    notExecutable: [...head.matchAll(/^notexec=(.*)$/gm)].map((x) => x[1]!),
    ctldUp: /^ctld=up$/m.test(head),
    files,
  };
}

/** The main slurm.conf with exactly one `Include PATH` line (added at the end), or without it (absent). */
export function editInclude(text: string, path: string, mainDir: string, present: boolean): string {
  const lines = text.replace(/\n$/, '').split('\n');
  let seen = false;
  const out = lines.filter((l) => {
    const m = /^\s*include\s+(\S+)/i.exec(l);
    if (!m || includePath(m[1]!, mainDir) !== path) return true;
    if (!present || seen) return false;
    seen = true;
    return true;
  });
  if (present && !seen) out.push(`Include ${path}`);
  const s = out.join('\n');
  return s === '' ? '' : s + '\n';
}

interface FilePlan {
  path: string;
  text: TextPlan;
  /** the content before (null: absent) to restore on failure */
  before: string | null;
}

interface ConfPlan {
  files: FilePlan[];
  action: 'reconfigure' | 'restart' | 'none';
  /** values slurmctld must show afterwards */
  expectConfig: Record<string, string>;
  expectPartitions: Record<string, string | undefined>;
  logFile?: string;
  mainPath: string;
}

const VERIFY_KEYS = [
  'SuspendTime',
  'SuspendTimeout',
  'ResumeTimeout',
  'ResumeRate',
  'SuspendRate',
  'TreeWidth',
  'ResumeProgram',
  'SuspendProgram',
  'ResumeFailProgram',
];

/** `scontrol show config` prints `SuspendTime = 600 sec`, `NONE`, `TreeWidth = 65533`. */
export function showValue(want: string | number): string {
  const s = String(want).trim();
  if (/^(-1|none|infinite)$/i.test(s)) return 'NONE';
  return s;
}

function confValue(show: string, key: string): string | undefined {
  const m = new RegExp(`^${key}\\s*=\\s*(.*)$`, 'm').exec(show);
  if (!m) return undefined;
  // `600 sec`, `10 nodes/min`: the number is what was written
  const v = m[1]!.trim();
  return /^-?\d+ /.test(v) ? v.split(' ')[0] : v;
}

/** The NodeName lines of a file, normalised (keys lower case, in order), to tell whether nodes changed. */
export function nodeLines(text: string): string {
  return parseConf(text)
    .filter((l) => l.pairs[0]?.[0].toLowerCase() === 'nodename')
    .map((l) => l.pairs.map(([k, v]) => `${k.toLowerCase()}=${v}`).join(' '))
    .join('\n');
}

function logFileOf(text: string): string | undefined {
  for (const l of parseConf(text)) for (const [k, v] of l.pairs) if (k.toLowerCase() === 'slurmctldlogfile') return v;
  return undefined;
}

async function restartCtld(ctx: ModuleContext): Promise<string> {
  const st = await ctx.fact(serviceStateFact, 'slurmctld');
  const cmd = st.exists ? serviceActionCommand(st, 'restart') : 'slurmctld';
  // the daemon must not inherit the connection's pipes (the command would never end)
  const r = await ctx.run(`_o=$(mktemp) || exit 1; { ${cmd}
} </dev/null >"$_o" 2>&1; _r=$?; cat -- "$_o"; rm -f -- "$_o"; exit $_r`);
  return r.rc === 0 ? '' : r.stderr.trim() || r.stdout.trim() || `rc=${r.rc}`;
}

async function waitUp(ctx: ModuleContext, main: string, seconds: number): Promise<boolean> {
  const r = await ctx.run(
    `_i=0; while [ $_i -lt ${seconds * 4} ]; do SLURM_CONF=${shq(main)} timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && exit 0; sleep 0.25; _i=$((_i+1)); done; exit 1`,
  );
  return r.rc === 0;
}

export const slurmConf = defineModule({
  name: 'slurm_conf',
  description:
    'The cloud part of slurm.conf (power saving, cloud nodes, partitions) in an Include file: typed, linted against what slurmctld dies of, parsed by Slurm on a staged copy, written atomically, reconfigured and verified (rolled back when slurmctld does not take it)',
  examples: `- name: cloud nodes and power saving for the Azure partition
  slurm_conf:
    path: /etc/slurm/cloud.conf
    include_in: /etc/slurm/slurm.conf
    vm_memory_mb: 16384
    params:
      ResumeProgram: /usr/local/sbin/tsplay-power-resume
      SuspendProgram: /usr/local/sbin/tsplay-power-suspend
      ResumeFailProgram: /usr/local/sbin/tsplay-power-fail
      ResumeTimeout: 900
      SuspendTimeout: 300
      ResumeRate: 20
      SuspendRate: 20
      TreeWidth: 65533
      SlurmctldParameters: [cloud_dns, enable_configless]
      DebugFlags: [Power]
    nodes:
      - name: azure[001-016]
        CPUs: 4
        RealMemory: 15500
        Feature: [cloud, azure]
        Weight: 10
    partitions:
      - name: azure
        nodes: azure[001-016]
        MaxTime: INFINITE
        State: UP
        SuspendTime: 600
`,
  returns: {
    path: 'the file written',
    slurm_version: 'the Slurm release found on the host',
    action: "what followed the write: 'reconfigure', 'restart' (NodeName lines changed, Slurm before 23.11) or 'none'",
    parse_check: "the parser check: ok, skipped (why), or Slurm's messages",
    parse_check_ms: 'what the parser check took, in milliseconds',
    reconfigure_ms: 'what reconfigure (or restart) and the verification took, in milliseconds',
    warnings: "the lint's advice (also shown as warnings)",
    backup_file: 'the backup of the replaced file (backup: true)',
  },
  args: Args,
  validate(a) {
    if (!a.path.startsWith('/')) throw new ArgsError('slurm_conf: path must be absolute', '/path');
    if (a.include_in !== undefined && !a.include_in.startsWith('/')) throw new ArgsError('slurm_conf: include_in must be absolute', '/include_in');
    if (a.include_in === a.path)
      throw new ArgsError('slurm_conf: include_in is the main slurm.conf, path the file it includes: they must differ', '/include_in');
    if (a.state === 'present') {
      const e = firstError(lintArgs(a));
      if (e) throw e;
    }
  },
  async check(ctx, a) {
    const mainPath = a.include_in ?? DEFAULT_MAIN;
    const mainDir = mainPath.replace(/\/[^/]*$/, '') || '/';
    const main = await readTextFile(ctx, mainPath);
    const cur = await readTextFile(ctx, a.path);
    const others: ConfSummary = emptySummary();
    const incs: string[] = [];
    if (main.text !== null) {
      summarize(main.text, mainPath, others);
      for (const i of others.includes) {
        const p = includePath(i.path, mainDir);
        if (p !== a.path && !incs.includes(p)) incs.push(p);
      }
    }
    const p = a.params as Record<string, unknown>;
    const programs =
      a.state === 'present'
        ? (['ResumeProgram', 'SuspendProgram', 'ResumeFailProgram'].map((k) => p[k]).filter((x) => typeof x === 'string' && x.startsWith('/')) as string[])
        : [];
    const hr = await ctx.probe(hostScript(mainPath, programs, incs));
    const host = parseHost(hr.stdout);
    for (const [f, t] of host.files) if (t !== null) summarize(t, f, others);
    const result: ResultData = { path: a.path, state: a.state, slurm_version: host.version?.text ?? null };

    let content: string | null = null;
    const warnings: string[] = [];
    if (a.state === 'present') {
      const lint = lintWithHost(a, { version: host.version, others, othersRead: main.text !== null, notExecutable: host.notExecutable });
      if (lint.errors.length) throw new ModuleError(lintFailure(lint));
      for (const w of lint.warnings) {
        const msg = `slurm_conf: ${w.path.slice(1).replace(/\//g, '.')}: ${w.message}`;
        warnings.push(msg);
        ctx.warn(msg);
      }
      if (main.text === null) ctx.warn(`slurm_conf: ${mainPath} does not exist: ${a.path} is not included anywhere yet`);
      else if (!a.include_in && !others.includes.some((i) => includePath(i.path, mainDir) === a.path))
        ctx.warn(`slurm_conf: ${mainPath} does not include ${a.path}: Slurm does not read it (give include_in)`);
      content = renderCloudConf(a);
    }
    if (warnings.length) result.warnings = warnings;

    const files: FilePlan[] = [];
    const text = content === null ? planRemove(cur, a.path) : planText(cur, content, { backup: a.backup, newMode: '0644' });
    if (text) files.push({ path: a.path, text, before: cur.text });
    if (a.include_in && main.text !== null) {
      const edited = editInclude(main.text, a.path, mainDir, a.state === 'present');
      const mt = edited === main.text ? undefined : planText(main, edited, { backup: a.backup });
      // the include goes in after the file exists, and out before the file goes
      if (mt) {
        const f = { path: mainPath, text: mt, before: main.text };
        if (a.state === 'present') files.push(f);
        else files.unshift(f);
      }
    } else if (a.include_in && main.text === null) {
      throw new ModuleError(`slurm_conf: include_in ${mainPath} does not exist`);
    }
    if (!files.length) return ok(result);

    if (content !== null && a.validate) {
      if (main.text === null) {
        ctx.warn(`slurm_conf: no ${mainPath}: Slurm's parser check is skipped (a cloud.conf alone is no configuration)`);
        result.parse_check = `skipped: no ${mainPath}`;
      } else {
        const input = { main: a.include_in ? editInclude(main.text, a.path, mainDir, true) : main.text, mainPath, path: a.path, candidate: content };
        const t0 = Date.now();
        const r = await ctx.probe(parseCheckScript(input));
        result.parse_check_ms = Date.now() - t0;
        const pc = parseCheckResult(r.rc, r.stdout, input);
        if (pc.missing)
          throw new ModuleError('slurm_conf: scontrol is not installed on the host: cannot check the configuration (install slurm-client, or validate: false)');
        if (!pc.ok)
          throw new ModuleError(`slurm_conf: Slurm's parser refuses the configuration (nothing written):\n  ${pc.messages.join('\n  ')}`, {
            rc: r.rc,
            stdout: r.stdout,
          });
        result.parse_check = 'ok';
      }
    }

    // 22.05 (before 23.11) cannot take changed NodeName lines on reconfigure: new or renamed nodes are fatal
    // ("MaxNodeCount has changed", "hostnames inconsistency detected"), changed CPUs are refused ("require
    // restart of the slurmctld daemon"): then slurmctld is restarted
    const nodesChanged = nodeLines(cur.text ?? '') !== nodeLines(content ?? '');
    const needsRestart = nodesChanged && (!host.version || host.version.major < 23 || (host.version.major === 23 && host.version.minor < 11));
    let action: ConfPlan['action'] = 'none';
    if (a.reconfigure && host.ctldUp) action = needsRestart ? 'restart' : 'reconfigure';
    else if (a.reconfigure) result.msg = 'slurmctld is not running: it reads the new configuration when it starts';

    const expectConfig: Record<string, string> = {};
    const expectPartitions: Record<string, string | undefined> = {};
    if (content !== null) {
      for (const k of VERIFY_KEYS) if (p[k] !== undefined && !others.globals.has(k.toLowerCase())) expectConfig[k] = showValue(p[k] as string | number);
      for (const x of a.partitions) expectPartitions[x.name] = x.SuspendTime === undefined ? undefined : showValue(x.SuspendTime);
    }
    const plan: ConfPlan = { files, action, expectConfig, expectPartitions, logFile: main.text ? logFileOf(main.text) : undefined, mainPath };
    const summary = [
      ...files.map((f) => f.text.summary),
      action !== 'none' ? (action === 'restart' ? 'restart slurmctld (NodeName lines changed)' : 'scontrol reconfigure') : '',
    ]
      .filter(Boolean)
      .join(', ');
    result.action = action;
    return change(summary, plan, { diff: files.flatMap((f) => f.text.diff), result });
  },
  async apply(ctx, a, plan) {
    const out: ResultData = {};
    for (const f of plan.files) {
      const r = await applyText(ctx, f.text.steps);
      if (r.backup_file && f.path === a.path) out.backup_file = r.backup_file;
    }
    if (plan.action === 'none') return out;
    const main = plan.mainPath;
    const log = plan.logFile;
    const logStart = log ? Number((await ctx.run(`wc -c < ${shq(log)} 2>/dev/null || echo 0`)).stdout.trim()) || 0 : 0;
    const t0 = Date.now();
    let problem = '';
    if (plan.action === 'restart') {
      const e = await restartCtld(ctx);
      if (e) problem = `restarting slurmctld failed: ${e}`;
    } else {
      const r = await ctx.run(`SLURM_CONF=${shq(main)} scontrol reconfigure`);
      if (r.rc !== 0) problem = `scontrol reconfigure failed: ${(r.stderr.trim() || r.stdout.trim() || `rc=${r.rc}`).split('\n')[0]}`;
      // 22.05 fatal()s a moment after it answered: give it that moment
      await ctx.run('sleep 1');
    }
    if (!problem && !(await waitUp(ctx, main, a.verify_timeout))) problem = `slurmctld does not answer within ${a.verify_timeout} s`;
    if (!problem) {
      const r = await ctx.run(`SLURM_CONF=${shq(main)} scontrol show config; echo ${SEP}; SLURM_CONF=${shq(main)} scontrol -o show partition`);
      const [cfg = '', parts = ''] = r.stdout.split(`${SEP}\n`);
      const wrong: string[] = [];
      for (const [k, want] of Object.entries(plan.expectConfig)) {
        const got = confValue(cfg, k);
        if (got !== undefined && got !== want) wrong.push(`${k} is ${got}, not ${want}`);
      }
      for (const [name, st] of Object.entries(plan.expectPartitions)) {
        const line = parts.split('\n').find((l) => l.startsWith(`PartitionName=${name} `));
        if (!line) wrong.push(`partition ${name} is missing`);
        else if (st !== undefined) {
          const got = /\bSuspendTime=(\S+)/.exec(line)?.[1];
          if (got !== undefined && got !== st) wrong.push(`partition ${name} has SuspendTime=${got}, not ${st}`);
        }
      }
      if (wrong.length) problem = `slurmctld does not show the new values: ${wrong.join('; ')}`;
    }
    out.reconfigure_ms = Date.now() - t0;
    if (!problem) return out;

    // roll back: old files, slurmctld restarted on them
    let why = '';
    if (log) {
      const r = await ctx.run(
        `tail -c +${logStart + 1} ${shq(log)} 2>/dev/null | grep -E 'fatal:|error:' | grep -vE 'pmix|MPI: Cannot create context|state file|NOTE: Trying backup' | tail -n 5`,
      );
      why = r.stdout.trim();
    }
    // the old content straight back through the planned write (its owner/mode; the fact cache would still
    // show the pre-change file), the Include removed before the file it names
    for (const f of [...plan.files].reverse()) {
      const w = f.text.steps.find((s) => s.kind === 'write');
      if (f.before === null) await ctx.run(`rm -f -- ${shq(f.path)}`);
      else {
        const spec = w && w.kind === 'write' ? { ...w.spec, backup: false, validate: undefined, mkdirs: [] } : { dest: f.path, keepAttrs: false, mode: 0o644 };
        await applyText(ctx, [{ kind: 'write', spec, data: Buffer.from(f.before, 'utf8') }]);
      }
    }
    const alive = await waitUp(ctx, main, 1);
    let e = '';
    if (alive && plan.action === 'reconfigure') await ctx.run(`SLURM_CONF=${shq(main)} scontrol reconfigure; sleep 1`);
    else e = await restartCtld(ctx);
    const up = await waitUp(ctx, main, a.verify_timeout);
    throw new ModuleError(
      `slurm_conf: ${problem}${why ? `\n  slurmctld: ${why.split('\n').join('\n  slurmctld: ')}` : ''}\n  the old ${plan.files.map((f) => f.path).join(' and ')} ${plan.files.length > 1 ? 'were' : 'was'} restored; slurmctld ${up ? (alive ? 'kept running' : 'was restarted and is up') : `is DOWN${e ? ` (${e})` : ''}`}`,
    );
  },
});
