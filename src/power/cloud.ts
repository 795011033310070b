/**
 * What the Azure and AWS sides of `tsplay power` share: CloudCli (lib/cloud/cli.ts) running on the controller
 * with every call one log line (argv, rc, ms), throttled calls retried with back-off (retry.ts), and the wait
 * for a power state bounded by the node's deadline (lib/cloud/wait.ts pollUntil, the one polling loop).
 */
import { CloudCli, type CloudCliName } from '../../lib/cloud/cli.js';
import type { PowerState } from '../../lib/cloud/azure-state.js';
import { pollUntil } from '../../lib/cloud/wait.js';
import type { ModuleContext } from '../contract/index.js';
import { ModuleError } from '../errors.js';
import { execLocal } from './exec.js';
import type { PowerLog } from './log.js';
import { vmLabel, type VmRef } from './nodemap.js';
import { isThrottled, withRetry, type RetryPolicy } from './retry.js';

export type { PowerState };

/** One provider: read the power state, start or deallocate (AWS: stop), wait for a state. */
export interface PowerCloud<V extends VmRef = VmRef> {
  state(vm: V): Promise<{ power: PowerState }>;
  action(vm: V, action: 'start' | 'deallocate'): Promise<void>;
  waitFor(vm: V, target: PowerState, deadline: number): Promise<PowerState>;
}

/** A context for CloudCli that runs its scripts here (the controller) and logs every call. */
function localContext(log: PowerLog, node: string, cli: CloudCliName): ModuleContext {
  const run = async (script: string, opts?: { env?: Record<string, string> }) => {
    const r = await execLocal('/bin/sh', ['-c', script], { env: opts?.env, timeoutMs: 300_000 });
    const argv = script.split('\n').slice(1).join(' ');
    log.write({ step: cli, node, outcome: r.rc === 0 ? 'ok' : 'fail', rc: r.rc, ms: r.ms, argv, ...(r.rc ? { error: r.stderr.trim().slice(0, 300) } : {}) });
    return { rc: r.rc, stdout: r.stdout, stderr: r.stderr, stdoutBuf: Buffer.from(r.stdout) };
  };
  const ctx = { host: 'localhost', run, probe: run, log: () => {} };
  return ctx as unknown as ModuleContext;
}

const throttled = (e: unknown): boolean => e instanceof ModuleError && isThrottled(`${e.message}\n${e.stderr ?? ''}`);

export abstract class CloudBase<V extends VmRef> implements PowerCloud<V> {
  constructor(
    protected readonly log: PowerLog,
    private readonly retry: RetryPolicy,
    private readonly pollS: number,
    private readonly cliName: CloudCliName,
  ) {}

  protected abstract globalArgs(vm: V): string[];
  abstract state(vm: V): Promise<{ power: PowerState }>;
  abstract action(vm: V, action: 'start' | 'deallocate'): Promise<void>;

  protected cli(vm: V): CloudCli {
    return new CloudCli(localContext(this.log, vm.node, this.cliName), this.cliName, { globalArgs: this.globalArgs(vm) });
  }

  /** fn again after a throttled answer, with exponential back-off + jitter, each retry one log line */
  protected retried<T>(vm: V, what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.retry, throttled, (n, d, e) =>
      this.log.write({
        step: 'retry',
        node: vm.node,
        outcome: 'retry',
        attempt: n,
        delay_s: Math.round(d * 10) / 10,
        call: what,
        error: (e as Error).message.slice(0, 200),
      }),
    );
  }

  /** Poll the power state until `target`, or fail at the deadline (epoch ms). */
  async waitFor(vm: V, target: PowerState, deadline: number): Promise<PowerState> {
    const r = await pollUntil({
      what: `${vmLabel(vm)} to be ${target}`,
      timeoutS: Math.max(0, (deadline - Date.now()) / 1000),
      intervalS: this.pollS,
      read: () => this.state(vm),
      done: (s) => s.power === target,
      describe: (s) => s.power,
    });
    return r.power;
  }
}
