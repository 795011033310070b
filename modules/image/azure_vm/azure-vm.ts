/**
 * azure_vm: an Azure VM's power state, started or deallocated (run on the controller: delegate_to: localhost).
 * Reads `az vm get-instance-view --query instanceView.statuses`, acts with `az vm start|deallocate --no-wait`,
 * then polls until the VM is there or `timeout` runs out. Never `az vm stop`: a stopped VM stays allocated
 * and billed (procedures §5.1), so state=stopped is refused with that explanation.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok } from '../../../src/contract/index.js';
import { CloudCli } from '../../../lib/cloud/cli.js';
import { azGlobal, describeStatuses, isGeneralized, powerState, readStatuses, vmWhat, waitPower, type PowerState } from '../../../lib/cloud/azure-state.js';

const Args = Type.Object(
  {
    resource_group: Type.String({ minLength: 1, description: 'resource group of the VM' }),
    name: Type.String({ minLength: 1, description: 'VM name' }),
    state: Type.Union([Type.Literal('started'), Type.Literal('deallocated'), Type.Literal('stopped')], {
      default: 'started',
      description: "started or deallocated ('stopped' is refused: `az vm stop` keeps the VM allocated and billed)",
    }),
    subscription: Type.Optional(Type.String({ minLength: 1, description: "subscription name or id (default: the CLI's current one)" })),
    timeout: Type.Number({ default: 900, minimum: 0, description: 'seconds to wait for the VM to reach the state' }),
    poll_interval: Type.Number({ default: 10, minimum: 0, description: 'seconds between two reads of the power state' }),
  },
  { additionalProperties: false },
);

type Target = 'running' | 'deallocated';
interface Plan {
  /** the az vm subcommand to run first (none: only wait for a transition already under way) */
  action: 'start' | 'deallocate' | null;
  target: Target;
  from: PowerState;
}

const TARGET: Record<string, Target> = { started: 'running', deallocated: 'deallocated' };

export function planPower(statuses: Parameters<typeof powerState>[0], state: string, vm: string): Plan | null {
  const target = TARGET[state]!;
  const from = powerState(statuses);
  if (target === 'running' && isGeneralized(statuses)) {
    throw new ModuleError(
      `${vm} is generalized (OSState/generalized): a generalized VM can never be started again; capture it as an image and build from a new VM`,
    );
  }
  if (from === target) return null;
  if (target === 'running' && from === 'starting') return { action: null, target, from };
  if (target === 'deallocated' && from === 'deallocating') return { action: null, target, from };
  return { action: target === 'running' ? 'start' : 'deallocate', target, from };
}

export const azureVm = defineModule<typeof Args, Plan>({
  name: 'azure_vm',
  description: 'Start or deallocate an Azure VM with the az CLI and wait for the power state (never `az vm stop`)',
  examples: `- name: start the image builder
  azure_vm:
    resource_group: rg-hpc-images
    name: builder-el9
    state: started
  delegate_to: localhost
- name: deallocate an idle cloud node (a stopped VM is still billed)
  azure_vm:
    resource_group: rg-hpc-burst
    name: "{{ inventory_hostname }}"
    state: deallocated
    timeout: 600
  delegate_to: localhost
`,
  returns: {
    resource_group: 'the resource group',
    name: 'the VM',
    power_state: 'PowerState/... after the task (before it, in check mode)',
  },
  args: Args,
  validate(a) {
    if (a.state === 'stopped') {
      throw new ArgsError(
        'azure_vm: state=stopped is refused: `az vm stop` powers the VM off but keeps it allocated, and Azure keeps billing it; use state=deallocated (`az vm deallocate`)',
        '/state',
      );
    }
  },
  async check(ctx, a) {
    const az = new CloudCli(ctx, 'az', { globalArgs: azGlobal(a.subscription) });
    await az.preflight();
    const vm = vmWhat(a.resource_group, a.name);
    const statuses = await readStatuses(az, a.resource_group, a.name);
    const plan = planPower(statuses, a.state, vm);
    const result = { resource_group: a.resource_group, name: a.name, power_state: `PowerState/${powerState(statuses)}` };
    if (!plan) return ok(result);
    const summary = plan.action
      ? `az vm ${plan.action} ${a.name} (${describeStatuses(statuses)})`
      : `wait for ${a.name}: PowerState/${plan.from} → PowerState/${plan.target}`;
    return change(summary, plan, { result });
  },
  async apply(ctx, a, plan) {
    const az = new CloudCli(ctx, 'az', { globalArgs: azGlobal(a.subscription) });
    if (plan.action)
      await az.run({ argv: ['vm', plan.action, '-g', a.resource_group, '-n', a.name, '--no-wait'], what: vmWhat(a.resource_group, a.name), noOutput: true });
    const statuses = await waitPower(az, a.resource_group, a.name, plan.target, { timeoutS: a.timeout, intervalS: a.poll_interval });
    return { power_state: `PowerState/${powerState(statuses)}`, changed: plan.action !== null };
  },
});
