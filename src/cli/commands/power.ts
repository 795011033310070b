/**
 * tsplay power resume|suspend|fail HOSTLIST — Slurm's ResumeProgram / SuspendProgram / ResumeFailProgram;
 * tsplay power status HOSTLIST; tsplay power log [--since T] [NODE].
 *
 * slurmctld runs the program as SlurmUser with nothing but SLURM_CONF (+ SLURM_RESUME_FILE) in the
 * environment, through a launcher that sets PATH, HOME, the cloud CLI's config dir and TSPLAY_POWER_CONFIG.
 * resume|suspend|fail return within a second or two: the resume file is copied first (Slurm deletes it), the
 * call is logged, and a detached worker (own session, stdio to <log dir>/power-worker.out) does the work.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { expand } from '../../../lib/hostlist.js';
import { loadInventory } from '../../config/inventory/index.js';
import { defaultConfigPath, loadConfig, type PowerConfig } from '../../power/config.js';
import { filterLog, formatRecord, parseSince, PowerLog, readLog, errorText } from '../../power/log.js';
import { copyResumeFile, parseResumeFile } from '../../power/resume-file.js';
import { cloudsFor, PowerWorker, type PowerOp } from '../../power/worker.js';
import type { PowerCloud } from '../../power/cloud.js';
import { Slurm } from '../../power/slurm.js';
import { mapNode, vmLabel } from '../../power/nodemap.js';
import { readFileSync } from 'node:fs';

export const POWER_USAGE = `usage: tsplay power resume|suspend|fail HOSTLIST [--config FILE] [--foreground]
       tsplay power status HOSTLIST [--config FILE]
       tsplay power log [--since 10m|ISO-TIME] [NODE] [--json] [--config FILE]

  resume    ResumeProgram: start the VMs, wait for SSH, run the cloud-node playbook (slurmd last);
            on failure the node is set DOWN with the reason at once and the VM deallocated
  suspend   SuspendProgram: stop slurmd, deallocate the VMs, verify
  fail      ResumeFailProgram: suspend, then return the nodes to service after a per-node back-off
  status    Slurm's state and the VM's power state side by side
  log       the power log, readable

  --config FILE   the power configuration (default $TSPLAY_POWER_CONFIG or /etc/tsplay/power.yml)
  --foreground    do the work in this process (no detached worker)
`;

const OPS = new Set(['resume', 'suspend', 'fail']);

export async function powerCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        foreground: { type: 'boolean' },
        since: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        // the detached worker's own arguments
        run: { type: 'string' },
        t0: { type: 'string' },
        'resume-file': { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`tsplay power: ${(e as Error).message}\n${POWER_USAGE}`);
    return 5;
  }
  const o = parsed.values;
  const [sub, ...pos] = parsed.positionals;
  if (o.help || !sub) {
    process.stdout.write(POWER_USAGE);
    return o.help ? 0 : 5;
  }
  const cfgPath = o.config ?? defaultConfigPath();
  if (sub === '_work') {
    const [op, hostlist] = pos;
    const cfg = loadConfig(cfgPath);
    return new PowerWorker({
      op: op as PowerOp,
      hostlist: hostlist ?? '',
      cfg,
      run: o.run ?? newRunId(),
      t0: Number(o.t0 ?? Date.now()),
      resumeFile: o['resume-file'],
    }).run();
  }
  if (OPS.has(sub)) return call(sub as PowerOp, pos, cfgPath, !!o.foreground);
  if (sub === 'status') return status(pos, loadConfig(cfgPath));
  if (sub === 'log') return showLog(pos, cfgPath, o.since, !!o.json);
  process.stderr.write(`tsplay power: unknown subcommand '${sub}'\n${POWER_USAGE}`);
  return 5;
}

function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/** What slurmctld calls: copy the resume file, log the call, detach the worker, return. */
async function call(op: PowerOp, pos: string[], cfgPath: string, foreground: boolean): Promise<number> {
  const t0 = Date.now();
  const run = newRunId();
  const hostlist = pos.join(',');
  let cfg: PowerConfig;
  try {
    cfg = loadConfig(cfgPath);
  } catch (e) {
    // nowhere else to say it: slurmctld discards stdout/stderr
    new PowerLog('/var/log/tsplay/power.jsonl', op, run).write({ step: 'config', outcome: 'fail', error: errorText(e) });
    process.stderr.write(`tsplay power: ${errorText(e)}\n`);
    return 1;
  }
  const log = new PowerLog(cfg.log, op, run);
  const resumeFile = op === 'resume' ? copyResumeFile(process.env.SLURM_RESUME_FILE, cfg.state_dir, run) : undefined;
  let jobs: number[] | undefined;
  if (resumeFile) {
    try {
      jobs = parseResumeFile(readFileSync(resumeFile, 'utf8')).jobs.map((j) => j.job_id);
    } catch (e) {
      log.write({ step: 'resume-file', outcome: 'fail', error: errorText(e) });
    }
  }
  log.write({
    step: 'call',
    outcome: 'start',
    argv: [op, ...pos],
    hostlist,
    uid: process.getuid?.(),
    env: Object.keys(process.env).sort(),
    ...(resumeFile ? { resume_file: resumeFile, jobs } : {}),
  });
  if (!hostlist) {
    log.write({ step: 'call', outcome: 'fail', error: 'no hostlist given' });
    return 5;
  }
  const workArgs = [
    'power',
    '_work',
    op,
    hostlist,
    '--config',
    cfgPath,
    '--run',
    run,
    '--t0',
    String(t0),
    ...(resumeFile ? ['--resume-file', resumeFile] : []),
  ];
  if (foreground) return new PowerWorker({ op, hostlist, cfg, run, t0, resumeFile }).run();
  const outFile = join(dirname(cfg.log), 'power-worker.out');
  mkdirSync(dirname(outFile), { recursive: true });
  const fd = openSync(outFile, 'a');
  try {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...workArgs], { detached: true, stdio: ['ignore', fd, fd], cwd: '/' });
    child.unref();
    log.write({ step: 'detach', outcome: 'ok', worker_pid: child.pid, ms: Date.now() - t0 });
  } catch (e) {
    log.write({ step: 'detach', outcome: 'fail', error: errorText(e) });
    return 1;
  } finally {
    closeSync(fd);
  }
  return 0;
}

async function status(pos: string[], cfg: PowerConfig): Promise<number> {
  const hostlist = pos.join(',');
  const nodes = expand(hostlist);
  const log = new PowerLog(cfg.log, 'status', newRunId());
  const slurm = new Slurm(cfg.scontrol, log);
  const states = new Map((await slurm.showNodes(hostlist)).map((s) => [s.node, s]));
  const inv = await loadInventory([cfg.inventory]);
  const clouds = cloudsFor(log, cfg);
  const rows: string[][] = [['NODE', 'SLURM STATE', 'VM', 'POWER STATE', 'REASON']];
  let rc = 0;
  for (const n of nodes) {
    const s = states.get(n);
    const m = mapNode(inv, n);
    let power = '-';
    if (m.ok)
      power = await (clouds[m.vm.provider] as PowerCloud).state(m.vm).then(
        (x) => x.power,
        (e: unknown) => `error: ${errorText(e).slice(0, 60)}`,
      );
    else rc = 1;
    rows.push([n, s ? s.flags.join('+') : '(unknown to Slurm)', m.ok ? vmLabel(m.vm) : m.error, power, s?.reason ?? '']);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    process.stdout.write(
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!)))
        .join('  ')
        .trimEnd() + '\n',
    );
  return rc;
}

function showLog(pos: string[], cfgPath: string, since: string | undefined, json: boolean): number {
  let logPath = '/var/log/tsplay/power.jsonl';
  try {
    logPath = loadConfig(cfgPath).log;
  } catch {
    /* the default path */
  }
  const recs = filterLog(readLog(logPath), { since: since ? parseSince(since) : undefined, node: pos[0] });
  for (const r of recs) process.stdout.write((json ? JSON.stringify(r) : formatRecord(r)) + '\n');
  return 0;
}
