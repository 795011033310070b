/**
 * The VM side of a node, with the same az calls as the azure_vm module (lib/cloud): read
 * instanceView.statuses, `az vm start|deallocate --no-wait`, poll the PowerState. Never `az vm stop` (a
 * stopped VM stays allocated and billed). Each az call is one log line (argv, rc, ms); throttled calls are
 * retried with back-off.
 */
import { CloudCli } from '../../lib/cloud/cli.js';
import { azGlobal, powerState, readStatuses, vmWhat, type AzStatus, type PowerState } from '../../lib/cloud/azure-state.js';
import type { ModuleContext } from '../contract/index.js';
import { ModuleError } from '../errors.js';
import { execLocal } from './exec.js';
import type { PowerLog } from './log.js';
import type { VmRef } from './nodemap.js';
import { isThrottled, withRetry, type RetryPolicy } from './retry.js';

/** A context for CloudCli that runs its scripts here (the controller) and logs every call. */
function localContext(log: PowerLog, node: string): ModuleContext {
  const run = async (script: string, opts?: { env?: Record<string, string> }) => {
    const r = await execLocal('/bin/sh', ['-c', script], { env: opts?.env, timeoutMs: 300_000 });
    const argv = script.split('\n').slice(1).join(' ');
    log.write({ step: 'az', node, outcome: r.rc === 0 ? 'ok' : 'fail', rc: r.rc, ms: r.ms, argv, ...(r.rc ? { error: r.stderr.trim().slice(0, 300) } : {}) });
    return { rc: r.rc, stdout: r.stdout, stderr: r.stderr, stdoutBuf: Buffer.from(r.stdout) };
  };
  const ctx = { host: 'localhost', run, probe: run, log: () => {} };
  return ctx as unknown as ModuleContext;
}

const throttled = (e: unknown): boolean => e instanceof ModuleError && isThrottled(`${e.message}\n${e.stderr ?? ''}`);

export class AzureVms {
  constructor(
    private readonly log: PowerLog,
    private readonly retry: RetryPolicy,
    private readonly pollS: number,
  ) {}

  private cli(vm: VmRef): CloudCli {
    return new CloudCli(localContext(this.log, vm.node), 'az', { globalArgs: azGlobal(vm.subscription) });
  }

  private retried<T>(vm: VmRef, what: string, fn: () => Promise<T>): Promise<T> {
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

  async state(vm: VmRef): Promise<{ power: PowerState; statuses: AzStatus[] }> {
    const statuses = await this.retried(vm, 'get-instance-view', () => readStatuses(this.cli(vm), vm.resource_group, vm.name));
    return { power: powerState(statuses), statuses };
  }

  async action(vm: VmRef, action: 'start' | 'deallocate'): Promise<void> {
    await this.retried(vm, `vm ${action}`, () =>
      this.cli(vm).run({ argv: ['vm', action, '-g', vm.resource_group, '-n', vm.name, '--no-wait'], what: vmWhat(vm.resource_group, vm.name), noOutput: true }),
    );
  }

  /** Poll until PowerState/target, or throw at the deadline (epoch ms). */
  async waitFor(vm: VmRef, target: PowerState, deadline: number): Promise<PowerState> {
    for (;;) {
      const { power } = await this.state(vm);
      if (power === target) return power;
      if (Date.now() >= deadline) throw new ModuleError(`${vmWhat(vm.resource_group, vm.name)} is PowerState/${power}, not ${target}, at the deadline`);
      await new Promise((r) => setTimeout(r, Math.min(this.pollS * 1000, Math.max(0, deadline - Date.now()))));
    }
  }
}
