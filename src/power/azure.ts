/**
 * The Azure side of a node, with the same az calls as the azure_vm module (lib/cloud): read
 * instanceView.statuses, `az vm start|deallocate --no-wait`, poll the PowerState (cloud.ts). Never `az vm
 * stop` (a stopped VM stays allocated and billed).
 */
import { azGlobal, powerState, readStatuses, vmWhat, type AzStatus, type PowerState } from '../../lib/cloud/azure-state.js';
import { CloudBase } from './cloud.js';
import type { PowerLog } from './log.js';
import type { AzureVmRef } from './nodemap.js';
import type { RetryPolicy } from './retry.js';

export class AzureVms extends CloudBase<AzureVmRef> {
  constructor(log: PowerLog, retry: RetryPolicy, pollS: number) {
    super(log, retry, pollS, 'az');
  }

  protected globalArgs(vm: AzureVmRef): string[] {
    return azGlobal(vm.subscription);
  }

  async state(vm: AzureVmRef): Promise<{ power: PowerState; statuses: AzStatus[] }> {
    const statuses = await this.retried(vm, 'get-instance-view', () => readStatuses(this.cli(vm), vm.resource_group, vm.name));
    return { power: powerState(statuses), statuses };
  }

  async action(vm: AzureVmRef, action: 'start' | 'deallocate'): Promise<void> {
    await this.retried(vm, `vm ${action}`, () =>
      this.cli(vm).run({ argv: ['vm', action, '-g', vm.resource_group, '-n', vm.name, '--no-wait'], what: vmWhat(vm.resource_group, vm.name), noOutput: true }),
    );
  }
}
