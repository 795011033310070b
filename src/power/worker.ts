/**
 * The work behind `tsplay power resume|suspend|fail`, done by a detached worker (never inside slurmctld's
 * script queue). Per node, with at most `concurrency` nodes at once and a lock per node (a second resume of a
 * node being resumed is a logged no-op):
 *
 *   resume:  map → power state → az vm start / aws ec2 start-instances (only if not running/starting) → wait running → wait SSH →
 *            cloud-node playbook (slurmd enabled + started last) → done, before the resume deadline.
 *            Any failure: `scontrol update nodename=N state=down reason="tsplay: <step>: <error>"` at once
 *            (Slurm requeues the job now), deallocate, and after the per-node back-off `state=resume`.
 *   suspend: stop slurmd over SSH → az vm deallocate / ec2 stop-instances (only if not deallocated/stopped) → verify PowerState/deallocated.
 *   fail:    suspend, then after the per-node back-off `scontrol update state=resume` (back to service).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseResumeFile, type ResumeJob } from './resume-file.js';
import { join } from 'node:path';
import { expand } from '../../lib/hostlist.js';
import { loadInventory, type Inventory } from '../config/inventory/index.js';
import { createConnection, targetFromVars } from '../connection/index.js';
import { CONN_KEYS } from '../cli/commands/run.js';
import { renderValue } from '../engine/templating/index.js';
import type { Vars } from '../config/playbook-types.js';
import { waitForSsh } from '../lab/wait-ssh.js';
import { setupVault } from '../cli/vault-setup.js';
import { AzureVms } from './azure.js';
import { AwsInstances } from './aws.js';
import type { PowerCloud } from './cloud.js';
import type { PowerConfig } from './config.js';
import { errorText, PowerLog } from './log.js';
import { mapNode, vmLabel, type VmRef } from './nodemap.js';
import { runNodePlaybook } from './playbook.js';
import { failBackoff, pool } from './retry.js';
import { Slurm } from './slurm.js';
import { sleep } from '../../lib/cloud/wait.js';

export type PowerOp = 'resume' | 'suspend' | 'fail';

export interface WorkOptions {
  op: PowerOp;
  hostlist: string;
  cfg: PowerConfig;
  run: string;
  /** when slurmctld called (epoch ms): the resume deadline counts from here */
  t0: number;
  resumeFile?: string;
}

class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StepError) throw e;
    throw new StepError(name, errorText(e));
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One lock per node (O_EXCL file with the owner's pid); a stale lock (dead pid) is taken over. */
export function tryLock(dir: string, node: string, op: string): { ok: true; release: () => void } | { ok: false; holder: { pid: number; op: string } } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = join(dir, `${node}.lock`);
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(f, JSON.stringify({ pid: process.pid, op, t: new Date().toISOString() }), { flag: 'wx', mode: 0o600 });
      return { ok: true, release: () => rmSync(f, { force: true }) };
    } catch {
      let holder: { pid: number; op: string } = { pid: 0, op: '?' };
      try {
        holder = JSON.parse(readFileSync(f, 'utf8')) as { pid: number; op: string };
      } catch {
        /* half-written: treated as stale */
      }
      if (holder.pid && pidAlive(holder.pid)) return { ok: false, holder };
      rmSync(f, { force: true });
    }
  }
  return { ok: false, holder: { pid: 0, op: '?' } };
}

interface FailCount {
  count: number;
  last: string;
}

function failFile(dir: string, node: string): string {
  return join(dir, `${node}.failures`);
}

export function bumpFailures(dir: string, node: string, now = Date.now()): number {
  let c: FailCount = { count: 0, last: new Date(0).toISOString() };
  try {
    c = JSON.parse(readFileSync(failFile(dir, node), 'utf8')) as FailCount;
  } catch {
    /* first failure */
  }
  // a node that last failed a day ago starts again from the base back-off
  const count = now - Date.parse(c.last) > 86_400_000 ? 1 : c.count + 1;
  writeFileSync(failFile(dir, node), JSON.stringify({ count, last: new Date(now).toISOString() }), { mode: 0o600 });
  return count;
}

/** One provider object each (they hold no per-node state). */
export function cloudsFor(log: PowerLog, cfg: PowerConfig): { azure: AzureVms; aws: AwsInstances } {
  return {
    azure: new AzureVms(log, cfg.retry, cfg.az.poll_interval),
    aws: new AwsInstances(log, cfg.retry, cfg.aws.poll_interval, { region: cfg.aws.region, profile: cfg.aws.profile }),
  };
}

export class PowerWorker {
  readonly log: PowerLog;
  private readonly slurm: Slurm;
  private readonly clouds: { azure: AzureVms; aws: AwsInstances };
  private inv!: Inventory;
  /** the jobs of SLURM_RESUME_FILE (its copy): told why their node did not come up */
  private jobs: ResumeJob[] = [];

  constructor(private readonly o: WorkOptions) {
    this.log = new PowerLog(o.cfg.log, o.op, o.run);
    this.slurm = new Slurm(o.cfg.scontrol, this.log);
    this.clouds = cloudsFor(this.log, o.cfg);
  }

  /** the provider of this VM (each VmRef says which) */
  private cloud(vm: VmRef): PowerCloud {
    return this.clouds[vm.provider] as PowerCloud;
  }

  private vars(node: string): Vars {
    return this.inv.hostVars(node) as Vars;
  }

  /** The node's connection target, as the engine would build it from its host vars. */
  private target(node: string) {
    const vars = this.vars(node);
    const cv: Vars = {};
    for (const k of CONN_KEYS) if (vars[k] !== undefined) cv[k] = vars[k];
    return targetFromVars(node, renderValue(cv, vars) as Vars, {});
  }

  async run(): Promise<number> {
    const { cfg } = this.o;
    const t0 = Date.now();
    let nodes: string[];
    try {
      nodes = expand(this.o.hostlist);
    } catch (e) {
      this.log.write({ step: 'expand', outcome: 'fail', hostlist: this.o.hostlist, error: errorText(e) });
      return 1;
    }
    this.log.write({ step: 'expand', outcome: 'ok', hostlist: this.o.hostlist, nodes });
    if (this.o.resumeFile) {
      try {
        this.jobs = parseResumeFile(readFileSync(this.o.resumeFile, 'utf8')).jobs;
      } catch (e) {
        this.log.write({ step: 'resume-file', outcome: 'fail', error: errorText(e) });
      }
      rmSync(this.o.resumeFile, { force: true });
    }
    try {
      const vault = cfg.vault_password_file ? await setupVault({ passwordFiles: [cfg.vault_password_file] }) : undefined;
      this.inv = await loadInventory([cfg.inventory], { decryptFile: vault?.decryptFile });
    } catch (e) {
      const error = `inventory ${cfg.inventory}: ${errorText(e)}`;
      this.log.write({ step: 'inventory', outcome: 'fail', error });
      if (this.o.op === 'resume') for (const n of nodes) await this.slurm.down(n, `tsplay: inventory: ${error}`);
      return 1;
    }
    const results = await pool(nodes, cfg.concurrency, (n) => this.node(n));
    const failed = results.filter((r) => !r).length;
    this.log.write({ step: 'end', outcome: failed ? 'fail' : 'ok', ms: Date.now() - t0, since_call_ms: Date.now() - this.o.t0, nodes: nodes.length, failed });
    return failed ? 1 : 0;
  }

  private async node(node: string): Promise<boolean> {
    const m = mapNode(this.inv, node);
    if (!m.ok) {
      this.log.write({ step: 'map', node, outcome: 'fail', error: m.error });
      if (this.o.op === 'resume') await this.slurm.down(node, `tsplay: map: ${m.error}`);
      return false;
    }
    this.log.write({ step: 'map', node, outcome: 'ok', provider: m.vm.provider, vm: vmLabel(m.vm) });
    const lock = tryLock(this.o.cfg.state_dir, node, this.o.op);
    if (!lock.ok) {
      this.log.write({
        step: 'lock',
        node,
        outcome: 'skip',
        holder_pid: lock.holder.pid,
        holder_op: lock.holder.op,
        error: `node ${node} is already being handled (${lock.holder.op}, pid ${lock.holder.pid})`,
      });
      return true;
    }
    try {
      if (this.o.op === 'resume') return await this.resume(m.vm);
      if (this.o.op === 'suspend') return await this.suspend(m.vm, Date.now() + this.o.cfg.suspend_deadline * 1000);
      return await this.fail(m.vm);
    } finally {
      lock.release();
    }
  }

  private async resume(vm: VmRef): Promise<boolean> {
    const { cfg } = this.o;
    const node = vm.node;
    const deadline = this.o.t0 + cfg.resume_deadline * 1000;
    const left = () => Math.max(0, deadline - Date.now());
    try {
      const { power } = await step('power-state', () => this.log.step('power-state', node, {}, () => this.cloud(vm).state(vm)));
      this.log.write({ step: 'power-state', node, outcome: 'info', power });
      if (power === 'running' || power === 'starting') {
        this.log.write({ step: 'start', node, outcome: 'skip', power, error: undefined, why: `VM already ${power}: no start call` });
      } else {
        if (power === 'deallocating' || power === 'stopping') {
          await step('wait-stopped', () =>
            this.log.step('wait-stopped', node, { from: power }, () =>
              this.cloud(vm).waitFor(vm, power === 'deallocating' ? 'deallocated' : 'stopped', deadline),
            ),
          );
        }
        await step('start', () => this.log.step('start', node, {}, () => this.cloud(vm).action(vm, 'start')));
      }
      await step('wait-running', () => this.log.step('wait-running', node, {}, () => this.cloud(vm).waitFor(vm, 'running', deadline)));
      const t = this.target(node);
      await step('ssh', () =>
        this.log.step('ssh', node, { address: t.host, port: t.port }, async () => {
          const missing = await waitForSsh([t.host], left(), t.port);
          if (missing.length) throw new Error(`sshd on ${t.host}:${t.port} did not answer before the resume deadline`);
        }),
      );
      await step('playbook', () =>
        this.log.step('playbook', node, { playbook: cfg.playbook }, async () => {
          const timer = sleep(left() / 1000).then(() => ({
            exitCode: 124,
            failure: `the resume deadline (${cfg.resume_deadline} s) passed during the playbook`,
          }));
          const r = await Promise.race([
            runNodePlaybook({ playbook: cfg.playbook, inventory: this.inv, node, extraVars: cfg.extra_vars as Vars, log: this.log }),
            timer,
          ]);
          if (r.exitCode) throw new Error(r.failure ?? `exit code ${r.exitCode}`);
          return r;
        }),
      );
      rmSync(failFile(cfg.state_dir, node), { force: true });
      this.log.write({ step: 'done', node, outcome: 'ok', since_call_ms: Date.now() - this.o.t0 });
      return true;
    } catch (e) {
      const se = e instanceof StepError ? e : new StepError('resume', errorText(e));
      const reason = `tsplay: ${se.step}: ${se.message}`;
      this.log.write({ step: 'failed', node, outcome: 'fail', failed_step: se.step, error: se.message, since_call_ms: Date.now() - this.o.t0 });
      await this.slurm.down(node, reason);
      for (const j of this.jobsOf(node)) await this.slurm.jobComment(node, j.job_id, `tsplay: node ${node}: ${se.step}: ${se.message}`);
      await this.suspend(vm, Date.now() + cfg.suspend_deadline * 1000, { skipSlurmd: se.step === 'power-state' || se.step === 'start' });
      // without this Slurm keeps the node POWERING_UP until ResumeTimeout, even after state=resume
      await this.slurm.poweredDown(node);
      await this.returnToService(vm);
      return false;
    }
  }

  /** The resume file's jobs waiting for this node. */
  private jobsOf(node: string): ResumeJob[] {
    return this.jobs.filter((j) => {
      try {
        return expand(j.nodes_resume ?? j.nodes_alloc ?? '').includes(node);
      } catch {
        return false;
      }
    });
  }

  private async suspend(vm: VmRef, deadline: number, o: { skipSlurmd?: boolean } = {}): Promise<boolean> {
    const node = vm.node;
    let ok = true;
    if (!o.skipSlurmd) {
      // a node that is not reachable has no slurmd to stop: logged, and the VM is deallocated anyway
      await this.log
        .step('slurmd-stop', node, {}, async () => {
          const conn = createConnection({ ...this.target(node), connectTimeoutMs: 10_000 });
          try {
            await conn.connect();
            const r = await conn.run(this.o.cfg.slurmd_stop, { become: true, timeoutMs: 30_000 });
            if (r.rc !== 0) throw new Error(`rc=${r.rc}: ${(r.stderr || r.stdout).trim().slice(0, 200)}`);
          } finally {
            await conn.close();
          }
        })
        .catch(() => undefined);
    }
    try {
      const { power } = await this.log.step('power-state', node, {}, () => this.cloud(vm).state(vm));
      this.log.write({ step: 'power-state', node, outcome: 'info', power });
      if (power === 'deallocated') this.log.write({ step: 'deallocate', node, outcome: 'skip', why: 'VM already deallocated' });
      else if (power !== 'deallocating') await this.log.step('deallocate', node, {}, () => this.cloud(vm).action(vm, 'deallocate'));
      await this.log.step('wait-deallocated', node, {}, () => this.cloud(vm).waitFor(vm, 'deallocated', deadline));
      const after = await this.cloud(vm).state(vm);
      ok = after.power === 'deallocated';
      this.log.write({
        step: 'verify',
        node,
        outcome: ok ? 'ok' : 'fail',
        power: after.power,
        ...(ok ? {} : { error: `PowerState/${after.power} after deallocate` }),
      });
    } catch {
      ok = false;
    }
    return ok;
  }

  private async fail(vm: VmRef): Promise<boolean> {
    const ok = await this.suspend(vm, Date.now() + this.o.cfg.suspend_deadline * 1000);
    await this.returnToService(vm);
    return ok;
  }

  /** After the node's back-off (doubling per consecutive failure), `scontrol update state=resume`. */
  private async returnToService(vm: VmRef): Promise<void> {
    const { cfg } = this.o;
    const n = bumpFailures(cfg.state_dir, vm.node);
    const wait = failBackoff(n, cfg.fail_backoff, cfg.fail_backoff_max);
    this.log.write({ step: 'backoff', node: vm.node, outcome: 'info', failures: n, wait_s: wait });
    await sleep(wait);
    // only a DOWN/DRAIN node needs it (Slurm answers "Invalid node state specified" otherwise): a node Slurm
    // itself returned (ReturnToService=2, its slurmd answered) is left as it is
    const st = (await this.slurm.showNodes(vm.node)).find((x) => x.node === vm.node);
    if (st && !st.flags.some((f) => f === 'DOWN' || f === 'DRAIN' || f === 'DRAINED' || f === 'DRAINING' || f === 'FAIL')) {
      this.log.write({ step: 'return', node: vm.node, outcome: 'skip', state: st.flags.join('+'), why: 'already in service' });
      return;
    }
    const ok = await this.slurm.resumeNode(vm.node);
    this.log.write({ step: 'return', node: vm.node, outcome: ok ? 'ok' : 'fail', ...(ok ? {} : { error: 'scontrol update state=resume failed' }) });
  }
}
